import BackupCatalog
import BackupModels
import Foundation
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

@Suite("Archive daily cycle (in-memory cluster)")
struct ArchiveCycleTests {
    /// 2026-11-25 02:00 in Shanghai: with 7 days of retention, indices up to 20261117 are due.
    let now = ArchiveFixture.day(20261125, hours: 2)
    let days = Array(20261110...20261124)

    @Test("due indices go into <table>_snapshot_<day>, are recorded with their facts, then deleted")
    func archivesDueIndices() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        let cluster = FakeCluster()
        await ArchiveFixture.seedDays(cluster, days)
        await cluster.seed("2_bklog_nginx_access_20261112", documents: 0, bytes: 200)
        await cluster.seed("2_bklog_nginx_access_20261113_1", documents: 5, bytes: 50)
        await cluster.seed("2_bklog_nginx_access_v2_20261101", documents: 5)  // another table
        let lifecycle = ArchiveFixture.lifecycle(catalog, cluster)
        try await lifecycle.save(ArchiveFixture.config(), now: now)

        let reports = await lifecycle.runDailyCycle(now: now)
        let report = try #require(reports.first)
        #expect(report.error == nil)
        #expect(report.snapshot == "2_bklog_nginx_access_snapshot_20261125")
        let expected =
            [20261110, 20261111, 20261113, 20261114, 20261115, 20261116, 20261117].map { "2_bklog_nginx_access_\($0)" }
            + ["2_bklog_nginx_access_20261113_1"]
        #expect(report.archivedIndices == expected.sorted())
        let started = await cluster.started
        #expect(started.count == 1)
        #expect(started.first?.indices.contains("2_bklog_nginx_access_20261112") == false, "empty indices are not snapshotted")
        #expect(report.deletedIndices == (expected + ["2_bklog_nginx_access_20261112"]).sorted())
        #expect(report.blockedIndices.isEmpty)

        let remaining = await cluster.indices.keys.sorted()
        #expect(remaining.contains("2_bklog_nginx_access_20261118"))
        #expect(remaining.contains("2_bklog_nginx_access_v2_20261101"))
        #expect(!remaining.contains("2_bklog_nginx_access_20261117"))

