import BackupCatalog
import BackupModels
import Foundation
import Logging
import RemoteStorage
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// Full and binlog backups of a real MariaDB, point-in-time restore into a second server, and faults.
@Suite(
    "MySQL backups against MariaDB",
    .enabled(if: MySQLTestServer.isAvailable, "set BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts a server)"))
struct MySQLBackupTests {
    /// An engine over local storage in `scratch` whose MySQL sources read the password from the test's environment.
    static func engine(_ scratch: Scratch, sources: [MySQLSourceConfig], environment: [String: String]) throws -> Engine {
        let plan = BackupPlan(
            name: "db", catalogPath: scratch.sub("store/catalog.sqlite"),
            storage: .local(LocalStorageConfig(path: scratch.sub("store"))), sources: sources.map { .mysql($0) },
            compression: CompressionSettings(algorithm: .zstd, level: 3), retention: nil, timeZoneIdentifier: "UTC")
        var engine = Engine(
            plan: plan, catalog: try SQLiteCatalog(path: plan.catalogPath), storage: try LocalStorage(root: scratch.sub("store")),
            logger: Logger(label: "test"))
        engine.makeSource = { config in
            guard case .mysql(let mysql) = config else { return try SourceRegistry.standard.makeSource(config) }
            return MySQLSource(mysql, environment: environment)
        }
        return engine
    }

    static func storedFiles(_ scratch: Scratch) -> [String] {
        (FileManager.default.enumerator(atPath: scratch.sub("store"))?.compactMap { $0 as? String } ?? [])
            .filter { !$0.hasPrefix("catalog.sqlite") && !$0.hasSuffix(".lock") && ($0.contains(".sql") || $0.contains(".binlog")) }
    }

    @Test("full → changes → incremental → more changes → incremental; restore to a time between them matches the source then")
    func pointInTime() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("pitr")
        try await server.sql(
            """
            CREATE DATABASE \(database);
            CREATE TABLE \(database).accounts (id INT PRIMARY KEY, owner VARCHAR(40), balance DECIMAL(12,2), photo BLOB);
            CREATE TABLE \(database).events (id BIGINT AUTO_INCREMENT PRIMARY KEY, note TEXT);
            USE \(database);
            INSERT INTO \(database).accounts SELECT seq, CONCAT('owner-', seq), seq * 1.5, UNHEX('00FF10') FROM seq_1_to_500;
            INSERT INTO \(database).events (note) SELECT CONCAT('event ', seq) FROM seq_1_to_200;
            """)
        let target = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await target.start()
        let scratch = Scratch("mysql-pitr")
        defer { Task { await target.stop() } }
        let engine = try Self.engine(scratch, sources: [server.config(databases: [database])], environment: server.sourceEnvironment)

        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        #expect(full.kind == .full)
        #expect(full.position?.binlogFile?.hasPrefix("binlog.") == true)
        #expect((full.position?.binlogPosition ?? 0) > 0)
        #expect(full.position?.gtidSet?.isEmpty == false)

        // Changes A, then the first incremental.
        try await server.sql(
            """
            UPDATE \(database).accounts SET balance = balance + 100 WHERE id <= 50;
            DELETE FROM \(database).events WHERE id > 150;
            INSERT INTO \(database).accounts VALUES (1001, 'late', 9.99, NULL);
            """)
        let firstRun = try await engine.backup(BackupRequest(kind: .incremental))
        let first = try #require(firstRun.outcomes.first?.record, "\(String(describing: firstRun.outcomes.first?.error))")
        #expect(first.kind == .incremental)
        #expect(first.parentID == full.id)
        let manifest = try await engine.readManifest(of: first)
        let logs = try #require(manifest.files)
        #expect(!logs.isEmpty)
        #expect(logs.allSatisfy { $0.sha256?.count == 64 && $0.size > 0 }, "each binlog has its own checksum")
        #expect(logs.first?.path == full.position?.binlogFile)

