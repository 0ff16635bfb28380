import Foundation
import Testing

/// The `backup` example with a `type: mysql` source, against the server `scripts/services/mariadb.sh` starts.
@Suite(
    "backup example with MySQL",
    .enabled(if: MySQLCLIServer.isAvailable, "set BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts a server)"))
struct MySQLCLITests {
    static var environment: (host: String, port: String, user: String)? { MySQLCLIServer.environment }

    /// Writes a plan over one fresh database with a table and a schema folder; returns the database name.
    static func plan(in sandbox: Sandbox, extra: String = "") throws -> String {
        let server = try #require(environment)
        let database = "cli_\(UUID().uuidString.prefix(8).lowercased())"
        let socket = ProcessInfo.processInfo.environment["BACKUPKIT_MYSQL_SOCKET"] ?? ""
        let created = try Sandbox.shell(
            "mariadb --no-defaults --socket='\(socket)' --user=root -e \"CREATE DATABASE \(database); "
                + "CREATE TABLE \(database).users (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO \(database).users VALUES (1,'a'),(2,'b');\" && echo ok"
        )
        try #require(created.output.contains("ok"))
        try FileManager.default.createDirectory(atPath: sandbox.path("schema"), withIntermediateDirectories: true)
        try Data("CREATE TABLE IF NOT EXISTS `users` (id INT);\nCREATE TABLE `audit_log` (id INT);\n".utf8)
            .write(to: URL(fileURLWithPath: sandbox.path("schema/001.sql")))
        let yaml = """
            plan: cli
            catalog: ./backups/catalog.sqlite
            storage: {type: local, path: ./backups}
            sources:
              - {name: meta, type: mysql, host: \(server.host), port: \(server.port), user: \(server.user), password_env: BACKUPKIT_MYSQL_PASSWORD,
                 databases: [\(database)], incremental: binlog, schema_dir: ./schema\(extra)}
            compression: {algorithm: zstd, level: 3}
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: sandbox.path("plan.yaml")))
        return database
    }

    static func drop(_ database: String) throws {
        let socket = ProcessInfo.processInfo.environment["BACKUPKIT_MYSQL_SOCKET"] ?? ""
        try Sandbox.shell("mariadb --no-defaults --socket='\(socket)' --user=root -e 'DROP DATABASE IF EXISTS \(database)'")
    }

    @Test("run --full then --incremental store a dump and a binlog archive; the password appears nowhere")
    func fullThenIncremental() async throws {
        let sandbox = try Sandbox()
        let database = try Self.plan(in: sandbox)
        defer { try? Self.drop(database) }
        let full = try await sandbox.backup("run", "--plan", "plan.yaml", "--full")
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout.contains("stored meta full"))
        #expect(full.stdout.contains(".sql.zst"))
        let incremental = try await sandbox.backup("run", "--plan", "plan.yaml", "--incremental")
        #expect(incremental.status == 0, "\(incremental.stderr)")
        #expect(incremental.stdout.contains("stored meta incremental"))
        #expect(incremental.stdout.contains(".binlog.tar.zst"))
        let password = ProcessInfo.processInfo.environment["BACKUPKIT_MYSQL_PASSWORD"] ?? "unset"
        for output in [full.stdout, full.stderr, incremental.stdout, incremental.stderr] {
            #expect(!output.contains(password))
        }
    }

    @Test("coverage lists covered and missing tables, as text and JSON, and exits 1 while one is missing")
    func coverage() async throws {
        let sandbox = try Sandbox()
        let database = try Self.plan(in: sandbox)
        defer { try? Self.drop(database) }
        let text = try await sandbox.backup("coverage", "--plan", "plan.yaml")
        #expect(text.status == 1)
        #expect(text.stdout.contains("meta: 1 covered, 0 excluded, 1 missing"))
        #expect(text.stdout.contains("MISSING  \(database).audit_log"))
        let json = try await sandbox.backup("coverage", "--plan", "plan.yaml", "--json")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let tables = try #require(reports.first?["tables"] as? [[String: Any]])
        let statuses = Dictionary(
            uniqueKeysWithValues: tables.compactMap { row -> (String, String)? in
                guard let name = row["name"] as? String, let status = row["status"] as? String else { return nil }
                return (name, status)
            })
        #expect(statuses == ["\(database).users": "covered", "\(database).audit_log": "missing"])
    }

    @Test("restore --to-mysql refuses the source server, a password in the URL, and a malformed --until")
    func restoreRefusals() async throws {
        let sandbox = try Sandbox()
        let server = try #require(Self.environment)
        let database = try Self.plan(in: sandbox)
        defer { try? Self.drop(database) }
        #expect(try await sandbox.backup("run", "--plan", "plan.yaml", "--full").status == 0)
        let list = try await sandbox.backup("list", "--plan", "plan.yaml", "--json")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let id = try #require(rows.first?["id"] as? String)

        let source = try await sandbox.backup("restore", "--plan", "plan.yaml", id, "--to-mysql", "mysql://root@localhost:\(server.port)")
        #expect(source.status == 1)
        #expect(source.stderr.contains("restore refused"))
        let withPassword = try await sandbox.backup(
            "restore", "--plan", "plan.yaml", id, "--to-mysql", "mysql://root:hunter2@127.0.0.1:1")
        #expect(withPassword.status == 1)
        #expect(withPassword.stderr.contains("MYSQL_RESTORE_PASSWORD"))
        #expect(!withPassword.stderr.contains("hunter2"))
        let badTime = try await sandbox.backup(
            "restore", "--plan", "plan.yaml", id, "--to-mysql", "mysql://root@127.0.0.1:1", "--until", "yesterday")
        #expect(badTime.status != 0)
        #expect(badTime.stderr.contains("--until 'yesterday' is not an ISO 8601 instant"))
    }
}

/// The shared server's address from `scripts/services/mariadb.sh`'s variables.
enum MySQLCLIServer {
    static var isAvailable: Bool { environment != nil }

    static var environment: (host: String, port: String, user: String)? {
        let env = ProcessInfo.processInfo.environment
        guard let host = env["BACKUPKIT_MYSQL_HOST"], let port = env["BACKUPKIT_MYSQL_PORT"], let user = env["BACKUPKIT_MYSQL_USER"],
            env["BACKUPKIT_MYSQL_PASSWORD"] != nil, env["BACKUPKIT_MYSQL_SOCKET"] != nil
        else { return nil }
        return (host, port, user)
    }
}
