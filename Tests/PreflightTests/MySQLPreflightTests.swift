import BackupCatalog
import BackupModels
import Foundation
import Logging
import Testing

@testable import BackupPlans

/// `backup check` of MySQL sources against the real MariaDB servers the test command starts: the main one
/// (binary logging on, ROW) and two misconfigured ones (scripts/services/mariadb-misconfigured.sh).
@Suite("Preflight: MySQL sources", .serialized)
struct MySQLPreflightTests {
    static let reason = "set BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts MariaDB and writes them)"
    static var hasServer: Bool {
        ["BACKUPKIT_MYSQL_HOST", "BACKUPKIT_MYSQL_PORT", "BACKUPKIT_MYSQL_USER", "BACKUPKIT_MYSQL_PASSWORD", "BACKUPKIT_MYSQL_SOCKET"]
            .allSatisfy { Services.value($0) != nil }
    }

    static func yaml(
        host: String? = nil, port: String? = nil, user: String? = nil, incremental: String = "binlog",
        schedule: String = "schedule: {full: \"30 1 * * *\", incremental: \"0 * * * *\", time_zone: UTC}", extra: String = ""
    ) -> String {
        """
        plan: check-mysql
        catalog: ./catalog.sqlite
        storage: {type: local, path: ./store}
        sources:
          - {name: meta, type: mysql, host: \(host ?? Services.value("BACKUPKIT_MYSQL_HOST") ?? ""),
             port: \(port ?? Services.value("BACKUPKIT_MYSQL_PORT") ?? ""), user: \(user ?? Services.value("BACKUPKIT_MYSQL_USER") ?? ""),
             password_env: CHECK_MYSQL_PASSWORD, incremental: \(incremental)\(extra)}
        \(schedule)
        """
    }

    static var password: String { Services.value("BACKUPKIT_MYSQL_PASSWORD") ?? "" }

    /// Runs SQL as root through the server's socket (statements on standard input, never in argv).
    static func asRoot(_ sql: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["mariadb", "--socket=\(Services.value("BACKUPKIT_MYSQL_SOCKET") ?? "")", "--user=root"]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(sql.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "mariadb as root exited \(process.terminationStatus)")
    }

    @Test("a backup user with the documented grants on a ROW-logging server reports every check ok")
    func correctSetup() async throws {
        guard Self.hasServer else {
            print("skipped: \(Self.reason)")
            return
        }
        let scratch = try PreflightScratch()
        let results = await scratch.check(try scratch.plan(Self.yaml()), environment: ["CHECK_MYSQL_PASSWORD": Self.password])
        #expect(notOK(results).isEmpty, "\(notOK(results))")
        for check in [
            "tools", "connect", "grants", "log_bin", "binlog_format", "binlog_row_image", "binlog_retention", "oldest_binlog", "gtid",
        ] {
            #expect(results.result("source meta", check)?.status == .ok, "source meta \(check)")
        }
        #expect(results.result("source meta", "tools")?.detail.contains("Ver") == true)
        expectNoSecret(results, [Self.password])
    }

    @Test("a user lacking grants fails grants, naming the missing privileges and the GRANT statement")
    func missingGrants() async throws {
        guard Self.hasServer else {
            print("skipped: \(Self.reason)")
            return
        }
        let user = "check_nogrants"
        let password = "pw" + UUID().uuidString.prefix(12).lowercased()
        try Self.asRoot(
            """
            CREATE USER IF NOT EXISTS '\(user)'@'127.0.0.1' IDENTIFIED BY '\(password)';
            ALTER USER '\(user)'@'127.0.0.1' IDENTIFIED BY '\(password)';
            REVOKE ALL PRIVILEGES, GRANT OPTION FROM '\(user)'@'127.0.0.1';
            GRANT SELECT, SHOW VIEW ON *.* TO '\(user)'@'127.0.0.1';
            """)
        let scratch = try PreflightScratch()
        let results = await scratch.check(
            try scratch.plan(Self.yaml(user: user)), environment: ["CHECK_MYSQL_PASSWORD": password])
        let grants = expectFailed(results, "source meta", "grants")
        for privilege in ["TRIGGER", "EVENT", "LOCK TABLES", "RELOAD", "PROCESS", "BINLOG MONITOR", "REPLICATION SLAVE"] {
            #expect(grants?.detail.contains(privilege) == true, "\(privilege) missing from \(String(describing: grants?.detail))")
        }
        #expect(grants?.fix?.contains("GRANT ") == true && grants?.fix?.contains("'\(user)'@'127.0.0.1'") == true)
        // Without BINLOG MONITOR the binary logs cannot be listed either.
        expectFailed(results, "source meta", "oldest_binlog")
        expectNoSecret(results, [password, Self.password])
    }

