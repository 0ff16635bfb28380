import ArtifactFormat
public import BackupModels
import BackupSupport
import Foundation
public import Logging
public import RemoteStorage

/// Backs up a MySQL or MariaDB server.
///
/// A full backup is one logical dump by `mariadb-dump` (or `mysqldump`) in a single transaction, with
/// routines, triggers and events, streamed through the pipeline as SQL text; the binary log file,
/// position and GTID state at the dump's snapshot are read from the dump and stored with the record.
/// An incremental (`incremental: binlog`) flushes the binary logs and copies every closed log since
/// its parent's position as raw files in one tar archive whose manifest lists each log's SHA-256.
///
/// The password reaches the tools only through a 0600 option file (`--defaults-extra-file`, removed
/// afterwards) and is taken out of their environment.
public struct MySQLSource: BackupSource {
    /// The plan entry.
    public let config: MySQLSourceConfig
    /// Where the tools are looked up; the process's `PATH` when `nil`.
    public var searchPath: String?
    /// The environment the password variable is read from; the process's environment when `nil`.
    public var environment: [String: String]?
    /// The CPU and I/O priority of the dump and binlog tools (the plan's `limits:`); the server's own
    /// work is not affected.
    public var priority: ChildProcessPriority

    /// Creates a source for a plan entry.
    public init(
        _ config: MySQLSourceConfig, searchPath: String? = nil, environment: [String: String]? = nil,
        priority: ChildProcessPriority = .normal
    ) {
        self.config = config
        self.searchPath = searchPath
        self.environment = environment
        self.priority = priority
    }

    public var name: String { config.name }
    public var typeName: String { "mysql" }
    public var supportsIncremental: Bool { config.incremental == .binlog }
    /// `sql` (a single-stream dump), `tar` (a parallel dump) and `binlog.tar` (an incremental).
    public var payloadExtensions: [String] { ["sql", "tar", "binlog.tar"] }

    /// Parses the tar archive of a parallel dump or an incremental to its end; reads a SQL dump.
    public func verifyPayload(_ payload: ByteStream, of link: RestoreChain.Link) async throws {
        if link.record.kind == .incremental || link.manifest.position?.extra["dump_format"] == "tables" {
            try await TarReader(payload).drain()
        } else {
            for try await _ in payload {}
        }
    }

    /// System schemas never dumped when `databases` is empty.
    package static let systemDatabases: Set<String> = ["information_schema", "performance_schema", "sys", "mysql"]

    package func connection() throws -> MySQLConnection {
        var connection = try MySQLConnection.resolve(
            config, environment: environment ?? ProcessInfo.processInfo.environment, searchPath: searchPath)
        connection.priority = priority
        return connection
    }

    public func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup {
        guard config.parallel >= 1 else {
            throw MySQLError(code: .invalidConfiguration, subject: name, message: "parallel must be at least 1 (is \(config.parallel))")
        }
        for table in config.excludeTables where table.split(separator: ".").count != 2 {
            throw MySQLError(
                code: .invalidConfiguration, subject: name, message: "exclude_tables entry '\(table)' is not of the form database.table")
        }
        let connection = try connection()
        // Find the tools before touching the server, so a missing tool is named as such.
        let dump = try connection.locate(request.kind == .incremental ? .binlog : .dump)
        _ = try connection.locate(.client)
        let optionFile = try connection.makeOptionFile()
        do {
            let server = try await serverFacts(connection, optionFile: optionFile)
            if config.incremental == .binlog && !server.binaryLogging {
                throw MySQLError(
                    code: .binaryLoggingOff, subject: name,
                    message:
                        "the plan asks for binlog incrementals but binary logging is off on \(config.host):\(config.port); start the server with --log-bin (see Documentation/MySQL.md)"
                )
            }
            if config.requireCoverage {
                let report = try await coverage(connection: connection, optionFile: optionFile)
                let missing = report.missing
                if !missing.isEmpty {
                    throw MySQLError(
                        code: .coverage, subject: name,
                        message:
                            "require_coverage is set and \(missing.count) table(s) are neither backed up nor excluded: "
                            + missing.map { "\($0.name) (\($0.reason ?? "missing"))" }.joined(separator: ", "))
                }
            }
            if request.kind == .full, server.databases.isEmpty {
                throw MySQLError(
                    code: .unknownDatabase, subject: name,
                    message: "there is no user database on \(config.host):\(config.port) to back up")
            }
            switch request.kind {
            case .full where config.parallel > 1:
                return try await prepareParallel(
                    connection: connection, optionFile: optionFile, tool: dump, server: server, progress: progress,
                    logger: request.logger)
            case .full:
                return try await prepareFull(
                    connection: connection, optionFile: optionFile, tool: dump, server: server, progress: progress,
                    logger: request.logger)
            case .incremental:
                return try await prepareIncremental(
                    request, connection: connection, optionFile: optionFile, tool: dump, progress: progress)
            }
        } catch {
            optionFile.remove()
            throw error
        }
    }