        // More changes in the same second as A would blur the point: wait (by polling the server's clock) for the next second.
        let between = try await server.sql("SELECT UNIX_TIMESTAMP(NOW(6));")
        let instant = Date(timeIntervalSince1970: try #require(Double(between.first?.first??.description ?? "")))
        let expected = try await server.checks([database])
        let status = try await server.sql("SHOW MASTER STATUS;")
        let pointFile = try #require(status.first?.first ?? nil)
        let pointPosition = try #require(Int64(status.first?[1] ?? ""))
        for _ in 0..<100 {
            let now = try await server.sql("SELECT UNIX_TIMESTAMP();")
            if let seconds = Double(now.first?.first??.description ?? ""), seconds > instant.timeIntervalSince1970.rounded(.down) {
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await server.sql(
            """
            USE \(database);
            UPDATE \(database).accounts SET owner = 'changed after the point';
            INSERT INTO \(database).events (note) SELECT 'after' FROM seq_1_to_30;
            DROP TABLE \(database).events;
            """)
        let secondRun = try await engine.backup(BackupRequest(kind: .auto))
        let second = try #require(secondRun.outcomes.first?.record, "\(String(describing: secondRun.outcomes.first?.error))")
        #expect(second.parentID == first.id)
        let final = try await server.checks([database])
        #expect(final != expected)

        let report = try await engine.restoreMySQL(second.id, to: target.target, until: .time(instant))
        #expect(report.chain.map(\.id) == [full.id, first.id, second.id])
        #expect(!report.binlogsReplayed.isEmpty)
        #expect(report.tables == expected, "checksums and row counts equal the source's at the point in time")
        #expect(report.tables.count == 2)

        // The same point given as a binlog position (--stop-position).
        try await target.sql("DROP DATABASE \(database);")
        let byPosition = try await engine.restoreMySQL(
            second.id, to: target.target, until: .position(binlogFile: pointFile, position: pointPosition))
        #expect(byPosition.tables == expected)

        // Every artifact re-reads soundly, the binlog archive included.
        for record in [full, first, second] {
            let verified = try await engine.verify(record.id)
            #expect(verified.isSound, "\(verified.problems)")
        }

        // Everything: into a fresh database name on the same private server is impossible (same names), so drop and replay.
        try await target.sql("DROP DATABASE \(database);")
        let all = try await engine.restoreMySQL(second.id, to: target.target)
        #expect(all.tables == final, "without a point every copied log is replayed")

        // The source server itself is refused unless forced.
        let source = MySQLTarget(host: "localhost", port: server.port, user: server.adminUser, password: server.adminPassword)
        let refused = await #expect(throws: MySQLError.self) { try await engine.restoreMySQL(full.id, to: source) }
        #expect(refused?.code == .restoreRefused)
        try await server.sql("DROP DATABASE \(database);")
    }

    @Test("a wrong password fails the run with a clear error that holds no secret, and nothing is stored")
    func wrongPassword() async throws {
        let server = try #require(MySQLTestServer.shared)
        let scratch = Scratch("mysql-auth")
        var environment = server.sourceEnvironment
        let secret = "Wr0ng-\(UUID().uuidString)"
        environment["BK_TEST_MYSQL_PASSWORD"] = secret
        let engine = try Self.engine(scratch, sources: [server.config(databases: ["mysql"], incremental: .none)], environment: environment)
        let outcome = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first)
        let error = try #require(outcome.error as? MySQLError)
        #expect(error.code == .authentication)
        #expect(error.description.contains("refused user '\(server.user)'"))
        #expect(!error.description.contains(secret))
        #expect(outcome.record == nil)
        let records = try await engine.list()
        #expect(records.allSatisfy { $0.state == .failed })
        #expect(records.allSatisfy { !($0.failureReason ?? "").contains(secret) })
        #expect(Self.storedFiles(scratch).isEmpty)
    }

    @Test("a server killed mid-dump fails the run and commits nothing")
    func serverStoppedMidDump() async throws {
        let server = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await server.start()
        defer { Task { await server.stop() } }
        try await server.sql(
            """
            CREATE DATABASE big;
            CREATE TABLE big.rows (id INT PRIMARY KEY, pad CHAR(200));
            USE big;
            INSERT INTO big.rows SELECT seq, REPEAT('x', 200) FROM seq_1_to_60000;
            """)
        let scratch = Scratch("mysql-kill")
        let (report, engine) = try await server.backupKilledMidDump(databases: ["big"], scratch: scratch)
        let error = try #require(report.outcomes.first?.error as? MySQLError)
        #expect(error.code == .dumpFailed || error.code == .unreachable, "\(error)")
        #expect(report.outcomes.first?.record == nil)
        #expect(try await engine.list(states: [.committed]).isEmpty)
        #expect(Self.storedFiles(scratch).isEmpty, "the partial artifact was removed")
    }

    @Test("a purged binlog is a broken chain; with on_broken_chain: full the run takes a new full and says so")
    func purgedBinlog() async throws {
        let server = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await server.start()
        defer { Task { await server.stop() } }
        try await server.sql("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1);")
        let scratch = Scratch("mysql-purge")
        var environment = ProcessInfo.processInfo.environment
        environment["BK_TEST_MYSQL_PASSWORD"] = server.adminPassword
        var config = MySQLSourceConfig(
            name: "meta", host: "127.0.0.1", port: server.port, user: "bkadmin", passwordEnvironmentVariable: "BK_TEST_MYSQL_PASSWORD",
            databases: ["app"], incremental: .binlog)
        let engine = try Self.engine(scratch, sources: [config], environment: environment)
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        let parentLog = try #require(full.position?.binlogFile)
        try await server.sql("INSERT INTO app.t VALUES (2); FLUSH BINARY LOGS; INSERT INTO app.t VALUES (3); FLUSH BINARY LOGS;")
        let current = try #require(try await server.sql("SHOW MASTER STATUS;").first?.first ?? nil)
        try await server.sql("PURGE BINARY LOGS TO '\(current)';")

        let broken = try #require(try await engine.backup(BackupRequest(kind: .incremental)).outcomes.first)
        let error = try #require(broken.error as? MySQLError)
        #expect(error.code == .brokenChain)
        #expect(error.message.contains(parentLog))
        #expect(error.message.contains("purged"))

        config.onBrokenChain = .full
        let restarting = try Self.engine(scratch, sources: [config], environment: environment)
        let outcome = try #require(try await restarting.backup(BackupRequest(kind: .incremental)).outcomes.first)
        #expect(outcome.record?.kind == .full)
        #expect(outcome.notes.contains { $0.contains("broken chain") && $0.contains(parentLog) })
    }

    @Test("bad input names its cause: unreachable host, missing dump tool, unknown database, binlog incrementals with binlog off")
    func badInput() async throws {
        let server = try #require(MySQLTestServer.shared)
        let scratch = Scratch("mysql-bad")
        func failure(_ config: MySQLSourceConfig, searchPath: String? = nil, environment: [String: String]? = nil) async throws
            -> MySQLError
        {
            var engine = try Self.engine(scratch, sources: [config], environment: environment ?? server.sourceEnvironment)
            engine.makeSource = { _ in MySQLSource(config, searchPath: searchPath, environment: environment ?? server.sourceEnvironment) }
            let outcome = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first)
            return try #require(outcome.error as? MySQLError, "\(String(describing: outcome.error))")
        }

        var unreachable = server.config(databases: ["x"])
        unreachable.port = PrivateMariaDB.freePort()
        let closed = try await failure(unreachable)
        #expect(closed.code == .unreachable)
        #expect(closed.message.contains("127.0.0.1:\(unreachable.port)"))

        let noTool = try await failure(server.config(databases: ["x"]), searchPath: scratch.path)
        #expect(noTool.code == .toolMissing)
        #expect(noTool.message.contains("mariadb-dump nor mysqldump"))

        let unknown = try await failure(server.config(databases: ["no_such_db_\(UUID().uuidString.prefix(6))"]))
        #expect(unknown.code == .unknownDatabase)
        #expect(unknown.message.contains("no_such_db_"))

        let unset = try await failure(server.config(databases: ["x"]), environment: ["PATH": MySQLTestServer.environment["PATH"] ?? ""])
        #expect(unset.code == .invalidConfiguration)
        #expect(unset.message.contains("BK_TEST_MYSQL_PASSWORD"))

        let noBinlog = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await noBinlog.start(binaryLogging: false)
        defer { Task { await noBinlog.stop() } }
        try await noBinlog.sql("CREATE DATABASE app;")
        var environment = ProcessInfo.processInfo.environment
        environment["BK_TEST_MYSQL_PASSWORD"] = noBinlog.adminPassword
        let off = try await failure(
            MySQLSourceConfig(
                name: "meta", host: "127.0.0.1", port: noBinlog.port, user: "bkadmin",
                passwordEnvironmentVariable: "BK_TEST_MYSQL_PASSWORD", databases: ["app"], incremental: .binlog),
            environment: environment)
        #expect(off.code == .binaryLoggingOff)
        #expect(off.message.contains("--log-bin"))
    }

