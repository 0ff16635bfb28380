import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Archive lifecycle schema (v5): index retention and snapshot records")
struct ArchiveSnapshotTests {
    static func snapshot(
        _ name: String = "2_bklog_nginx_access_snapshot_20251125", state: ArchiveSnapshotRecord.State = .inProgress, attempts: Int = 1
    ) -> ArchiveSnapshotRecord {
        ArchiveSnapshotRecord(
            repository: "cos_archive", snapshot: name, archiveConfigID: "config-1", tableID: "2_bklog.nginx_access", state: state,
            attempts: attempts, indices: ["a", "b"], startedAt: Fixture.date(hours: 1))
    }

    @Test("a v4 file with data opens, gains index retention (7) and snapshot records, and keeps its data")
    func migratesFromV4() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let config = Fixture.archiveConfig(id: "c1")
            let index = Fixture.archivedIndex("a", from: 0, to: 10)
            let restore = RestoreConfig(
                id: "r1", businessID: "2", tableID: index.tableID, startTime: Fixture.date(hours: 0),
                endTime: Fixture.date(hours: 5), expiresAt: Fixture.date(hours: 48), createdAt: Fixture.date(hours: 1),
                indices: ["restore_a"])
            try MigrationTests.createFile(path, upTo: "v4_leases") { db in
                try db.execute(sql: ArchiveConfig.catalogUpsertSQL, arguments: config.catalogArguments)
                try db.execute(sql: ArchivedIndex.catalogUpsertSQL, arguments: index.catalogArguments)
                try db.execute(sql: RestoreConfig.catalogUpsertSQL, arguments: try restore.catalogArguments())
            }
            #expect(try RawFile.read(path) { db in try db.tableExists("archive_snapshots") } == false)

            let catalog = try SQLiteCatalog(path: path)
            #expect(try await catalog.schemaVersions() == MigrationTests.allVersions)
            let migrated = try #require(try await catalog.archiveConfig(id: "c1"))
            #expect(migrated == config, "the defaults of the new column match the model's")
            #expect(migrated.indexRetentionDays == 7)
            #expect(try await catalog.archivedIndices(repository: index.repository, snapshot: index.snapshot) == [index])
            #expect(try await catalog.restore(id: "r1") == restore)

            var changed = migrated
            changed.indexRetentionDays = 30
            try await catalog.save(changed)
            #expect(try await catalog.archiveConfig(id: "c1")?.indexRetentionDays == 30)
            try await catalog.save(Self.snapshot())
            #expect(try await catalog.archiveSnapshots(tableID: "2_bklog.nginx_access") == [Self.snapshot()])
            try catalog.close()
        }
    }

    @Test("a snapshot's index rows are written only with its success, atomically")
    func commitIsAtomic() async throws {
        try await withCatalog { catalog, _ in
            try await catalog.save(Self.snapshot())
            await expectCatalogError(.invalidTransition) {
                try await catalog.commit(Self.snapshot(state: .failed), indices: [Fixture.archivedIndex("a", from: 0, to: 1)])
            }
            // A refused row (end before start) rolls back the success too.
            let bad = Fixture.archivedIndex("b", from: 5, to: 1)
            await expectCatalogError(.database) {
                try await catalog.commit(
                    Self.snapshot(state: .success), indices: [Fixture.archivedIndex("a", from: 0, to: 1), bad])
            }
            #expect(try await catalog.archiveSnapshot(repository: "cos_archive", snapshot: Self.snapshot().snapshot)?.state == .inProgress)
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: Self.snapshot().snapshot).isEmpty)

            try await catalog.commit(Self.snapshot(state: .success, attempts: 2), indices: [Fixture.archivedIndex("a", from: 0, to: 1)])
            let record = try await catalog.archiveSnapshot(repository: "cos_archive", snapshot: Self.snapshot().snapshot)
            #expect(record?.state == .success)
            #expect(record?.attempts == 2)
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: Self.snapshot().snapshot).map(\.index) == ["a"])
        }
    }

    @Test("forgetting a snapshot removes its record and its index rows, and nothing else")
    func forget() async throws {
        try await withCatalog { catalog, _ in
            let other = "2_bklog_nginx_access_snapshot_20251126"
            try await catalog.commit(Self.snapshot(state: .success), indices: [Fixture.archivedIndex("a", from: 0, to: 1)])
            try await catalog.commit(
                Self.snapshot(other, state: .success), indices: [Fixture.archivedIndex("b", snapshot: other, from: 0, to: 1)])
            try await catalog.deleteArchiveSnapshot(repository: "cos_archive", snapshot: Self.snapshot().snapshot)
            #expect(try await catalog.archiveSnapshots(tableID: "2_bklog.nginx_access").map(\.snapshot) == [other])
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: Self.snapshot().snapshot).isEmpty)
            #expect(try await catalog.archivedIndices(repository: "cos_archive", snapshot: other).count == 1)
            try await catalog.deleteArchiveSnapshot(repository: "cos_archive", snapshot: "missing")
        }
    }

    @Test("the schema refuses an unknown state or zero attempts, even from raw SQL")
    func checks() async throws {
        try await withCatalog { catalog, path in
            try await catalog.save(Self.snapshot())
            try await catalog.save(Fixture.archiveConfig(id: "c"))
            #expect(throws: DatabaseError.self) {
                try RawFile.write(path) { db in try db.execute(sql: "UPDATE archive_snapshots SET state = 'done'") }
            }
            #expect(throws: DatabaseError.self) {
                try RawFile.write(path) { db in try db.execute(sql: "UPDATE archive_snapshots SET attempts = 0") }
            }
            #expect(throws: DatabaseError.self) {
                try RawFile.write(path) { db in try db.execute(sql: "UPDATE archive_configs SET index_retention_days = 0") }
            }
        }
    }
}
