import ArchiveLifecycle
import BackupModels
import Foundation
import Testing

/// Index discovery and expiry exactly as `../shared/bklog-index-layout.md` states the platform does it.
@Suite("The platform's index layout and expiry rule")
struct IndexLayoutTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    func config(
        format: String = "%Y%m%d%H", retention: Int = 30, indexZone: String = "Asia/Shanghai", snapshotZone: String = "UTC",
        withoutAlias: IndexWithoutAliasPolicy = .keep, longTerm: [String] = []
    ) -> ArchiveConfig {
        ArchiveConfig(
            instanceID: "1", instanceType: .indexSet, businessID: "2", tableID: "2_bklog.nginx_access", repository: "archive",
            snapshotDays: 30, indexRetentionDays: retention, timeZoneIdentifier: snapshotZone, indexTimeZoneIdentifier: indexZone,
            dateFormat: format, indexWithoutAlias: withoutAlias, longTermIndices: longTerm, createdAt: Date(timeIntervalSince1970: 0))
    }

    func instant(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, in zone: TimeZone) -> Date {
        CalendarTime(year: year, month: month, day: day, hour: hour).date(in: zone)!
    }

    @Test("both layouts parse with the table's date_format; other tables, restored and malformed names do not")
    func parsesNames() throws {
        let hourly = config()
        let v2 = try #require(hourly.parseIndex("v2_2_bklog_nginx_access_2026112508_0"))
        #expect(v2.layout == .v2)
        #expect(v2.rotation == 0)
        #expect(v2.datetime == instant(2026, 11, 25, 8, in: shanghai))
        let legacy = try #require(hourly.parseIndex("2_bklog_nginx_access_2026112508_3"))
        #expect(legacy.layout == .legacy)
        #expect(legacy.rotation == 3)
        for name in [
            "v2_2_bklog_nginx_access_20261125_0",  // 8 digits under a 10-digit format
            "v2_2_bklog_nginx_access_2026112508",  // no rotation counter
            "v2_2_bklog_nginx_access_error_2026112508_0",  // another table extending this one's name
            "restore_v2_2_bklog_nginx_access_2026112508_0",  // a restored index
            "v2_2_bklog_nginx_access_2026113208_0",  // no such day
            "v2_2_bklog_nginx_access_2026112508_x",
            "backupkit_archive_facts",
        ] {
            #expect(hourly.parseIndex(name) == nil, "\(name)")
        }
        let daily = config(format: "%Y%m%d")
        #expect(daily.parseIndex("v2_2_bklog_nginx_access_20261125_1")?.datetime == instant(2026, 11, 25, in: shanghai))
        #expect(daily.parseIndex("v2_2_bklog_nginx_access_2026112508_1") == nil)
        #expect(config().indexPatterns == ["v2_2_bklog_nginx_access_*", "2_bklog_nginx_access_*"])
    }

    @Test("write, older write and read aliases give their datetime; other aliases give none")
    func parsesAliases() {
        let table = config()
        let eight = instant(2026, 11, 25, 8, in: shanghai)
        #expect(table.aliasDatetime("write_2026112508_2_bklog_nginx_access") == eight)
        #expect(table.aliasDatetime("2_bklog_nginx_access_2026112508_write") == eight)
        #expect(table.aliasDatetime("2_bklog_nginx_access_2026112508_read") == eight)
        #expect(table.aliasDatetime("2_bklog_nginx_access_20261125_read") == nil)
        #expect(table.aliasDatetime("write_2026112508_2_bklog_other") == nil)
        #expect(table.aliasDatetime("logs-current") == nil)
    }

    @Test("an index expires when every alias on it is older than retention + 1 day, in the table's zone")
    func expiresByAliases() throws {
        let table = config(retention: 30)
        // An index created on 2026-10-20 that still carries the aliases of 2026-10-25 (aliases are made
        // ahead and point at the current index): its own datetime is days older than its newest alias.
        let index = try #require(table.parseIndex("v2_2_bklog_nginx_access_2026102000_0"))
        let aliases = [
            "write_2026102000_2_bklog_nginx_access", "2_bklog_nginx_access_2026102000_read",
            "write_2026102522_2_bklog_nginx_access", "2_bklog_nginx_access_2026102522_read",
        ]
        // 2026-10-25 22:00 + 31 days = 2026-11-25 22:00 (Shanghai): not yet at 21:59, expired at 22:01.
        #expect(table.expiry(of: index, aliases: aliases, now: instant(2026, 11, 25, 21, in: shanghai)) == .live)
        #expect(
            table.expiry(of: index, aliases: aliases, now: instant(2026, 11, 25, 22, in: shanghai).addingTimeInterval(60)) == .expired)
        // The index's own datetime alone would have expired it five days earlier.
        #expect(table.expiry(of: index, aliases: aliases, now: instant(2026, 11, 21, in: shanghai)) == .live)
        // The same instant judged in UTC instead of Shanghai moves the boundary by eight hours.
        let utc = config(retention: 30, indexZone: "UTC")
        let utcIndex = try #require(utc.parseIndex("v2_2_bklog_nginx_access_2026102000_0"))
        #expect(utc.expiry(of: utcIndex, aliases: aliases, now: instant(2026, 11, 25, 23, in: shanghai)) == .live)
    }

    @Test("the current index, long-term indices and alias-less indices (keep) are never expired")
    func neverExpired() throws {
        let now = instant(2026, 11, 25, 8, in: shanghai)
        let table = config(longTerm: ["v2_2_bklog_nginx_access_2025010100_0"])
        let current = try #require(table.parseIndex("v2_2_bklog_nginx_access_2026112508_0"))
        #expect(table.expiry(of: current, aliases: [], now: now) == .current)
        let longTerm = try #require(table.parseIndex("v2_2_bklog_nginx_access_2025010100_0"))
        #expect(table.expiry(of: longTerm, aliases: ["write_2025010100_2_bklog_nginx_access"], now: now) == .longTerm)
        let bare = try #require(table.parseIndex("v2_2_bklog_nginx_access_2025020100_0"))
        #expect(table.expiry(of: bare, aliases: ["some-other-alias"], now: now) == .keptWithoutAlias)
        #expect(config(withoutAlias: .expire).expiry(of: bare, aliases: [], now: now) == .expired)
    }

    @Test("date formats: digits-only fields parse and print; anything else is refused naming date_format")
    func dateFormats() throws {
        #expect(try ArchiveDateFormat("%Y%m%d%H") == .platformDefault)
        #expect(try ArchiveDateFormat("%Y%m%d") == .days)
        let format = try ArchiveDateFormat("%Y%m%d%H%M")
        #expect(format.digitCount == 12)
        let date = instant(2026, 2, 3, 4, in: shanghai).addingTimeInterval(5 * 60)
        #expect(format.string(from: date, in: shanghai) == "202602030405")
        #expect(format.date(from: "202602030405", in: shanghai) == date)
        for bad in ["%Y-%m-%d", "%Y%m", "%Y%m%d%Q", "%Y%m%d%d", "", "Ymd"] {
            #expect(throws: ModelError.self, "\(bad)") { try ArchiveDateFormat(bad) }
        }
        var table = config()
        table.dateFormat = "%Y.%m.%d"
        #expect { try table.validate() } throws: { ($0 as? ModelError)?.subject == "date_format" }
        table = config(indexZone: "Mars/Olympus")
        #expect { try table.validate() } throws: { ($0 as? ModelError)?.subject == "index_time_zone" }
        table = config(snapshotZone: "Nowhere/Else")
        #expect { try table.validate() } throws: { ($0 as? ModelError)?.subject == "time_zone" }
    }

    @Test("snapshot names use their own zone, apart from the index zone")
    func snapshotZoneApart() {
        // 2026-11-25 02:00 in Shanghai is still 2026-11-24 in UTC.
        let now = instant(2026, 11, 25, 2, in: shanghai)
        #expect(config(snapshotZone: "UTC").snapshotName(for: now) == "2_bklog_nginx_access_snapshot_20261124")
        #expect(config(snapshotZone: "Asia/Shanghai").snapshotName(for: now) == "2_bklog_nginx_access_snapshot_20261125")
    }

    @Test("configurations written before the layout fields decode with the platform's defaults")
    func decodesOldDocuments() throws {
        let json = """
            {"id":"c","instance_id":"1","instance_type":"index_set","business_id":"2","table_id":"2_bklog.a",
             "repository":"r","snapshot_days":3,"time_zone":"Asia/Shanghai","enabled":true,
             "created_at":0,"updated_at":0}
            """
        let decoded = try JSONDecoder().decode(ArchiveConfig.self, from: Data(json.utf8))
        #expect(decoded.dateFormat == "%Y%m%d%H")
        #expect(decoded.indexTimeZoneIdentifier == "Asia/Shanghai")
        #expect(decoded.indexWithoutAlias == .keep)
        #expect(decoded.longTermIndices.isEmpty)
        #expect(decoded.indexRetentionDays == 7)
    }
}
