import BackupModels
import Foundation

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// The MariaDB server `scripts/services/mariadb.sh` starts, read from its environment variables.
struct MySQLTestServer: Sendable {
    var host: String
    var port: Int
    var user: String
    var password: String
    var adminUser: String
    var adminPassword: String
    /// The server's socket (root through unix_socket), for starting private instances' neighbours.
    var socket: String?

    static let environment = ProcessInfo.processInfo.environment

    static var shared: MySQLTestServer? {
        let env = environment
        guard let host = env["BACKUPKIT_MYSQL_HOST"], let port = env["BACKUPKIT_MYSQL_PORT"].flatMap(Int.init),
            let user = env["BACKUPKIT_MYSQL_USER"], let password = env["BACKUPKIT_MYSQL_PASSWORD"],
            let adminUser = env["BACKUPKIT_MYSQL_ADMIN_USER"], let adminPassword = env["BACKUPKIT_MYSQL_ADMIN_PASSWORD"]
        else { return nil }
        return MySQLTestServer(
            host: host, port: port, user: user, password: password, adminUser: adminUser, adminPassword: adminPassword,
            socket: env["BACKUPKIT_MYSQL_SOCKET"])
    }

    static var isAvailable: Bool { shared != nil }

    /// The environment a source reads its password from: the test's own variable, not the process's.
    var sourceEnvironment: [String: String] {
        var env = Self.environment
        env["BK_TEST_MYSQL_PASSWORD"] = password
        return env
    }

    func config(name: String = "meta", databases: [String], incremental: MySQLSourceConfig.IncrementalMode = .binlog)
        -> MySQLSourceConfig
    {
        MySQLSourceConfig(
            name: name, host: host, port: port, user: user, passwordEnvironmentVariable: "BK_TEST_MYSQL_PASSWORD",
            databases: databases, incremental: incremental)
    }

    /// A connection as the administrator, for fixtures.
    var admin: MySQLConnection {
        var env = Self.environment
        env["MYSQL_PWD"] = nil
        return MySQLConnection(
            subject: "admin", host: host, port: port, user: adminUser, password: adminPassword, optionFile: nil,
            searchPath: env["PATH"] ?? "/usr/bin:/bin", environment: env)
    }

    /// Runs SQL as the administrator and returns the rows.
    @discardableResult
    func sql(_ text: String) async throws -> [[String?]] {
        let connection = admin
        let file = try connection.makeOptionFile()
        defer { file.remove() }
        return try await connection.query(text, optionFile: file)
    }

    /// Row counts and checksums of a database's tables, as the restore reports them.
    func checks(_ databases: [String], on connection: MySQLConnection? = nil) async throws -> [MySQLTableCheck] {
        let connection = connection ?? admin
        let file = try connection.makeOptionFile()
        defer { file.remove() }
        return try await MySQLSource.tableChecks(databases: databases, connection: connection, optionFile: file)
    }