    @Test("require_coverage refuses to run and lists the tables neither backed up nor excluded")
    func requireCoverage() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("cover")
        try await server.sql(
            "CREATE DATABASE \(database); CREATE TABLE \(database).users (id INT); CREATE TABLE \(database).sessions (id INT);")
        let scratch = Scratch("mysql-coverage")
        try scratch.write(
            "schema/001_init.sql",
            """
            CREATE TABLE IF NOT EXISTS `users` (id INT);
            CREATE TABLE `sessions` (id INT); -- excluded below
            CREATE TABLE `planned_table` (id INT);
            """)
        var config = server.config(databases: [database], incremental: .none)
        config.schemaDirectory = scratch.sub("schema")
        config.excludeTables = ["\(database).sessions"]
        config.requireCoverage = true
        let engine = try Self.engine(scratch, sources: [config], environment: server.sourceEnvironment)
        let outcome = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first)
        let error = try #require(outcome.error as? MySQLError)
        #expect(error.code == .coverage)
        #expect(error.message.contains("\(database).planned_table"))
        #expect(!error.message.contains("\(database).users"))

        let report = try #require(try await engine.mysqlCoverage().first)
        #expect(report.tables.first { $0.name == "\(database).users" }?.status == .covered)
        #expect(report.tables.first { $0.name == "\(database).sessions" }?.status == .excluded)
        #expect(report.missing.map(\.name) == ["\(database).planned_table"])

        try await server.sql("CREATE TABLE \(database).planned_table (id INT);")
        let passing = try await engine.backup(BackupRequest(kind: .full))
        #expect(passing.outcomes.first?.record != nil, "\(String(describing: passing.outcomes.first?.error))")
        try await server.sql("DROP DATABASE \(database);")
    }
}

