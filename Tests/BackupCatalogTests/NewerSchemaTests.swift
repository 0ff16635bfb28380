import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Files written by a newer library")
struct NewerSchemaTests {
    enum Origin: String, CaseIterable, CustomTestStringConvertible {
        /// Written by SQLiteCatalog: WAL mode.
        case walFile
        /// Written through a rollback-journal connection: opening it as a pool would switch it to WAL.
        case rollbackJournalFile

        var testDescription: String { rawValue }
    }

    @Test("a file with an unknown migration is refused and left byte-for-byte unchanged", arguments: Origin.allCases)
    func refusesNewerSchema(origin: Origin) async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let record = Fixture.record()
            switch origin {
            case .walFile:
                let catalog = try SQLiteCatalog(path: path)
                try await catalog.insert(record)
                try catalog.close()
            case .rollbackJournalFile:
                let queue = try DatabaseQueue(path: path)
                try SQLiteCatalog.migrator().migrate(queue)
                try await queue.write { db in try db.execute(sql: BackupRecord.catalogInsertSQL, arguments: try record.catalogArguments()) }
                try queue.close()
            }
            try RawFile.write(path) { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9_future_feature')")
            }
            let folderBefore = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            let before = try RawFile.fingerprint(path)

            let error = await expectCatalogError(.newerSchema) { _ = try SQLiteCatalog(path: path) }
            #expect(error?.path == path)
            #expect(error?.message.contains("v9_future_feature") == true, "\(String(describing: error))")

            let after = try RawFile.fingerprint(path)
            #expect(after.0 == before.0, "the file's bytes changed")
            #expect(after.1 == before.1, "the file's modification date changed")
            let folderAfter = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            #expect(
                folderAfter.filter { $0.hasSuffix("-wal") }.allSatisfy { name in
                    (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) == 0
                }, "a write-ahead log with content appeared: \(folderBefore) → \(folderAfter)")
            // The file still holds what it held, for the newer library to open.
            let count = try RawFile.read(path) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM backups") }
            #expect(count == 1)
        }
    }

    @Test("a file at the current version with a known migration missing in the middle is completed")
    func completesKnownMigrations() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let queue = try DatabaseQueue(path: path)
            try SQLiteCatalog.migrator().migrate(queue, upTo: "v1_backups")
            try queue.close()
            let catalog = try SQLiteCatalog(path: path)
            #expect(try await catalog.schemaVersions() == MigrationTests.allVersions)
        }
    }
}