    /// A database name unique to one test.
    static func uniqueDatabase(_ prefix: String) -> String {
        "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// A private `mariadbd` with its own datadir and port, for tests that stop a server or need a
/// second server to restore into. Started with `start()`, stopped with `stop()`; its folder is removed.
final class PrivateMariaDB: @unchecked Sendable {
    let folder: String
    let port: Int
    let socket: String
    let adminPassword = "pw-\(UUID().uuidString.prefix(12))"
    private var process: Process?

    init(port: Int) {
        folder = NSTemporaryDirectory() + "backupkit-mariadb-\(UUID().uuidString.prefix(8))"
        self.port = port
        socket = folder + "/mariadb.sock"
    }

    /// Installs a datadir, starts the server with binary logging on (or off), waits until it answers
    /// and creates an administrator `bkadmin` with ``adminPassword``.
    func start(binaryLogging: Bool = true) async throws {
        // A temporary folder of its own: servers bootstrapped at the same time otherwise collide on
        // the names of their internal temporary tables in /tmp.
        try FileManager.default.createDirectory(atPath: folder + "/tmp", withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = folder + "/tmp"
        let install = try await Self.run(
            "/usr/bin/env",
            [
                "mariadb-install-db", "--no-defaults", "--datadir=\(folder)/data", "--user=root",
                "--auth-root-authentication-method=socket", "--skip-test-db",
            ], environment: environment)
        guard install.status == 0 else {
            let log = folder + "/install.log"
            _ = FileManager.default.createFile(atPath: log, contents: Data(install.output.utf8))
            let errors = install.output.split(separator: "\n").filter { $0.contains("ERROR") || $0.contains("rror:") }
            throw Failure(
                message:
                    "mariadb-install-db failed (status \(install.status)): \(errors.prefix(5).joined(separator: "; ")) (whole output: \(log))"
            )
        }
        var arguments = [
            "mariadbd", "--no-defaults", "--datadir=\(folder)/data", "--port=\(port)", "--bind-address=127.0.0.1",
            "--socket=\(socket)", "--pid-file=\(folder)/server.pid", "--server-id=2", "--user=root",
            "--log-error=\(folder)/error.log", "--innodb-buffer-pool-size=64M", "--tmpdir=\(folder)/tmp",
        ]
        if binaryLogging { arguments += ["--log-bin=\(folder)/data/binlog", "--binlog-format=ROW"] }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = arguments
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        let exited = ExitStatus()
        server.terminationHandler = { exited.finish($0.terminationStatus) }
        try server.run()
        process = server
        for _ in 0..<600 {
            let ping = try await Self.run("/usr/bin/env", ["mariadb-admin", "--no-defaults", "--socket=\(socket)", "--user=root", "ping"])
            if ping.status == 0 {
                let grant = try await Self.run(
                    "/usr/bin/env", ["mariadb", "--no-defaults", "--socket=\(socket)", "--user=root"],
                    input: """
                        CREATE USER 'bkadmin'@'127.0.0.1' IDENTIFIED BY '\(adminPassword)';
                        GRANT ALL PRIVILEGES ON *.* TO 'bkadmin'@'127.0.0.1' WITH GRANT OPTION;
                        """)
                guard grant.status == 0 else { throw Failure(message: "grant failed: \(grant.output)") }
                return
            }
            guard server.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(message: "private mariadbd on port \(port) did not answer; see \(folder)/error.log")
    }

    /// Kills the server at once (SIGKILL) and waits until it exited.
    func kill() async {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// Stops the server and removes its folder.
    func stop() async {
        await kill()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The administrator as a target.
    var target: MySQLTarget { MySQLTarget(host: "127.0.0.1", port: port, user: "bkadmin", password: adminPassword) }

    /// The administrator as a connection, for fixtures and checks.
    var admin: MySQLConnection {
        var env = ProcessInfo.processInfo.environment
        env["MYSQL_PWD"] = nil
        return MySQLConnection(
            subject: "private", host: "127.0.0.1", port: port, user: "bkadmin", password: adminPassword, optionFile: nil,
            searchPath: env["PATH"] ?? "/usr/bin:/bin", environment: env)
    }

    @discardableResult
    func sql(_ text: String) async throws -> [[String?]] {
        let connection = admin
        let file = try connection.makeOptionFile()
        defer { file.remove() }
        return try await connection.query(text, optionFile: file)
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// Runs a command without blocking the cooperative pool; returns its status and combined output.
    static func run(
        _ executable: String, _ arguments: [String], input: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment,
            input: input == nil ? .none : .pipe)
        if let input {
            try? await child.feed(Array(input.utf8))
            await child.closeInput()
        }
        let output = try await child.collectOutput() ?? []
        let status = await child.waitForExit()
        let errors = await child.errorText()
        return (status, String(decoding: output, as: UTF8.self) + errors)
    }

    /// A free TCP port on 127.0.0.1 (bound then released).
    static func freePort() -> Int {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension PrivateMariaDB {
    /// Starts a full backup of `databases` with `parallel` sessions as the administrator, kills the
    /// server once the first bytes of the dump have arrived, and returns the run's report and the engine.
    func backupKilledMidDump(databases: [String], parallel: Int = 1, scratch: Scratch) async throws -> (BackupRunReport, Engine) {
        var environment = ProcessInfo.processInfo.environment
        environment["BK_TEST_MYSQL_PASSWORD"] = adminPassword
        let config = MySQLSourceConfig(
            name: "meta", host: "127.0.0.1", port: port, user: "bkadmin", passwordEnvironmentVariable: "BK_TEST_MYSQL_PASSWORD",
            databases: databases, parallel: parallel)
        var engine = try MySQLBackupTests.engine(scratch, sources: [config], environment: environment)
        let gate = DumpGate()
        let sourceEnvironment = environment
        engine.makeSource = { _ in GatedSource(inner: MySQLSource(config, environment: sourceEnvironment), gate: gate) }
        let gatedEngine = engine
        let run = Task { try await gatedEngine.backup(BackupRequest(kind: .full)) }
        await gate.waitUntilFlowing()
        await kill()
        gate.open()
        return (try await run.value, engine)
    }
}
