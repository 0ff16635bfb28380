import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Schema migrations")
struct MigrationTests {
    static let allVersions = [
        "v1_backups", "v2_archive", "v3_indexes", "v4_leases", "v5_archive_lifecycle", "v6_archive_layout", "v7_drills", "v8_missing",
    ]

    @Test("an empty file gets every migration, WAL mode and the query indexes")
    func createsFromEmptyFile() async throws {
        try await withCatalog { catalog, path in
            #expect(try await catalog.schemaVersions() == Self.allVersions)
            #expect(SQLiteCatalog.schemaVersion == Self.allVersions.last)
            let facts = try await catalog.writer.read { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                    try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"),
                    try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))
                )
            }
            #expect(facts.0 == "wal")
            #expect(facts.1 == true)
            #expect(
                facts.2.isSuperset(of: [
                    "backups_by_plan_source_started", "backups_by_state_started", "archived_indices_by_table_time",
                    "archive_configs_one_enabled_per_table", "restores_by_state",
                ]))
        }
    }

    @Test("retention and overlap queries use the v3 indexes")
    func queriesUseIndexes() async throws {
        try await withCatalog { catalog, _ in
            let plans = try await catalog.writer.read { db in
                func plan(_ sql: String) throws -> String {
                    try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: "; ")
                }
                return (
                    try plan("SELECT * FROM backups WHERE plan = 'p' AND source = 's' AND state IN ('committed') ORDER BY started_at, id"),
                    try plan("SELECT * FROM archived_indices WHERE table_id = 't' AND start_time <= 5 AND end_time >= 1"),
                    try plan("SELECT * FROM archived_indices WHERE repository = 'r' AND snapshot = 's'"),
                    try plan(
                        """
                        SELECT * FROM artifacts WHERE backup_id IN (
                            SELECT id FROM backups WHERE plan = 'p' AND source = 's' AND state IN ('committed'))
                        ORDER BY backup_id, ordinal
                        """)
                )
            }
            #expect(plans.0.contains("backups_by_plan_source_started"), "\(plans.0)")
            #expect(!plans.0.contains("TEMP B-TREE"), "retention query sorts in memory: \(plans.0)")
            #expect(plans.1.contains("archived_indices_by_table_time"), "\(plans.1)")
            #expect(plans.2.contains("USING INDEX"), "\(plans.2)")
            // Artifacts of a result set are found through their primary key, not by scanning the table.
            #expect(plans.3.contains("SEARCH artifacts USING PRIMARY KEY (backup_id=?)"), "\(plans.3)")
            #expect(!plans.3.contains("SCAN artifacts"), "\(plans.3)")
        }
    }

    @Test("a v1 file keeps its records and gains the archive tables")
    func migratesFromV1() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let full = Fixture.record(id: "00000000000000f1", tags: ["manual"])
            let running = Fixture.record(id: "00000000000000f2", hours: 24)
            try Self.createFile(path, upTo: "v1_backups") { db in
                // Rows as the v1 library wrote them: REAL seconds since 1970, JSON text.
                try db.execute(
                    sql: """
                        INSERT INTO backups (id, plan, source, kind, parent_id, label, state, started_at, finished_at,
                                             host, tags, failure_reason, position)
                        VALUES (?, 'nightly', 'app-db', 'full', NULL, ?, 'committed', ?, ?, 'db1', '["manual"]', NULL,
                                '{"binlog_file":"mysql-bin.000042","binlog_position":154,"extra":{}}'),
                               (?, 'nightly', 'app-db', 'full', NULL, ?, 'running', ?, NULL, 'db1', '[]', NULL, NULL)
                        """,
                    arguments: [
                        full.id.rawValue, full.label.rawValue, full.startedAt.timeIntervalSince1970,
                        full.startedAt.timeIntervalSince1970 + 60, running.id.rawValue, running.label.rawValue,
                        running.startedAt.timeIntervalSince1970,
                    ])
                try db.execute(
                    sql: """
                        INSERT INTO artifacts (backup_id, ordinal, role, key, size_bytes, sha256, compression,
                                               encryption_key_id, uncompressed_bytes)
                        VALUES (?, 0, 'data', 'nightly/app-db/full.sql.zst', 4096, ?, 'zstd', 'key-2025', 12288)
                        """,
                    arguments: [full.id.rawValue, Fixture.checksum("nightly/app-db/full.sql.zst")])
            }

            let catalog = try SQLiteCatalog(path: path)
            #expect(try await catalog.schemaVersions() == Self.allVersions)
            var expected = full
            expected.state = .committed
            expected.finishedAt = full.startedAt.addingTimeInterval(60)
            expected.position = SourcePosition(binlogFile: "mysql-bin.000042", binlogPosition: 154)
            expected.artifacts = [Fixture.artifact("nightly/app-db/full.sql.zst")]
            #expect(try await catalog.record(full.id) == expected)
            #expect(try await catalog.record(running.id) == running)

            // The v1 running record still follows the life cycle, and the new tables work.
            try await catalog.commit(running.id, artifacts: [Fixture.artifact("k")], position: nil, finishedAt: Fixture.date(hours: 25))
            try await catalog.save(Fixture.archiveConfig(id: "c1"))
            try await catalog.insert([Fixture.archivedIndex("i1", from: 0, to: 24)])
            #expect(
                try await catalog.archivedIndices(tableID: "2_bklog.nginx_access", overlapping: Fixture.epoch, Fixture.epoch).count == 1)
        }
    }

    @Test("a v2 file keeps its archive data; v3 keeps only the newest enabled configuration per table")
    func migratesFromV2() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let record = Fixture.record(id: "00000000000000a1")
            let older = Fixture.archiveConfig(id: "older", hours: 0)
            var newer = Fixture.archiveConfig(id: "newer", hours: 0)
            newer.updatedAt = Fixture.date(hours: 5)
            let other = Fixture.archiveConfig(id: "other", tableID: "2_bklog.other")
            let restore = RestoreConfig(
                id: "r1", businessID: "2", tableID: "2_bklog.nginx_access", startTime: Fixture.date(hours: 0),
                endTime: Fixture.date(hours: 10), expiresAt: Fixture.date(hours: 200), createdAt: Fixture.date(hours: 1),
                indices: ["restore_a"])
            try Self.createFile(path, upTo: "v2_archive") { db in
                try db.execute(sql: BackupRecord.catalogInsertSQL, arguments: try record.catalogArguments())
                for config in [older, newer, other] {
                    try db.execute(sql: ArchiveConfig.catalogUpsertSQL, arguments: config.catalogArguments)
                }
                try db.execute(sql: ArchivedIndex.catalogUpsertSQL, arguments: Fixture.archivedIndex("a", from: 0, to: 10).catalogArguments)
                try db.execute(sql: RestoreConfig.catalogUpsertSQL, arguments: try restore.catalogArguments())
            }

            let catalog = try SQLiteCatalog(path: path)
            #expect(try await catalog.schemaVersions() == Self.allVersions)
            #expect(try await catalog.record(record.id) == record)
            #expect(try await catalog.archiveConfig(id: "newer")?.isEnabled == true)
            #expect(try await catalog.archiveConfig(id: "older")?.isEnabled == false)
            #expect(try await catalog.archiveConfig(id: "other")?.isEnabled == true)
            #expect(
                try await catalog.archivedIndices(
                    tableID: "2_bklog.nginx_access", overlapping: Fixture.date(hours: 10), Fixture.date(hours: 11)
                ).map(\.index) == ["a"])
            #expect(try await catalog.restore(id: "r1") == restore)
            // The v3 rule is now enforced.
            await expectCatalogError(.conflict) { try await catalog.save(Fixture.archiveConfig(id: "third")) }
        }
    }

    @Test("reopening a current file changes nothing", arguments: [1, 3])
    func reopenIsIdempotent(times: Int) async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let record = Fixture.record()
            try await SQLiteCatalog(path: path).insert(record)
            for _ in 0..<times {
                let catalog = try SQLiteCatalog(path: path)
                #expect(try await catalog.schemaVersions() == Self.allVersions)
                #expect(try await catalog.record(record.id) == record)
                try catalog.close()
            }
            let rows = try RawFile.read(path) { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
            #expect(rows.sorted() == Self.allVersions)
        }
    }

    @Test("several processes creating the same file at once all succeed")
    func concurrentCreation() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/shared/catalog.sqlite"
            let versions = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let catalog = try SQLiteCatalog(path: path)
                        return try await catalog.schemaVersions()
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(versions == Array(repeating: Self.allVersions, count: 4))
        }
    }

    /// Creates a catalog file migrated up to `version`, then lets `fill` write rows as that version did.
    static func createFile(_ path: String, upTo version: String, fill: (Database) throws -> Void) throws {
        let pool = try DatabasePool(path: path)
        try SQLiteCatalog.migrator().migrate(pool, upTo: version)
        try pool.write(fill)
        #expect(try pool.read { try SQLiteCatalog.migrator().appliedMigrations($0) }.last == version)
        try pool.close()
    }
}