        let rows = try await catalog.archivedIndices(repository: "archive", snapshot: "2_bklog_nginx_access_snapshot_20261125")
        #expect(rows.map(\.index) == expected.sorted())
        let first = try #require(rows.first { $0.index == "2_bklog_nginx_access_20261110" })
        #expect(first.docCount == 100)
        #expect(first.storeSizeBytes == 100_000)
        #expect(first.startTime == ArchiveFixture.day(20261110, hours: 0.5))
        #expect(first.endTime == ArchiveFixture.day(20261110, hours: 23.5))
        let record = try await catalog.archiveSnapshot(repository: "archive", snapshot: "2_bklog_nginx_access_snapshot_20261125")
        #expect(record?.state == .success)
        #expect(record?.attempts == 1)
    }

    @Test("a second run the same day sends no snapshot and changes nothing")
    func rerunIsQuiet() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        let cluster = FakeCluster()
        await ArchiveFixture.seedDays(cluster, days)
        let lifecycle = ArchiveFixture.lifecycle(catalog, cluster)
        try await lifecycle.save(ArchiveFixture.config(), now: now)
        _ = await lifecycle.runDailyCycle(now: now)
        let report = try #require(await lifecycle.runDailyCycle(now: now.addingTimeInterval(3600)).first)
        #expect(report.snapshot == nil)
        #expect(report.deletedIndices.isEmpty)
        #expect(await cluster.started.count == 1)
    }

    @Test("a FAILED attempt is reported and retried; the indices go once the retry succeeds")
    func retriesFailedSnapshot() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        let cluster = FakeCluster()
        await ArchiveFixture.seedDays(cluster, days)
        await cluster.set(outcomes: [.failed, .success])
        await cluster.set(pollsInProgress: 2)
        let notifier = RecordingNotifier()
        let lifecycle = ArchiveFixture.lifecycle(catalog, cluster, notifier: notifier)
        try await lifecycle.save(ArchiveFixture.config(), now: now)

        let report = try #require(await lifecycle.runDailyCycle(now: now).first)
        #expect(report.attempts == 2)
        #expect(report.snapshotState == "success")
        #expect(report.deletedIndices.count == 8)
        let events = await notifier.events
        #expect(events.map(\.kind) == [.snapshotFailed])
        #expect(events.first?.details["attempt"] == "1")
        #expect(events.first?.details["snapshot"] == "2_bklog_nginx_access_snapshot_20261125")
        #expect(events.first?.details["reason"]?.contains("shard failure") == true)
    }

    @Test("PARTIAL every time: bounded attempts, each reported, indices kept and listed as blocked, no rows")
    func exhaustedAttemptsBlockLoudly() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        let cluster = FakeCluster()
        await ArchiveFixture.seedDays(cluster, days)
        await cluster.set(outcomes: Array(repeating: .partial, count: 10))
        let notifier = RecordingNotifier()
        let lifecycle = ArchiveFixture.lifecycle(catalog, cluster, notifier: notifier, attempts: 3)
        try await lifecycle.save(ArchiveFixture.config(), now: now)

        let report = try #require(await lifecycle.runDailyCycle(now: now).first)
        #expect(report.attempts == 3)
        #expect(report.snapshotState == "partial")
        #expect(report.deletedIndices.isEmpty)
        #expect(report.blockedIndices.count == 8)
        #expect(!report.succeeded)
        #expect(await notifier.events.map { $0.details["attempt"] } == ["1", "2", "3"])
        #expect(await cluster.indices["2_bklog_nginx_access_20261110"] != nil, "no SUCCESS snapshot holds it")
        #expect(try await catalog.archivedIndices(repository: "archive", snapshot: "2_bklog_nginx_access_snapshot_20261125").isEmpty)

        // Running again the same day makes no new attempt; the next day's snapshot takes the indices.
        _ = await lifecycle.runDailyCycle(now: now.addingTimeInterval(600))
        #expect(await cluster.started.count == 3)
        await cluster.set(outcomes: [])
        let tomorrow = try #require(await lifecycle.runDailyCycle(now: now.addingTimeInterval(86_400)).first)
        #expect(tomorrow.snapshot == "2_bklog_nginx_access_snapshot_20261126")
        #expect(tomorrow.snapshotState == "success")
        #expect(tomorrow.archivedIndices.count == 9, "yesterday's blocked indices and today's newly due one")
        #expect(tomorrow.blockedIndices.isEmpty)
    }

    @Test("snapshots past snapshot_days are deleted with their records; 0 keeps them forever")
    func snapshotRetention() async throws {
        for (days, deleted) in [(30, true), (0, false)] {
            let catalog = try SQLiteCatalog.inMemory()
            let cluster = FakeCluster()
            let old = "2_bklog_nginx_access_snapshot_20261001"
            let recent = "2_bklog_nginx_access_snapshot_20261101"
            for name in [old, recent] {
                await cluster.seedSnapshot(ClusterSnapshot(name: name, state: .success, indices: ["x_\(name)"]), in: "archive")
                try await catalog.commit(
                    ArchiveSnapshotRecord(
                        repository: "archive", snapshot: name, archiveConfigID: "c1", tableID: "2_bklog.nginx_access",
                        state: .success, attempts: 1, indices: ["x_\(name)"], startedAt: now),
                    indices: [
                        ArchivedIndex(
                            archiveConfigID: "c1", tableID: "2_bklog.nginx_access", repository: "archive", snapshot: name,
                            index: "x_\(name)", docCount: 1, storeSizeBytes: 1, startTime: now, endTime: now, archivedAt: now)
                    ])
            }
            let lifecycle = ArchiveFixture.lifecycle(catalog, cluster)
            try await lifecycle.save(ArchiveFixture.config(snapshotDays: days), now: now)
            let report = try #require(await lifecycle.runDailyCycle(now: now).first)
            #expect(report.deletedSnapshots == (deleted ? [old] : []))
            #expect((await cluster.snapshots["archive"]?[old] == nil) == deleted)
            #expect(await cluster.snapshots["archive"]?[recent] != nil)
            #expect((try await catalog.archiveSnapshot(repository: "archive", snapshot: old) == nil) == deleted)
            #expect(try await catalog.archivedIndices(repository: "archive", snapshot: old).isEmpty == deleted)
        }
    }

    @Test("requests grow with tables, not with indices")
    func requestsPerTable() async throws {
        var counts: [Int] = []
        for indicesPerTable in [5, 30] {
            let catalog = try SQLiteCatalog.inMemory()
            let cluster = FakeCluster()
            let lifecycle = ArchiveFixture.lifecycle(catalog, cluster)
            for table in 0..<4 {
                try await lifecycle.save(ArchiveFixture.config(id: "c\(table)", tableID: "2_bklog.t\(table)"), now: now)
                let first = ArchiveFixture.day(20261117).addingTimeInterval(-Double(indicesPerTable - 1) * 86_400)
                let days = (0..<indicesPerTable).map { offset -> Int in
                    let t = CalendarTime(first.addingTimeInterval(Double(offset) * 86_400 + 7200), in: ArchiveFixture.zone)
                    return t.year * 10_000 + t.month * 100 + t.day
                }
                await ArchiveFixture.seedDays(cluster, prefix: "2_bklog_t\(table)", days)
            }
            let reports = await lifecycle.runDailyCycle(now: now)
            #expect(reports.allSatisfy { $0.archivedIndices.count == indicesPerTable && $0.succeeded })
            counts.append(await cluster.log.count)
        }
        #expect(counts[0] == counts[1], "\(counts)")
    }

    @Test("an unreachable cluster is reported per table and records nothing")
    func unreachable() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        let cluster = FakeCluster()
        await ArchiveFixture.seedDays(cluster, days)
        await cluster.set(reachable: false)
        let lifecycle = ArchiveFixture.lifecycle(catalog, cluster)
        try await lifecycle.save(ArchiveFixture.config(), now: now)
        let report = try #require(await lifecycle.runDailyCycle(now: now).first)
        #expect(report.error?.contains("unreachable") == true)
        #expect(try await catalog.archiveSnapshots(tableID: "2_bklog.nginx_access").isEmpty)
    }
}

