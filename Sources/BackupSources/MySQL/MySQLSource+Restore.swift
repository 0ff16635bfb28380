import ArtifactFormat
import BackupCatalog
import BackupModels
import BackupSupport
import Crypto
package import Foundation
public import Logging
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension MySQLSource {
    /// Restores a MySQL backup into a server: loads the chain's full dump, replays the binary logs its
    /// incrementals copied (up to `until`, when given), then reads every restored table's row count and
    /// `CHECKSUM TABLE` from the target.
    ///
    /// Binary logs are replayed with `mariadb-binlog` (or `mysqlbinlog`) piped into the client; a time
    /// is passed as `--stop-datetime` in UTC with `TZ=UTC` in the tool's environment, so events stamped
    /// at or before `until` (one-second resolution) are applied.
    ///
    /// Nothing reaches the target before the chain is checked: the incrementals' binary logs are first
    /// spooled into a private temporary folder (each artifact's size and SHA-256 and each log's own SHA-256
    /// checked), and the full backup's artifact is read once to its end to check its size and SHA-256 before
    /// it is read again into the client. The clients run with `--max-allowed-packet=1G`; the target's global
    /// `max_allowed_packet` must hold the largest statement the logs replay (a `BINLOG` statement carries
    /// all row images of one source statement): it is raised with `SET GLOBAL` when the restore user may,
    /// else the restore is refused, before loading, with the statement an administrator runs.
    ///
    /// - Parameters:
    ///   - id: the backup to restore (a full, or an incremental whose chain is applied).
    ///   - target: the server to load into; the backup's own source server is refused unless `force`.
    ///   - until: where to stop replaying binary logs; all logs of the chain when `nil`.
    /// - Throws: ``SourceError`` `damaged` or `invalidConfiguration`; ``MySQLError`` `restoreRefused`
    ///   (the source server, or a `max_allowed_packet` the user cannot raise), `restoreFailed` (with the first
    ///   error line of the tool that failed first), `toolMissing` or a connection error naming the target.
    public func restore(
        _ chain: RestoreChain, to target: MySQLTarget, until: MySQLRestorePoint? = nil, logger: Logger
    ) async throws -> MySQLRestoreReport {
        let record = chain.newest.record
        let full = try await chain.manifest(of: chain.records[0])
        guard full.sourceType == typeName, full.kind == .full else {
            throw SourceError(
                code: .invalidConfiguration, source: name,
                message: "backup \(record.label) is not a MySQL backup chain (source type \(full.sourceType))")
        }
        if target.isSameServer(host: config.host, port: config.port), !target.force {
            throw MySQLError(
                code: .restoreRefused, subject: target.address,
                message:
                    "\(target.address) is the server source '\(record.source)' backs up; restore into another server, or force it to overwrite the source"
            )
        }
        let records = chain.records
        if case .time(let instant) = until, instant < records[0].startedAt {
            throw MySQLError(
                code: .invalidConfiguration, subject: target.address,
                message:
                    "until \(ISO8601.string(from: instant)) is before full backup \(records[0].label) started (\(ISO8601.string(from: records[0].startedAt))); choose an older full backup"
            )
        }

        let connection = Self.connection(to: target)
        let client = try connection.locate(.client)
        let binlogTool = chain.records.count > 1 ? try connection.locate(.binlog) : nil
        let optionFile = try connection.makeOptionFile()
        defer { optionFile.remove() }
        // Fail early with a clear message when the target cannot be reached.
        _ = try await connection.query("SELECT 1;", optionFile: optionFile)
        logger.info("mysql restore started", metadata: ["backup": "\(record.id)", "target": "\(target.address)"])

        let databases = full.position?.extra["databases"].map { $0.split(separator: ",").map(String.init) } ?? []
        var notes: [String] = []

        // 1. Check the chain before anything reaches the target: spool and check the binary logs, then read
        //    the full backup's artifact once to check its size and SHA-256.
        let folder = try Self.makePrivateFolder(prefix: "backupkit-replay")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var files: [String] = []
        if binlogTool != nil {
            for incremental in records.dropFirst() {
                files += try await extractBinlogs(of: incremental, in: chain, into: folder)
            }
        }
        try await chain.checkPayload(of: records[0])
        logger.info("mysql restore: chain checked", metadata: ["backups": "\(records.count)", "binlogs": "\(files.count)"])

        if case .position(let file, _)? = until, !files.contains(file) {
            throw MySQLError(
                code: .invalidConfiguration, subject: target.address,
                message: "binary log \(file) is not in the chain of \(record.label) (it holds \(files.joined(separator: ", ")))")
        }

        // 2. The target must accept the largest statement the logs replay.
        let needed = files.compactMap { BinlogStatementSize.largestStatement(inBinlogAt: folder + "/" + $0) }.max() ?? 0
        if let note = try await Self.ensureMaxAllowedPacket(
            needed, connection: connection, optionFile: optionFile, user: target.user, backup: record.label.description)
        {
            notes.append(note)
            logger.notice("\(note)")
        }

        // 3. The full dump, streamed into the client (a parallel dump by several clients at once).
        let sessions = max(1, target.parallel ?? full.position?.extra["parallel"].flatMap { Int($0) } ?? 1)
        if full.position?.extra["dump_format"] == "tables" {
            try await loadTableDump(
                of: records[0], in: chain, sessions: sessions, client: client, connection: connection,
                optionFile: optionFile)
        } else {
            try await loadDump(of: records[0], in: chain, client: client, connection: connection, optionFile: optionFile)
        }

        // 4. The binary logs of the incrementals, up to the point.
        var replayed: [String] = []
        if let binlogTool, chain.records.count > 1 {
            // The binary log tool reads local files: no server, no option files.
            var arguments = ["--no-defaults"]
            if let position = full.position?.binlogPosition, files.first == full.position?.binlogFile {
                arguments.append("--start-position=\(position)")
            }
            switch until {
            case .time(let instant)?:
                arguments.append("--stop-datetime=\(Self.binlogDateTime(instant.addingTimeInterval(1)))")
                if let last = records.last, let finished = last.finishedAt, instant > finished {
                    notes.append(
                        "until \(ISO8601.string(from: instant)) is after backup \(last.label) finished; replayed every log it holds")
                }
            case .position(let file, let position)?:
                guard let index = files.firstIndex(of: file) else {
                    throw MySQLError(
                        code: .invalidConfiguration, subject: target.address,
                        message: "binary log \(file) is not in the chain of \(record.label) (it holds \(files.joined(separator: ", ")))")
                }
                files = Array(files[...index])
                arguments.append("--stop-position=\(position)")
            case nil:
                break
            }
            arguments += files.map { folder + "/" + $0 }
            replayed = files
            // One pass per database (`--database` keeps other databases' events out); events of tables
            // the dump excluded fail on the target and are tolerated, anything else fails the restore.
            let excluded = full.position?.extra["excluded_tables"].map { $0.split(separator: ",").map(String.init) } ?? []
            for database in databases {
                notes += try await Self.replay(
                    arguments: ["--no-defaults", "--database=\(database)"] + arguments.dropFirst(), tool: binlogTool, client: client,
                    excludedTables: excluded, connection: connection, optionFile: optionFile)
            }
        }

        logger.info("mysql restore: loaded, checking tables", metadata: ["binlogs": "\(replayed.count)"])
        // 5. What the target holds now, read by as many clients as loaded it (at least two).
        let tables = try await Self.tableChecks(
            databases: databases, connection: connection, optionFile: optionFile, clients: max(2, sessions))
        logger.info("mysql restore finished", metadata: ["tables": "\(tables.count)", "binlogs": "\(replayed.count)"])
        return MySQLRestoreReport(
            target: target.address, chain: records, binlogsReplayed: replayed, until: until, tables: tables, notes: notes)
    }

    /// Streams a full backup's SQL into the client.
    private func loadDump(
        of record: BackupRecord, in chain: RestoreChain, client: String, connection: MySQLConnection, optionFile: OptionFile
    ) async throws {
        try await Self.runClient(client, connection: connection, optionFile: optionFile, loading: "\(record.label)") { child in
            try await chain.withPayload(of: record) { stream in
                for try await chunk in stream { try await child.feed(chunk) }
            }
        }
    }

    /// Starts `client` reading SQL from its standard input, lets `feed` write to it and waits for it.
    /// A client that stopped reading or exited with a failure is reported with its own message, as
    /// loading `what`; when `feed` fails otherwise, the client is stopped.
    package static func runClient(
        _ client: String, extraArguments: [String] = [], connection: MySQLConnection, optionFile: OptionFile,
        loading what: String, feed: (ChildProcess) async throws -> Void
    ) async throws {
        let child = try ChildProcess(
            executable: client,
            arguments: connection.arguments(optionFile) + ["--binary-mode", Self.clientMaxAllowedPacket] + extraArguments,
            environment: connection.environment, input: .pipe, output: .discard)
        var stoppedReading = false
        do {
            try await feed(child)
        } catch is PipeFailure {
            stoppedReading = true  // the client's exit status and message say why
        } catch {
            child.terminate()
            _ = await child.waitForExit()
            throw error
        }
        await child.closeInput()
        let status = await child.waitForExit()
        let errors = await child.errorText()
        guard status == 0, !stoppedReading else {
            let failure = connection.failure(tool: child.name, status: status, errorText: errors, code: .restoreFailed)
            throw MySQLError(code: failure.code, subject: failure.subject, message: "loading \(what): \(failure.message)")
        }
    }

    /// Extracts an incremental's binary logs, checking each against the SHA-256 its manifest lists.
    private func extractBinlogs(of record: BackupRecord, in chain: RestoreChain, into folder: String) async throws -> [String] {
        let manifest = try await chain.manifest(of: record)
        let expected = Dictionary((manifest.files ?? []).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var names: [String] = []
        try await chain.withPayload(of: record) { stream in
            let reader = TarReader(stream)
            while let header = try await reader.nextEntry() {
                let name = header.path
                guard header.type == .file, !name.contains("/"), !name.hasPrefix("."), let entry = expected[name] else {
                    throw SourceError(
                        code: .damaged, source: name, message: "incremental \(record.label) holds an unexpected entry '\(name)'")
                }
                let path = folder + "/" + name
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                    let handle = FileHandle(forWritingAtPath: path)
                else {
                    throw SourceError(code: .io, source: name, path: path, message: "cannot create the file")
                }
                var hasher = SHA256()
                while let chunk = try await reader.readContent() {
                    hasher.update(data: chunk)
                    try handle.write(contentsOf: chunk)
                }
                try handle.close()
                guard hasher.finalize().map({ String(format: "%02x", $0) }).joined() == entry.sha256 else {
                    throw SourceError(
                        code: .damaged, source: name, message: "binary log \(name) in \(record.label) does not match its SHA-256")
                }
                names.append(name)
            }
            try await reader.drain()
        }
        return names
    }

    /// `binlog-tool … | client`, waiting for both; returns notes on tolerated errors.
    ///
    /// - Throws: ``MySQLError`` `restoreFailed` with the first error line of the tool that failed first (a
    ///   client that refused a statement, not the log tool it then stopped with SIGPIPE).
    package static func replay(
        arguments: [String], tool: String, client: String, excludedTables: [String], connection: MySQLConnection,
        optionFile: OptionFile
    ) async throws -> [String] {
        var environment = connection.environment
        environment["TZ"] = "UTC"
        let pipe = Pipe()
        var clientArguments = connection.arguments(optionFile) + ["--binary-mode", Self.clientMaxAllowedPacket]
        if !excludedTables.isEmpty { clientArguments.append("--force") }
        let consumer = try ChildProcess(
            executable: client, arguments: clientArguments, environment: connection.environment, input: .pipeline(pipe),
            output: .discard)
        let producer: ChildProcess
        do {
            producer = try ChildProcess(
                executable: tool, arguments: arguments, environment: environment, input: .none, output: .pipeline(pipe))
        } catch {
            try? pipe.fileHandleForWriting.close()
            consumer.terminate()
            throw error
        }
        try? pipe.fileHandleForWriting.close()
        try? pipe.fileHandleForReading.close()
        // A client that refused a statement exits, and the log tool writing to it then dies of SIGPIPE (or
        // fails with EPIPE): the client's error is the cause.
        let (statuses, first) = await ChildProcess.waitForPipeline([producer, consumer])
        let producerErrors = await producer.errorText()
        // A client echoes a refused statement before its error: the error line may be past the captured start.
        let consumerErrors = await consumer.errorText() + "\n" + consumer.errorTail(waitingAtMost: .seconds(2))
        guard let first else { return [] }
        if first == 0 {
            let failure = connection.failure(tool: producer.name, status: statuses[0], errorText: producerErrors, code: .restoreFailed)
            throw MySQLError(code: failure.code, subject: failure.subject, message: "replaying binary logs: \(failure.message)")
        }
        let errorLines = consumerErrors.split(separator: "\n").filter { $0.hasPrefix("ERROR") }
        let tolerated = errorLines.filter { line in excludedTables.contains { line.contains("'\($0)'") } }
        if statuses[0] == 0, !errorLines.isEmpty, tolerated.count == errorLines.count {
            return ["\(tolerated.count) binary log event(s) of excluded tables were skipped"]
        }
        let failure = connection.failure(tool: consumer.name, status: statuses[1], errorText: consumerErrors, code: .restoreFailed)
        let then = statuses[0] == 0 ? "" : " (\(producer.name) then stopped: \(ChildProcess.describe(statuses[0])))"
        throw MySQLError(code: failure.code, subject: failure.subject, message: "replaying binary logs: \(failure.message)\(then)")
    }

    /// The client's own packet limit: the largest the server allows, so the server's setting decides.
    static let clientMaxAllowedPacket = "--max-allowed-packet=1G"

    /// Makes sure the target's global `max_allowed_packet` is at least `needed` bytes: raises it with
    /// `SET GLOBAL` (new sessions get it) when it is smaller, or refuses with the statement to run when the
    /// user may not.
    ///
    /// - Returns: a note when the value was raised.
    private static func ensureMaxAllowedPacket(
        _ needed: Int64, connection: MySQLConnection, optionFile: OptionFile, user: String, backup: String
    ) async throws -> String? {
        guard needed > 0 else { return nil }
        let rows = try await connection.query("SELECT @@global.max_allowed_packet;", optionFile: optionFile)
        guard let current = rows.first?.first.flatMap({ $0 }).flatMap({ Int64($0) }), current < needed else { return nil }
        // The server takes multiples of 1024, at most 1 GiB.
        let wanted = min((needed + 1023) / 1024 * 1024, 1 << 30)
        let statement = "SET GLOBAL max_allowed_packet = \(wanted);"
        do {
            _ = try await connection.query(statement, optionFile: optionFile)
        } catch {
            throw MySQLError(
                code: .restoreRefused, subject: connection.subject,
                message:
                    "replaying the binary logs of \(backup) needs max_allowed_packet of at least \(wanted) bytes (its largest statement); the target's global value is \(current) and user '\(user)' may not raise it (\(error)). Nothing was loaded. Run as an administrator on \(connection.host):\(connection.port): \(statement) then restore again"
            )
        }
        return "raised the target's global max_allowed_packet from \(current) to \(wanted) bytes for the binary logs' largest statement"
    }

    /// A connection to a restore target; the password reaches the tools through an option file only and is
    /// taken out of their environment.
    package static func connection(to target: MySQLTarget) -> MySQLConnection {
        var environment = ProcessInfo.processInfo.environment
        environment["MYSQL_PWD"] = nil
        if let password = target.password { environment = environment.filter { $0.value != password } }
        return MySQLConnection(
            subject: target.address, host: target.host, port: target.port, user: target.user, password: target.password,
            optionFile: target.optionFile, searchPath: target.searchPath ?? environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            environment: environment)
    }

    /// Which of `databases` exist on `target`.
    ///
    /// - Throws: a connection or client error naming the target.
    package func existingDatabases(_ databases: [String], on target: MySQLTarget) async throws -> [String] {
        guard !databases.isEmpty else { return [] }
        let connection = Self.connection(to: target)
        let optionFile = try connection.makeOptionFile()
        defer { optionFile.remove() }
        let list = databases.map { "'\($0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''"))'" }
        let rows = try await connection.query(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (\(list.joined(separator: ", "))) ORDER BY 1;",
            optionFile: optionFile)
        return rows.compactMap { $0.first ?? nil }
    }

    /// Drops `databases` on a scratch server (a drill's restored copy); a missing database is fine.
    ///
    /// - Throws: ``MySQLError`` `restoreRefused` when the target is this source's own server (even with
    ///   `force`); a connection or client error naming the target.
    package func dropDatabases(_ databases: [String], on target: MySQLTarget) async throws {
        guard !databases.isEmpty else { return }
        guard !target.isSameServer(host: config.host, port: config.port) else {
            throw MySQLError(
                code: .restoreRefused, subject: target.address,
                message: "\(target.address) is the server source '\(name)' backs up; a drill never drops databases there")
        }
        let connection = Self.connection(to: target)
        let optionFile = try connection.makeOptionFile()
        defer { optionFile.remove() }
        let statements = databases.map { "DROP DATABASE IF EXISTS `\($0.replacingOccurrences(of: "`", with: "``"))`;" }
        _ = try await connection.query(statements.joined(separator: " "), optionFile: optionFile)
    }

    /// Row count and `CHECKSUM TABLE` of every base table of `databases` on the server, in the server's order
    /// of database and table names.
    ///
    /// The tables are shared out, by data size, over up to `clients` clients that read at once (each reads
    /// every row of its tables twice: a checksum, then a count): the server is otherwise idle once a
    /// restore loaded it, and one client would use one of its cores.
    package static func tableChecks(
        databases: [String], connection: MySQLConnection, optionFile: OptionFile, clients: Int = 2
    ) async throws -> [MySQLTableCheck] {
        guard !databases.isEmpty else { return [] }
        let list = databases.map { "'\($0.replacingOccurrences(of: "'", with: "''"))'" }.joined(separator: ", ")
        let rows = try await connection.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(DATA_LENGTH, 0) FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (\(list)) ORDER BY 1, 2;",
            optionFile: optionFile)
        let tables = rows.compactMap { row -> TableToCheck? in
            guard row.count >= 3, let database = row[0], let table = row[1] else { return nil }
            return TableToCheck(database: database, table: table, bytes: Int64(row[2] ?? "") ?? 0)
        }.enumerated().map { position, table in
            var table = table
            table.position = position
            return table
        }
        guard !tables.isEmpty else { return [] }
        // Largest first, each to the client with the fewest bytes so far.
        var shares = [[TableToCheck]](repeating: [], count: max(1, min(clients, tables.count)))
        var loads = [Int64](repeating: 0, count: shares.count)
        for table in tables.sorted(by: { $0.bytes > $1.bytes }) {
            let least = loads.indices.min { loads[$0] < loads[$1] } ?? 0
            shares[least].append(table)
            loads[least] += table.bytes
        }
        let checks = try await withThrowingTaskGroup(of: [(Int, MySQLTableCheck)].self) { group in
            for share in shares {
                group.addTask { try await check(share, connection: connection, optionFile: optionFile) }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        return checks.sorted { $0.0 < $1.0 }.map(\.1)
    }

    private struct TableToCheck: Sendable {
        var database: String
        var table: String
        var bytes: Int64
        /// Where the server listed it.
        var position = 0

        var name: String { "\(database).\(table)" }
        var quoted: String { "\(Self.quoted(database)).\(Self.quoted(table))" }

        static func quoted(_ name: String) -> String { "`" + name.replacingOccurrences(of: "`", with: "``") + "`" }
    }

    /// Checksums, then row counts, of `tables` through one client each.
    private static func check(_ tables: [TableToCheck], connection: MySQLConnection, optionFile: OptionFile) async throws
        -> [(Int, MySQLTableCheck)]
    {
        let checksums = try await connection.query(
            "CHECKSUM TABLE \(tables.map(\.quoted).joined(separator: ", "));", optionFile: optionFile)
        let counts = try await connection.query(
            tables.enumerated().map { index, table in "SELECT \(index), COUNT(*) FROM \(table.quoted)" }.joined(separator: " UNION ALL ")
                + ";", optionFile: optionFile)
        var rowsByIndex: [Int: Int64] = [:]
        for row in counts where row.count >= 2 {
            if let index = Int(row[0] ?? ""), let count = Int64(row[1] ?? "") { rowsByIndex[index] = count }
        }
        return tables.enumerated().map { index, table in
            let checksum = checksums.first { ($0.first ?? nil) == table.name }.flatMap { $0.count > 1 ? $0[1] : nil }
            return (table.position, MySQLTableCheck(name: table.name, rows: rowsByIndex[index] ?? 0, checksum: checksum))
        }
    }

    /// `yyyy-MM-dd HH:mm:ss` in UTC, as `--stop-datetime` reads it with `TZ=UTC`.
    package static func binlogDateTime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
            parts.minute ?? 0, parts.second ?? 0)
    }

    package static func makePrivateFolder(prefix: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw SourceError(code: .io, source: "restore", path: NSTemporaryDirectory(), message: "cannot create a temporary folder")
        }
        return String(cString: created)
    }
}
