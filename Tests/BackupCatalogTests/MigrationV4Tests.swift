import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Schema migration v4 (leases)")
struct MigrationV4Tests {
    @Test("a v3 file with data opens, gains the leases table and keeps its data")
    func migratesFromV3() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let record = Fixture.record(id: "00000000000000c1")
            let config = Fixture.archiveConfig(id: "c1")
            let index = Fixture.archivedIndex("a", from: 0, to: 10)
            try MigrationTests.createFile(path, upTo: "v3_indexes") { db in
                try db.execute(sql: BackupRecord.catalogInsertSQL, arguments: try record.catalogArguments())
                try db.execute(sql: ArchiveConfig.catalogUpsertSQL, arguments: config.catalogArguments)
                try db.execute(sql: ArchivedIndex.catalogUpsertSQL, arguments: index.catalogArguments)
            }
            #expect(try RawFile.read(path) { db in try db.tableExists("leases") } == false)

            let catalog = try SQLiteCatalog(path: path)
            #expect(try await catalog.schemaVersions() == MigrationTests.allVersions)
            #expect(try await catalog.schemaVersions().contains("v4_leases"))
            #expect(try await catalog.record(record.id) == record)
            #expect(try await catalog.archiveConfig(id: "c1") == config)
            #expect(
                try await catalog.archivedIndices(tableID: index.tableID, overlapping: Fixture.date(hours: 5), Fixture.date(hours: 6))
                    == [index])

            // The v3 record still follows the life cycle, and leases work on the migrated file.
            try await catalog.commit(record.id, artifacts: [Fixture.artifact("k")], position: nil, finishedAt: Fixture.date(hours: 1))
            let lease = try await LeaseFixture.acquire(catalog, LeaseFixture.owner("backup-1"), at: 0)
            #expect(try await catalog.lease(named: LeaseFixture.name) == lease)
            try catalog.close()
            let columns = try RawFile.read(path) { db in try db.columns(in: "leases").map(\.name) }
            #expect(columns == ["name", "owner_host", "owner_pid", "owner_token", "acquired_at", "renewed_at", "expires_at"])
        }
    }

    @Test("a file with an unknown v5 migration is refused, its leases left untouched")
    func refusesUnknownV5() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let catalog = try SQLiteCatalog(path: path)
            let lease = try await LeaseFixture.acquire(catalog, LeaseFixture.owner("backup-1"), at: 0)
            try catalog.close()
            try RawFile.write(path) { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v5_future')")
            }
            let before = try RawFile.fingerprint(path)

            let error = await expectCatalogError(.newerSchema) { _ = try SQLiteCatalog(path: path) }
            #expect(error?.message.contains("v5_future") == true, "\(String(describing: error))")
            #expect(error?.message.contains(SQLiteCatalog.schemaVersion) == true, "the message names this library's schema")

            let after = try RawFile.fingerprint(path)
            #expect(after.0 == before.0, "the file's bytes changed")
            let token = try RawFile.read(path) { db in
                try String.fetchOne(db, sql: "SELECT owner_token FROM leases WHERE name = ?", arguments: [lease.name])
            }
            #expect(token == lease.owner.token)
        }
    }
}
