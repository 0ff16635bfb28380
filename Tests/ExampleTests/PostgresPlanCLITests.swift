import Foundation
import Testing

/// The `backup` example with `catalog: postgres://…`, and `backup catalog migrate`, run as a user would.
@Suite("backup example with a PostgreSQL catalog")
struct PostgresPlanCLITests {
    private static let variable = "BK_TEST_PG_PASSWORD"

    /// The test command's PostgreSQL server, or `nil` after printing why the test does not run.
    static func server() -> PostgresDatabase? {
        guard let server = PostgresDatabase.fromEnvironment() else {
            print("skipped: BACKUPKIT_PG_URL and BACKUPKIT_PG_PASSWORD are not set (scripts/test.sh starts the server)")
            return nil
        }
        return server
    }

    /// The children's environment: the test's own plus the password variable (never set in this process).
    static func environment(_ server: PostgresDatabase, _ overrides: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment[variable] = server.password
        return environment.merging(overrides) { $1 }
    }

    static func writePlan(_ name: String, catalog: String, in sandbox: Sandbox) throws {
        let plan = """
            plan: pgtest
            catalog: \(catalog)
            storage: {type: local, path: ./backups}
            sources:
              - {name: config, type: files, paths: [Examples/sample/config], exclude: ["*.tmp"]}
            """
        try Data(plan.utf8).write(to: URL(fileURLWithPath: sandbox.path(name)))
    }

    @Test("a plan with catalog: postgres://… runs, and list --json shows its committed records")
    func runAndList() async throws {
        guard let server = Self.server() else { return }
        let sandbox = try Sandbox()
        let environment = Self.environment(server)
        try await server.withDatabase { database in
            try Self.writePlan("pg.yaml", catalog: "\(database)\ncatalog_password_env: \(Self.variable)", in: sandbox)
            let run = try await sandbox.backup("run", "--plan", "pg.yaml", "--time", "2026-11-25T01:30:00Z", environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stdout.contains(server.password) && !run.stderr.contains(server.password))
            let list = try await sandbox.backup("list", "--plan", "pg.yaml", "--json", environment: environment)
            #expect(list.status == 0, "\(list.stderr)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["state"] as? String == "committed")
            #expect(rows.first?["source"] as? String == "config")

            // Without the password variable the run fails and says which variable to set.
            let missing = try await sandbox.backup(
                "list", "--plan", "pg.yaml", environment: Self.environment(server, [Self.variable: ""]))
            #expect(missing.status != 0)
            #expect(missing.stderr.contains(Self.variable), "\(missing.stderr)")
        }
    }

    @Test("catalog migrate copies a SQLite catalog; the PostgreSQL plan lists the same records and restores")
    func migrate() async throws {
        guard let server = Self.server() else { return }
        let sandbox = try Sandbox()
        let environment = Self.environment(server)
        try await server.withDatabase { database in
            try Self.writePlan("sqlite.yaml", catalog: "./backups/catalog.sqlite", in: sandbox)
            try Self.writePlan("pg.yaml", catalog: "\(database)\ncatalog_password_env: \(Self.variable)", in: sandbox)
            #expect(try await sandbox.backup("run", "--plan", "sqlite.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
            try Data("service: {port: 9999}\n".utf8).write(
                to: URL(fileURLWithPath: sandbox.path("Examples/sample/config/app.yaml")))
            let second = try await sandbox.backup("run", "--plan", "sqlite.yaml", "--incremental", "--time", "2026-11-25T02:00:00Z")
            #expect(second.status == 0, "\(second.stderr)")

            let migrate = ["catalog", "migrate", "--plan", "sqlite.yaml", "--to", database, "--password-env", Self.variable]
            let migrated = try await runExample(Sandbox.binary, migrate, in: sandbox.root, environment: environment)
            #expect(migrated.status == 0, "\(migrated.stderr)")
            #expect(migrated.stdout.contains("copied 2 records"), "\(migrated.stdout)")
            let again = try await runExample(Sandbox.binary, migrate, in: sandbox.root, environment: environment)
            #expect(again.status != 0)
            #expect(again.stderr.contains("already holds records"))

            let fromSQLite = try await sandbox.backup("list", "--plan", "sqlite.yaml", "--json")
            let fromPostgres = try await sandbox.backup("list", "--plan", "pg.yaml", "--json", environment: environment)
            #expect(fromPostgres.status == 0, "\(fromPostgres.stderr)")
            #expect(fromPostgres.stdout == fromSQLite.stdout)

            let restored = try await sandbox.backup(
                "restore", "--plan", "pg.yaml", "20261125-013000F_20261125-020000I", "--to", "out", environment: environment)
            #expect(restored.status == 0, "\(restored.stderr)")
            let text = try String(contentsOfFile: sandbox.path("out/config/app.yaml"), encoding: .utf8)
            #expect(text == "service: {port: 9999}\n")
        }
    }
}
