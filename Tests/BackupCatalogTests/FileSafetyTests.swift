import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Catalog file, modes and errors")
struct FileSafetyTests {
    @Test("missing folders are created 0700 and the file 0600")
    func createsPrivateFiles() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/a/b/catalog.sqlite"
            let catalog = try SQLiteCatalog(path: path)
            try await catalog.insert(Fixture.record())
            func mode(_ path: String) throws -> Int {
                try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
            }
            #expect(try mode(folder + "/a") == 0o700)
            #expect(try mode(folder + "/a/b") == 0o700)
            #expect(try mode(path) == 0o600)
            #expect(try mode(path + "-wal") == 0o600)
        }
    }

    @Test(
        "durability maps to SQLite's synchronous setting",
        arguments: [
            (SQLiteCatalog.Configuration.Durability.full, 2), (.normal, 1),
        ])
    func durability(durability: SQLiteCatalog.Configuration.Durability, pragma: Int) async throws {
        try await withCatalog(.init(durability: durability)) { catalog, _ in
            let value = try await catalog.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(value == pragma)
        }
    }

    @Test("a file that is not a database is refused with the path, and left alone")
    func refusesGarbage() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try garbage.write(to: URL(fileURLWithPath: path))
            let error = await expectCatalogError(.database) { _ = try SQLiteCatalog(path: path) }
            #expect(error?.path == path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
        }
    }

    @Test("database errors after close name the file")
    func errorsNameThePath() async throws {
        try await withCatalog { catalog, path in
            try catalog.close()
            let error = await expectCatalogError(.database) { _ = try await catalog.records(RecordQuery()) }
            #expect(error?.path == path)
            #expect(error?.underlying != nil)
        }
    }

    @Test("the in-memory catalog has the same schema and rules")
    func inMemory() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        #expect(try await catalog.schemaVersions() == MigrationTests.allVersions)
        let record = Fixture.record()
        try await catalog.insert(record)
        await expectCatalogError(.incompleteArtifact) {
            try await catalog.commit(record.id, artifacts: [], position: nil, finishedAt: Fixture.epoch)
        }
        #expect(catalog.path == ":memory:")
    }
}
