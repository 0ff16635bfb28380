import BackupModels
import Foundation
import GRDB
import RemoteStorage
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

@Suite("SQLite source")
struct SQLiteSourceTests {
    /// Reads a prepared stream into a file and opens it.
    func copy(_ prepared: PreparedBackup, to path: String) async throws -> DatabaseQueue {
        var bytes: [UInt8] = []
        for try await chunk in prepared.stream { bytes += chunk }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try DatabaseQueue(path: path)
    }

    @Test("the copy is consistent while another connection holds an uncommitted write", arguments: ["wal", "delete"])
    func consistentWhileWriting(_ journalMode: String) async throws {
        let scratch = Scratch("sqlite")
        let path = scratch.sub("app.db")
        let database = try DatabaseQueue(path: path)
        try await database.write { db in
            try db.execute(sql: "PRAGMA journal_mode=\(journalMode)")
            try db.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            for index in 0..<1000 { try db.execute(sql: "INSERT INTO t(v) VALUES (?)", arguments: ["row \(index)"]) }
        }

        // Another connection opens a write transaction and keeps it open while the backup runs.
        let writer = try DatabaseQueue(path: path)
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let thread = Thread {
            try? writer.inDatabase { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "INSERT INTO t(v) VALUES ('uncommitted')")
                started.signal()
                release.wait()
                try db.execute(sql: "ROLLBACK")
            }
        }
        thread.start()
        started.wait()
        defer { release.signal() }

        let source = SQLiteSource(SQLiteSourceConfig(name: "app-db", path: path), temporaryDirectory: scratch.path)
        let prepared = try await source.prepare(SourceRequest(kind: .full, logger: Fixture.logger), progress: { _ in })
        defer { prepared.cleanup() }
        let copied = try await copy(prepared, to: scratch.sub("copy.db"))
        let (count, uncommitted, integrity) = try await copied.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM t") ?? -1,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM t WHERE v = 'uncommitted'") ?? -1,
                try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? ""
            )
        }
        #expect(count == 1000)
        #expect(uncommitted == 0)
        #expect(integrity == "ok")
        #expect(try prepared.outcome().position?.extra["file_name"] == "app.db")
    }

    @Test("temporary copies are removed after the backup, and a file that is not a database is a clear error")
    func cleanupAndErrors() async throws {
        let scratch = Scratch("sqlite")
        try scratch.write("not.db", "this is not a database, just text that is long enough to have a header")
        let source = SQLiteSource(SQLiteSourceConfig(name: "app-db", path: scratch.sub("not.db")), temporaryDirectory: scratch.path)
        await #expect {
            _ = try await source.prepare(SourceRequest(kind: .full, logger: Fixture.logger), progress: { _ in })
        } throws: { error in
            guard let error = error as? SourceError else { return false }
            return error.code == .database && error.path == scratch.sub("not.db")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasPrefix("backupkit-sqlite-") }
        #expect(leftovers.isEmpty)

        let missing = SQLiteSource(SQLiteSourceConfig(name: "app-db", path: scratch.sub("missing.db")))
        await #expect {
            _ = try await missing.prepare(SourceRequest(kind: .full, logger: Fixture.logger), progress: { _ in })
        } throws: { ($0 as? SourceError)?.code == .missingPath }
    }
}