    public func checkChain(from parent: BackupRecord, logger: Logger) async throws -> ChainDecision {
        let connection = try connection()
        _ = try connection.locate(.client)
        let optionFile = try connection.makeOptionFile()
        defer { optionFile.remove() }
        let logs = try await binaryLogs(connection, optionFile: optionFile)
        guard let problem = Self.chainProblem(parent: parent, available: logs.map(\.name)) else { return .continue }
        switch config.onBrokenChain {
        case .fail:
            throw MySQLError(code: .brokenChain, subject: name, message: problem + "; take a full backup (or set on_broken_chain: full)")
        case .full:
            logger.warning("broken binlog chain; taking a full backup", metadata: ["reason": "\(problem)"])
            return .restartWithFull(note: "broken chain: \(problem); took a full backup instead (on_broken_chain: full)")
        }
    }

    /// Why an incremental cannot build on `parent`, or `nil` when the logs after it are all there.
    package static func chainProblem(parent: BackupRecord, available: [String]) -> String? {
        guard let file = parent.position?.binlogFile else {
            return "parent \(parent.label) recorded no binary log position"
        }
        guard available.contains(file) else {
            let oldest = available.first.map { "the oldest log on the server is \($0)" } ?? "the server lists no binary logs"
            return
                "binary log \(file) recorded by parent \(parent.label) is no longer on the server (\(oldest)); it was purged before it was copied"
        }
        return nil
    }

    /// What the source needs to know about the server before dumping.
    package struct ServerFacts: Sendable {
        package var binaryLogging: Bool
        package var version: String
        package var databases: [String]
    }

    package func serverFacts(_ connection: MySQLConnection, optionFile: OptionFile) async throws -> ServerFacts {
        let rows = try await connection.query(
            "SELECT @@log_bin, @@version; SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME;",
            optionFile: optionFile)
        guard let first = rows.first, first.count >= 2 else {
            throw MySQLError(code: .server, subject: name, message: "the server did not answer SELECT @@log_bin, @@version")
        }
        let existing = rows.dropFirst().compactMap { $0.first ?? nil }
        let missing = config.databases.filter { !existing.contains($0) }
        if !missing.isEmpty {
            throw MySQLError(
                code: .unknownDatabase, subject: name,
                message:
                    "databases \(missing.map { "'\($0)'" }.joined(separator: ", ")) listed in 'databases' do not exist on \(config.host):\(config.port)"
            )
        }
        let databases = config.databases.isEmpty ? existing.filter { !Self.systemDatabases.contains($0) } : config.databases
        return ServerFacts(binaryLogging: first[0] == "1", version: first[1] ?? "", databases: databases)
    }

    /// A binary log as `SHOW BINARY LOGS` lists it.
    package struct BinaryLog: Sendable, Hashable {
        package var name: String
        package var size: Int64
    }

    package func binaryLogs(_ connection: MySQLConnection, optionFile: OptionFile) async throws -> [BinaryLog] {
        let rows = try await connection.query("SHOW BINARY LOGS;", optionFile: optionFile)
        return rows.compactMap { row in
            guard let name = row.first ?? nil else { return nil }
            return BinaryLog(name: name, size: row.count > 1 ? Int64(row[1] ?? "") ?? 0 : 0)
        }
    }
}
