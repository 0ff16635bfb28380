import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Archive configurations, archived indices and restores")
struct ArchiveTests {
    @Test("one enabled configuration per table")
    func oneEnabledPerTable() async throws {
        try await withCatalog { catalog, _ in
            var first = Fixture.archiveConfig(id: "first")
            try await catalog.save(first)
            let second = Fixture.archiveConfig(id: "second")
            let error = await expectCatalogError(.conflict) { try await catalog.save(second) }
            #expect(error?.message.contains("first") == true)

            // Updating the enabled one is no conflict with itself.
            first.snapshotDays = 0
            try await catalog.save(first)
            #expect(try await catalog.archiveConfig(id: "first") == first)

            // A disabled second one is fine; swapping which one is enabled works.
            var disabledSecond = second
            disabledSecond.isEnabled = false
            try await catalog.save(disabledSecond)
            first.isEnabled = false
            try await catalog.save(first)
            try await catalog.save(second)
            #expect(try await catalog.archiveConfigs(tableID: "2_bklog.nginx_access").filter(\.isEnabled).map(\.id) == ["second"])

            // Another table is independent.
            try await catalog.save(Fixture.archiveConfig(id: "third", tableID: "2_bklog.other"))
            #expect(try await catalog.archiveConfigs(tableID: nil).count == 3)
        }
    }

