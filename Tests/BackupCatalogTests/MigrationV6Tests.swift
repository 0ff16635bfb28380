import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Archive layout schema (v6): layout, index UUIDs, waiting restores, gone snapshots")
struct MigrationV6Tests {
    @Test("a v5 file with data opens, keeps it, reads the layout defaults, and takes the new fields and the gone state")
    func migratesFromV5() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let config = Fixture.archiveConfig(id: "c1")
            let index = Fixture.archivedIndex("a", from: 0, to: 10)
            let record = ArchiveSnapshotTests.snapshot(index.snapshot, state: .success)
            let restore = RestoreConfig(
                id: "r1", businessID: "2", tableID: index.tableID, startTime: Fixture.date(hours: 0),
                endTime: Fixture.date(hours: 5), expiresAt: Fixture.date(hours: 48), createdAt: Fixture.date(hours: 1),
                indices: ["restore_a"])
            try MigrationTests.createFile(path, upTo: "v5_archive_lifecycle") { db in
                try db.execute(sql: ArchiveConfig.catalogUpsertSQL, arguments: config.catalogArguments)
                try db.execute(sql: ArchivedIndex.catalogUpsertSQL, arguments: index.catalogArguments)
                try db.execute(sql: RestoreConfig.catalogUpsertSQL, arguments: try restore.catalogArguments())
                try db.execute(sql: ArchiveSnapshotRecord.catalogUpsertSQL, arguments: try record.catalogArguments())
            }

            let catalog = try SQLiteCatalog(path: path)
            #expect(try await catalog.schemaVersions() == MigrationTests.allVersions)
            let migrated = try #require(try await catalog.archiveConfig(id: "c1"))
            #expect(migrated == config)
            #expect(migrated.dateFormat == "%Y%m%d%H")
            #expect(migrated.indexTimeZoneIdentifier == config.timeZoneIdentifier)
            let rows = try await catalog.archivedIndices(repository: index.repository, snapshot: index.snapshot)
            #expect(rows == [index])
            #expect(rows.first?.indexUUID == nil, "an older row proves nothing about the index's identity")
            #expect(try await catalog.restore(id: "r1")?.waitingIndices == [])
            #expect(try await catalog.archiveSnapshot(repository: record.repository, snapshot: record.snapshot) == record)

            try await catalog.markArchiveSnapshotGone(
                repository: record.repository, snapshot: record.snapshot, reason: "deleted by hand", at: Fixture.date(hours: 9))
            #expect(try await catalog.archiveSnapshot(repository: record.repository, snapshot: record.snapshot)?.state == .gone)
            try catalog.close()
        }
    }
}