/// Holds a source's stream after its first chunk until opened, so a test can act mid-dump.
final class DumpGate: @unchecked Sendable {
    private let lock = NSLock()
    private var flowing = false
    private var opened = false
    private var flowWaiters: [CheckedContinuation<Void, Never>] = []
    private var openWaiters: [CheckedContinuation<Void, Never>] = []

    func markFlowing() {
        let waiters = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            flowing = true
            defer { flowWaiters = [] }
            return flowWaiters
        }
        waiters.forEach { $0.resume() }
    }

    func waitUntilFlowing() async {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock { () -> Bool in
                if flowing { return true }
                flowWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    func open() {
        let waiters = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            opened = true
            defer { openWaiters = [] }
            return openWaiters
        }
        waiters.forEach { $0.resume() }
    }

    func waitUntilOpen() async {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock { () -> Bool in
                if opened { return true }
                openWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// Wraps a source so its stream pauses at the gate after the first chunk.
struct GatedSource: BackupSource {
    let inner: MySQLSource
    let gate: DumpGate

    var name: String { inner.name }
    var typeName: String { inner.typeName }
    var supportsIncremental: Bool { inner.supportsIncremental }
    var payloadExtensions: [String] { inner.payloadExtensions }

    func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup {
        var prepared = try await inner.prepare(request, progress: progress)
        let upstream = prepared.stream
        let gate = self.gate
        prepared.stream = ByteStream {
            let iterator = IteratorBox(upstream.makeAsyncIterator())
            return {
                let chunk = try await iterator.next()
                if !iterator.paused {
                    iterator.paused = true
                    gate.markFlowing()
                    await gate.waitUntilOpen()
                }
                return chunk
            }
        }
        return prepared
    }
}

private final class IteratorBox: @unchecked Sendable {
    var iterator: ByteStream.AsyncIterator
    var paused = false
    init(_ iterator: ByteStream.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> [UInt8]? { try await iterator.next() }
}