    @Test("the partial unique index holds the rule even for raw SQL")
    func indexEnforcesRule() async throws {
        try await withCatalog { catalog, path in
            try await catalog.save(Fixture.archiveConfig(id: "first"))
            #expect(throws: DatabaseError.self) {
                try RawFile.write(path) { db in
                    try db.execute(sql: ArchiveConfig.catalogUpsertSQL, arguments: Fixture.archiveConfig(id: "raw").catalogArguments)
                }
            }
        }
    }

    @Test("deleting a configuration keeps its archived indices; unknown ids are not found")
    func deleteConfig() async throws {
        try await withCatalog { catalog, _ in
            try await catalog.save(Fixture.archiveConfig(id: "c"))
            try await catalog.insert([Fixture.archivedIndex("i", from: 0, to: 24)])
            try await catalog.deleteArchiveConfig(id: "c")
            #expect(try await catalog.archiveConfig(id: "c") == nil)
            #expect(
                try await catalog.archivedIndices(repository: "cos_archive", snapshot: "2_bklog_nginx_access_snapshot_20251125").count == 1)
            await expectCatalogError(.notFound) { try await catalog.deleteArchiveConfig(id: "c") }
        }
    }

    /// One index holding events from 10:00 to 12:00 (hours after epoch), and queries around its edges.
    static let overlapCases: [(String, Double, Double, Bool)] = [
        ("ends exactly at the index start", 8, 10, true),
        ("starts exactly at the index end", 12, 13, true),
        ("ends one second before the start", 8, 10 - 1.0 / 3600, false),
        ("starts one second after the end", 12 + 1.0 / 3600, 13, false),
        ("inside", 10.5, 11, true),
        ("covers it", 9, 13, true),
        ("a single instant inside", 11, 11, true),
        ("inverted range", 13, 9, false),
    ]

    @Test("overlap is inclusive at both ends", arguments: overlapCases)
    func overlapBoundaries(name: String, start: Double, end: Double, expected: Bool) async throws {
        try await withCatalog { catalog, _ in
            let index = Fixture.archivedIndex("idx", from: 10, to: 12)
            try await catalog.insert([index, Fixture.archivedIndex("other-table", tableID: "2_bklog.other", from: 10, to: 12)])
            let found = try await catalog.archivedIndices(
                tableID: "2_bklog.nginx_access", overlapping: Fixture.date(hours: start), Fixture.date(hours: end))
            #expect(found == (expected ? [index] : []), "\(name)")
            if start <= end {
                #expect(
                    index.overlaps(start: Fixture.date(hours: start), end: Fixture.date(hours: end)) == expected,
                    "the catalog and ArchivedIndex.overlaps disagree: \(name)")
            }
        }
    }

    @Test("ranges are instants: a local day in Shanghai selects the UTC indices it covers")
    func overlapInUTC() async throws {
        try await withCatalog { catalog, _ in
            let utc = TimeZone.utc
            func day(_ d: Int) -> ArchivedIndex {
                let start = CalendarTime(year: 2025, month: 11, day: d).date(in: utc)!
                return ArchivedIndex(
                    archiveConfigID: "c", tableID: "t", repository: "r", snapshot: "s", index: "t_202511\(d)",
                    docCount: 1, storeSizeBytes: 1, startTime: start, endTime: start.addingTimeInterval(86_399),
                    archivedAt: start.addingTimeInterval(90_000))
            }
            let indices = (20...26).map(day)
            try await catalog.insert(indices)
            // 2025-11-24 in Asia/Shanghai (UTC+8) is 2025-11-23T16:00Z ... 2025-11-24T15:59:59Z.
            let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
            let start = try #require(CalendarTime(year: 2025, month: 11, day: 24).date(in: shanghai))
            let found = try await catalog.archivedIndices(tableID: "t", overlapping: start, start.addingTimeInterval(86_399))
            #expect(found.map(\.index) == ["t_20251123", "t_20251124"])
            #expect(found == indices.filter { $0.overlaps(start: start, end: start.addingTimeInterval(86_399)) })
        }
    }

    @Test("indices by snapshot, recorded again, and forgotten")
    func snapshotIndices() async throws {
        try await withCatalog { catalog, _ in
            let a = Fixture.archivedIndex("b-index", from: 0, to: 1)
            var b = Fixture.archivedIndex("a-index", from: 2, to: 3)
            let elsewhere = Fixture.archivedIndex("c-index", snapshot: "other_snapshot", from: 0, to: 1)
            try await catalog.insert([a, b, elsewhere])
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: a.snapshot) == [b, a])

            b.docCount = 5000
            try await catalog.insert([b])
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: a.snapshot) == [b, a])

            try await catalog.deleteArchivedIndices(repository: "cos_archive", snapshot: a.snapshot)
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: a.snapshot).isEmpty)
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: "other_snapshot") == [elsewhere])
        }
    }

    @Test("an index ending before it starts is refused")
    func invertedIndexRefused() async throws {
        try await withCatalog { (catalog: SQLiteCatalog, _: String) async throws in
            let bad = Fixture.archivedIndex("bad", from: 5, to: 4)
            await expectCatalogError(.database) { try await catalog.insert([Fixture.archivedIndex("good", from: 0, to: 1), bad]) }
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: bad.snapshot).isEmpty)
        }
    }

    @Test("restores round trip and filter by state")
    func restores() async throws {
        try await withCatalog { catalog, _ in
            var full = RestoreConfig(
                id: "r-full", businessID: "2", indexSetID: "88", indexSetName: "nginx (restored)", tableID: "2_bklog.nginx_access",
                startTime: Fixture.date(hours: 0), endTime: Fixture.date(hours: 48), expiresAt: Fixture.date(hours: 24 * 8),
                state: .running, createdAt: Fixture.date(hours: 100), startedAt: Fixture.date(hours: 100.5),
                totalStoreSizeBytes: 1 << 30, totalDocCount: 1_000_000, restoredDocCount: 250_000,
                indices: ["restore_a", "restore_b"], notifyUsers: ["alice", "bob"])
            let minimal = RestoreConfig(
                id: "r-min", businessID: "3", tableID: "3_bklog.app", startTime: Fixture.date(hours: 1),
                endTime: Fixture.date(hours: 2), expiresAt: Fixture.date(hours: 300), createdAt: Fixture.date(hours: 99))
            try await catalog.save(full)
            try await catalog.save(minimal)
            #expect(try await catalog.restore(id: "r-full") == full)
            #expect(try await catalog.restore(id: "r-min") == minimal)
            #expect(try await catalog.restore(id: "missing") == nil)
            #expect(try await catalog.restores(states: nil).map(\.id) == ["r-min", "r-full"])
            #expect(try await catalog.restores(states: [.running]).map(\.id) == ["r-full"])
            #expect(try await catalog.restores(states: []).isEmpty)

            full.state = .done
            full.finishedAt = Fixture.date(hours: 101)
            full.restoredDocCount = full.totalDocCount
            full.isNotified = true
            full.failureReason = nil
            try await catalog.save(full)
            #expect(try await catalog.restore(id: "r-full") == full)
            #expect(try await catalog.restores(states: [.running, .pending]).map(\.id) == ["r-min"])
        }
    }
}