    @Test("a wrong password fails connect with the fix; the password never appears")
    func wrongPassword() async throws {
        guard Self.hasServer else {
            print("skipped: \(Self.reason)")
            return
        }
        let scratch = try PreflightScratch()
        let wrong = "wrong-\(UUID().uuidString.prefix(8))"
        let results = await scratch.check(try scratch.plan(Self.yaml()), environment: ["CHECK_MYSQL_PASSWORD": wrong])
        let connect = expectFailed(results, "source meta", "connect")
        #expect(connect?.fix?.contains("password_env") == true)
        expectNoSecret(results, [wrong, Self.password])
    }

    @Test("a server with binary logging off fails log_bin for incremental: binlog")
    func binaryLoggingOff() async throws {
        let environment = Services.environment
        guard let port = environment["BACKUPKIT_MYSQL_NOBINLOG_PORT"], let password = environment["BACKUPKIT_MYSQL_NOBINLOG_PASSWORD"]
        else {
            print("skipped: set BACKUPKIT_MYSQL_NOBINLOG_* (scripts/services/mariadb-misconfigured.sh starts that server and writes them)")
            return
        }
        let scratch = try PreflightScratch()
        let results = await scratch.check(
            try scratch.plan(Self.yaml(port: port, user: environment["BACKUPKIT_MYSQL_NOBINLOG_USER"] ?? "backup")),
            environment: ["CHECK_MYSQL_PASSWORD": password])
        let logBin = expectFailed(results, "source meta", "log_bin")
        #expect(logBin?.fix?.contains("log_bin") == true)
        #expect(results.result("source meta", "grants")?.status == .ok, "\(results)")
        // Full dumps alone only warn: they work, without point-in-time restore.
        let fullOnly = await scratch.check(
            try scratch.plan(Self.yaml(port: port, user: environment["BACKUPKIT_MYSQL_NOBINLOG_USER"] ?? "backup", incremental: "none")),
            environment: ["CHECK_MYSQL_PASSWORD": password])
        #expect(fullOnly.result("source meta", "log_bin")?.status == .warning)
        #expect(!fullOnly.hasFailures, "\(notOK(fullOnly))")
    }

    @Test("the newest backup's binary log purged from the server fails oldest_binlog (a warning with on_broken_chain: full)")
    func purgedPosition() async throws {
        guard Self.hasServer else {
            print("skipped: \(Self.reason)")
            return
        }
        let scratch = try PreflightScratch()
        let plan = try scratch.plan(Self.yaml())
        // The catalog records a backup that ended in a log the server no longer has (binlog.000000 sorts
        // before any log a server writes).
        let catalog = try SQLiteCatalog(path: plan.catalogPath)
        let started = Date().addingTimeInterval(-86_400)
        let record = BackupRecord(
            plan: plan.name, source: "meta", kind: .full, label: .full(at: started, in: .gmt), startedAt: started)
        try await catalog.insert(record)
        _ = try await catalog.commit(
            record.id,
            artifacts: [
                ArtifactDescriptor(
                    key: "check-mysql/meta/x.sql.zst", sizeBytes: 10, sha256: String(repeating: "0", count: 64), compression: .zstd)
            ],
            position: SourcePosition(binlogFile: "binlog.000000", binlogPosition: 4), finishedAt: started.addingTimeInterval(60))
        try catalog.close()
        let results = await scratch.check(plan, environment: ["CHECK_MYSQL_PASSWORD": Self.password])
        let oldest = expectFailed(results, "source meta", "oldest_binlog")
        #expect(oldest?.detail.contains("binlog.000000") == true)
        #expect(oldest?.fix?.contains("backup run --full --source meta") == true)

        let tolerant = await scratch.check(
            try scratch.plan(Self.yaml(extra: ", on_broken_chain: full")), environment: ["CHECK_MYSQL_PASSWORD": Self.password])
        #expect(tolerant.result("source meta", "oldest_binlog")?.status == .warning)
    }