@Suite("Archive configurations")
struct ArchiveConfigTests {
    let now = ArchiveFixture.day(20261125, hours: 2)

    @Test("validation names the field; one enabled configuration per table")
    func validation() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        let lifecycle = ArchiveFixture.lifecycle(catalog, FakeCluster())
        var config = ArchiveFixture.config()
        config.snapshotDays = -1
        await #expect { try await lifecycle.save(config, now: now) } throws: { ($0 as? ModelError)?.subject == "snapshot_days" }
        config = ArchiveFixture.config(retention: 0)
        await #expect { try await lifecycle.save(config, now: now) } throws: { ($0 as? ModelError)?.subject == "index_retention_days" }
        config = ArchiveFixture.config(repository: "my repo")
        await #expect { try await lifecycle.save(config, now: now) } throws: { ($0 as? ArchiveError)?.subject == "repository" }
        config = ArchiveFixture.config(tableID: "2_bklog.ngi*nx")
        await #expect { try await lifecycle.save(config, now: now) } throws: { ($0 as? ArchiveError)?.subject == "table_id" }
        #expect(try await lifecycle.configs().isEmpty, "nothing invalid was saved")

        try await lifecycle.save(ArchiveFixture.config(snapshotDays: 0), now: now)
        await #expect { try await lifecycle.save(ArchiveFixture.config(id: "c2"), now: now) } throws: {
            ($0 as? CatalogError)?.code == .conflict
        }
        #expect(try await lifecycle.configs().map(\.snapshotDays) == [0])
        #expect(try await lifecycle.configs().first?.indexRetentionDays == 7)
    }

    @Test("deleting a configuration keeps its snapshots unless asked to purge them")
    func deleteKeepsOrPurges() async throws {
        for purge in [false, true] {
            let catalog = try SQLiteCatalog.inMemory()
            let cluster = FakeCluster()
            await ArchiveFixture.seedDays(cluster, [20261110])
            let lifecycle = ArchiveFixture.lifecycle(catalog, cluster)
            try await lifecycle.save(ArchiveFixture.config(), now: now)
            _ = await lifecycle.runDailyCycle(now: now)
            let deleted = try await lifecycle.delete(configID: "c1", purgeSnapshots: purge)
            #expect(try await lifecycle.configs().isEmpty)
            let name = "2_bklog_nginx_access_snapshot_20261125"
            #expect(deleted == (purge ? [name] : []))
            #expect((await cluster.snapshots["archive"]?[name] != nil) == !purge)
            #expect(try await catalog.archivedIndices(repository: "archive", snapshot: name).isEmpty == purge)
        }
        let lifecycle = ArchiveFixture.lifecycle(try SQLiteCatalog.inMemory(), FakeCluster())
        await #expect { try await lifecycle.delete(configID: "nope") } throws: { ($0 as? ArchiveError)?.code == .notFound }
    }

    @Test("configurations encode index_retention_days and decode documents written before it as 7")
    func coding() throws {
        let config = ArchiveFixture.config(retention: 30)
        let data = try JSONCoding.encoder().encode(config)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["index_retention_days"] as? Int == 30)
        #expect(try JSONCoding.decoder().decode(ArchiveConfig.self, from: data) == config)
        var older = object
        older["index_retention_days"] = nil
        let decoded = try JSONCoding.decoder().decode(ArchiveConfig.self, from: try JSONSerialization.data(withJSONObject: older))
        #expect(decoded.indexRetentionDays == 7)
        #expect(decoded.tableID == config.tableID)
    }

    @Test("index names: day, sequence suffix, other tables and due dates in the configuration's zone")
    func indexNames() throws {
        let config = ArchiveFixture.config()
        #expect(config.indexDay(of: "2_bklog_nginx_access_20261117") == ArchiveFixture.day(20261117))
        #expect(config.indexDay(of: "2_bklog_nginx_access_20261117_3") == ArchiveFixture.day(20261117))
        #expect(config.indexDay(of: "2_bklog_nginx_access_v2_20261117") == nil)
        #expect(config.indexDay(of: "2_bklog_nginx_access_20261117_") == nil)
        #expect(config.indexDay(of: "2_bklog_nginx_access_20261399") == nil)
        #expect(config.indexDay(of: "restore_2_bklog_nginx_access_20261117") == nil)
        let day = ArchiveFixture.day(20261117)
        #expect(!config.isDue(indexDay: day, now: ArchiveFixture.day(20261125).addingTimeInterval(-1)))
        #expect(config.isDue(indexDay: day, now: ArchiveFixture.day(20261125)))
    }
}
