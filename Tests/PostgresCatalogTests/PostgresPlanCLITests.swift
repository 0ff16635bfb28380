import BackupCatalog
import Foundation
import PostgresCatalog
import Testing

/// The `backup` example with `catalog: postgres://…`, and `backup catalog migrate`, run as a user would.
@Suite(
    "backup example with a PostgreSQL catalog",
    .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresPlanCLITests {
    let server = PostgresTestServer.shared!

    @Test("a plan with catalog: postgres://… runs, and list --json shows its committed records")
    func runAndList() async throws {
        let database = try await server.createDatabase()
        let sandbox = try CLISandbox(password: server.password)
        do {
            try sandbox.writePlan("pg.yaml", catalog: "\(database)\ncatalog_password_env: BK_TEST_PG_PASSWORD")
            let run = try await sandbox.backup("run", "--plan", "pg.yaml", "--time", "2026-11-25T01:30:00Z")
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stdout.contains(server.password) && !run.stderr.contains(server.password))
            let list = try await sandbox.backup("list", "--plan", "pg.yaml", "--json")
            #expect(list.status == 0, "\(list.stderr)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["state"] as? String == "committed")
            #expect(rows.first?["source"] as? String == "config")

            // Without the password variable the run fails and says which variable to set.
            let missing = try await sandbox.backup(
                "list", "--plan", "pg.yaml", environment: ["BK_TEST_PG_PASSWORD": ""])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("BK_TEST_PG_PASSWORD"), "\(missing.stderr)")
        } catch {
            try? await server.dropDatabase(database)
            throw error
        }
        try await server.dropDatabase(database)
    }

    @Test("catalog migrate copies a SQLite catalog; the PostgreSQL plan lists the same records and restores")
    func migrate() async throws {
        let database = try await server.createDatabase()
        let sandbox = try CLISandbox(password: server.password)
        do {
            try sandbox.writePlan("sqlite.yaml", catalog: "./backups/catalog.sqlite")
            try sandbox.writePlan("pg.yaml", catalog: "\(database)\ncatalog_password_env: BK_TEST_PG_PASSWORD")
            #expect(try await sandbox.backup("run", "--plan", "sqlite.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
            try Data("service: {port: 9999}\n".utf8).write(to: URL(fileURLWithPath: sandbox.path("sample/config/app.yaml")))
            let second = try await sandbox.backup("run", "--plan", "sqlite.yaml", "--incremental", "--time", "2026-11-25T02:00:00Z")
            #expect(second.status == 0, "\(second.stderr)")

            let migrated = try await sandbox.backup(
                "catalog", "migrate", "--plan", "sqlite.yaml", "--to", "\(database)", "--password-env", "BK_TEST_PG_PASSWORD")
            #expect(migrated.status == 0, "\(migrated.stderr)")
            #expect(migrated.stdout.contains("copied 2 records"), "\(migrated.stdout)")
            let again = try await sandbox.backup(
                "catalog", "migrate", "--plan", "sqlite.yaml", "--to", "\(database)", "--password-env", "BK_TEST_PG_PASSWORD")
            #expect(again.status != 0)
            #expect(again.stderr.contains("already holds records"))

            let fromSQLite = try await sandbox.backup("list", "--plan", "sqlite.yaml", "--json")
            let fromPostgres = try await sandbox.backup("list", "--plan", "pg.yaml", "--json")
            #expect(fromPostgres.status == 0, "\(fromPostgres.stderr)")
            #expect(fromPostgres.stdout == fromSQLite.stdout)

            let restored = try await sandbox.backup(
                "restore", "--plan", "pg.yaml", "20261125-013000F_20261125-020000I", "--to", "out")
            #expect(restored.status == 0, "\(restored.stderr)")
            let text = try String(contentsOfFile: sandbox.path("out/config/app.yaml"), encoding: .utf8)
            #expect(text == "service: {port: 9999}\n")
        } catch {
            try? await server.dropDatabase(database)
            throw error
        }
        try await server.dropDatabase(database)
    }
}

/// A scratch folder with the sample configuration, plans written into it, and the `backup` example.
final class CLISandbox {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("backup").path,
            repository + "/.build/debug/backup",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    let root: String
    /// The children's environment: the test's own plus the password variable (never set in this process).
    let environment: [String: String]

    init(password: String) throws {
        root = NSTemporaryDirectory() + "backupkit-pg-cli-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root + "/sample", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.repository + "/Examples/sample/config", toPath: root + "/sample/config")
        var environment = ProcessInfo.processInfo.environment
        environment["BK_TEST_PG_PASSWORD"] = password
        self.environment = environment
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    func writePlan(_ name: String, catalog: String) throws {
        let plan = """
            plan: pgtest
            catalog: \(catalog)
            storage: {type: local, path: ./backups}
            sources:
              - {name: config, type: files, paths: [sample/config], exclude: ["*.tmp"]}
            """
        try Data(plan.utf8).write(to: URL(fileURLWithPath: path(name)))
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the example on a thread of its own (never blocking the concurrency pool), output to files.
    func backup(_ arguments: String..., environment overrides: [String: String] = [:]) async throws -> Result {
        let environment = self.environment.merging(overrides) { $1 }
        let root = root
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let stamp = UUID().uuidString.prefix(8)
                let outputPath = root + "/.stdout-\(stamp)"
                let errorPath = root + "/.stderr-\(stamp)"
                do {
                    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
                    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: Self.binary)
                    process.arguments = arguments
                    process.currentDirectoryURL = URL(fileURLWithPath: root)
                    process.environment = environment
                    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
                    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
                    try spawnLock.withLock { try process.run() }
                    process.waitUntilExit()
                    let stdout = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
                    let stderr = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
                    try? FileManager.default.removeItem(atPath: outputPath)
                    try? FileManager.default.removeItem(atPath: errorPath)
                    continuation.resume(returning: Result(status: process.terminationStatus, stdout: stdout, stderr: stderr))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}

/// One process start at a time in this module (see ExampleTests' `startSerialized`).
private let spawnLock = NSLock()