    @Test("binary log retention against the schedule: shorter than the gap fails, under twice warns, forever is ok")
    func retentionVerdicts() {
        #expect(Preflight.retentionVerdict(retentionSeconds: 3600, longestGap: 86_400).status == .failed)
        #expect(Preflight.retentionVerdict(retentionSeconds: 86_400, longestGap: 86_400).status == .failed)
        #expect(Preflight.retentionVerdict(retentionSeconds: 1.5 * 86_400, longestGap: 86_400).status == .warning)
        #expect(Preflight.retentionVerdict(retentionSeconds: 7 * 86_400, longestGap: 86_400).status == .ok)
        #expect(Preflight.retentionVerdict(retentionSeconds: 0, longestGap: 86_400).status == .ok)
        #expect(Preflight.retentionVerdict(retentionSeconds: 86_400, longestGap: nil).status == .warning)
        #expect(Preflight.retentionSeconds(["binlog_expire_logs_seconds": "0", "expire_logs_days": "2.000000"]) == 172_800)
        #expect(Preflight.retentionSeconds(["binlog_expire_logs_seconds": "3600", "expire_logs_days": "0"]) == 3600)
    }

    @Test("the longest gap between runs comes from the schedule's expressions")
    func longestGap() throws {
        let scratch = try PreflightScratch()
        var logger = Logger(label: "t")
        logger.logLevel = .critical
        let plan = try scratch.plan(
            Self.yaml(
                host: "127.0.0.1", port: "3306", user: "backup",
                schedule: "schedule: {full: \"30 1 * * 0\", incremental: \"30 1 * * *\", time_zone: UTC}"))
        #expect(Preflight(plan: plan, logger: logger).longestGapBetweenRuns().map { Int($0) } == 86_400)
        let weekly = try scratch.plan(
            Self.yaml(host: "127.0.0.1", port: "3306", user: "backup", schedule: "schedule: {cron: \"0 3 * * 1\", time_zone: UTC}"))
        #expect(Preflight(plan: weekly, logger: logger).longestGapBetweenRuns().map { Int($0) } == 7 * 86_400)
        let none = try scratch.plan(Self.yaml(host: "127.0.0.1", port: "3306", user: "backup", schedule: ""))
        #expect(Preflight(plan: none, logger: logger).longestGapBetweenRuns() == nil)
    }

    @Test("SHOW GRANTS lines parse into privileges by scope, without keeping password hashes")
    func grantParsing() {
        let grants = Preflight.parseGrants([
            "GRANT RELOAD, PROCESS, BINLOG MONITOR ON *.* TO `backup`@`127.0.0.1` IDENTIFIED BY PASSWORD '*ABCDEF0123'",
            "GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `bk_log_search`.* TO `backup`@`127.0.0.1`",
            "GRANT SELECT (`id`, `name`), UPDATE ON `other`.`t` TO `backup`@`127.0.0.1`",
        ])
        #expect(grants["*.*"] == ["RELOAD", "PROCESS", "BINLOG MONITOR"])
        #expect(grants["bk_log_search"] == ["SELECT", "SHOW VIEW", "TRIGGER", "EVENT", "LOCK TABLES"])
        #expect(grants["other.t"] == ["SELECT", "UPDATE"])
        #expect(
            Preflight.missingPrivileges(grants, databases: ["bk_log_search"], binaryLogging: true, incremental: false).isEmpty)
        let everything = Preflight.missingPrivileges(grants, databases: [], binaryLogging: true, incremental: true)
        #expect(everything.map(\.scope) == ["*.*"])
        #expect(everything.first?.privileges == ["SELECT", "SHOW VIEW", "TRIGGER", "EVENT", "LOCK TABLES", "REPLICATION SLAVE"])
        #expect(Preflight.missingPrivileges(["*.*": ["ALL PRIVILEGES"]], databases: [], binaryLogging: true, incremental: true).isEmpty)
        #expect(
            Preflight.missingPrivileges(
                [
                    "*.*": [
                        "SELECT", "SHOW VIEW", "TRIGGER", "EVENT", "LOCK TABLES", "RELOAD", "PROCESS", "REPLICATION CLIENT",
                        "REPLICATION SLAVE",
                    ]
                ],
                databases: [], binaryLogging: true, incremental: true
            ).isEmpty)
    }
}

extension MySQLPreflightTests {
    @Test("require_coverage: a table of the schema files missing on the server fails coverage, naming it")
    func coverage() async throws {
        guard Self.hasServer else {
            print("skipped: \(Self.reason)")
            return
        }
        let database = "check_cover_" + UUID().uuidString.prefix(8).lowercased()
        try Self.asRoot("CREATE DATABASE \(database); CREATE TABLE \(database).users (id INT);")
        let scratch = try PreflightScratch()
        try scratch.write(
            "schema/001_init.sql", "CREATE TABLE IF NOT EXISTS `users` (id INT);\nCREATE TABLE `planned_table` (id INT);\n")
        let plan = try scratch.plan(
            Self.yaml(incremental: "none", extra: ", databases: [\(database)], schema_dir: ./schema, require_coverage: true"))
        let results = await scratch.check(plan, environment: ["CHECK_MYSQL_PASSWORD": Self.password])
        let coverage = expectFailed(results, "source meta", "coverage")
        #expect(coverage?.detail.contains("\(database).planned_table") == true, "\(String(describing: coverage))")
        #expect(coverage?.detail.contains("\(database).users") == false)

        try Self.asRoot("CREATE TABLE \(database).planned_table (id INT);")
        let covered = await scratch.check(plan, environment: ["CHECK_MYSQL_PASSWORD": Self.password])
        #expect(covered.result("source meta", "coverage")?.status == .ok, "\(covered)")
        try Self.asRoot("DROP DATABASE \(database);")
    }
}

extension MySQLPreflightTests {
    @Test("a server keeping binary logs one hour, in STATEMENT format with MINIMAL images: retention fails against a daily schedule")
    func shortRetention() async throws {
        let environment = Services.environment
        guard let port = environment["BACKUPKIT_MYSQL_SHORTBINLOG_PORT"],
            let password = environment["BACKUPKIT_MYSQL_SHORTBINLOG_PASSWORD"]
        else {
            print(
                "skipped: set BACKUPKIT_MYSQL_SHORTBINLOG_* (scripts/services/mariadb-misconfigured.sh starts that server and writes them)")
            return
        }
        let user = environment["BACKUPKIT_MYSQL_SHORTBINLOG_USER"] ?? "backup"
        let scratch = try PreflightScratch()
        let daily = await scratch.check(
            try scratch.plan(Self.yaml(port: port, user: user, schedule: "schedule: {cron: \"30 1 * * *\", time_zone: UTC}")),
            environment: ["CHECK_MYSQL_PASSWORD": password])
        let retention = expectFailed(daily, "source meta", "binlog_retention")
        #expect(
            retention?.detail.contains("kept 1h") == true && retention?.detail.contains("1d apart") == true,
            "\(String(describing: retention))")
        #expect(daily.result("source meta", "binlog_format")?.status == .warning)
        #expect(daily.result("source meta", "binlog_row_image")?.status == .warning)
        #expect(daily.result("source meta", "log_bin")?.status == .ok)
        expectNoSecret(daily, [password])

        // Incrementals every 15 minutes fit in an hour of logs.
        let frequent = await scratch.check(
            try scratch.plan(Self.yaml(port: port, user: user, schedule: "schedule: {cron: \"*/15 * * * *\", time_zone: UTC}")),
            environment: ["CHECK_MYSQL_PASSWORD": password])
        #expect(frequent.result("source meta", "binlog_retention")?.status == .ok, "\(frequent)")
    }
}

extension MySQLPreflightTests {
    @Test("without the client tools on PATH, tools fails naming the package to install")
    func missingTools() async throws {
        let scratch = try PreflightScratch()
        let plan = try scratch.plan(Self.yaml(host: "127.0.0.1", port: "3306", user: "backup"))
        let results = await scratch.check(plan, environment: ["PATH": scratch.folder, "CHECK_MYSQL_PASSWORD": "unused"])
        let tools = expectFailed(results, "source meta", "tools")
        #expect(tools?.fix?.contains("mariadb-client") == true)
        #expect(results.result("source meta", "connect") == nil)
    }
}
