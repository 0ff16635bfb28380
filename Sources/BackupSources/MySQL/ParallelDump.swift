import ArtifactFormat
import BackupModels
import BackupSupport
import Foundation
package import Logging
package import RemoteStorage

/// A full backup taken by several sessions at once inside one consistent snapshot, the way mydumper
/// does it, streamed as one tar archive:
///
/// 1. a coordinator session takes `FLUSH TABLES WITH READ LOCK`;
/// 2. every worker session starts `START TRANSACTION WITH CONSISTENT SNAPSHOT` under that lock, so
///    all of them see the same committed state;
/// 3. the coordinator reads the binary log position of that state and releases the lock (writes are
///    blocked only for these few round trips);
/// 4. the workers take tables, largest first, and the server prints each row as an SQL literal list
///    that becomes multi-row `INSERT` statements in segments of a few MiB.
///
/// The archive holds `schema.sql` (`mariadb-dump --no-data` with routines and events, no triggers),
/// the segments under `data/`, and `triggers.sql` last, so a restore creates triggers after the rows
/// are in and they do not fire on restored rows.
package final class ParallelDump: Sendable {
    package struct Settings: Sendable {
        package var sourceName: String
        package var connection: MySQLConnection
        package var optionFile: OptionFile
        package var client: String
        package var dumpTool: String
        package var databases: [String]
        package var excludedTables: [String]
        package var tables: [DumpTable]
        package var parallel: Int
        package var isMariaDB: Bool
        package var logger: Logger
        package var statementLimit = 1 << 20
        package var segmentLimit = 2 << 20
    }

    /// What the dump found out, read once the stream ended.
    package struct Result: Sendable {
        package var binlogFile: String?
        package var binlogPosition: Int64?
        package var gtidSet: String?
        package var rows: Int64 = 0
        /// Rows of each table (`database.table`), as the snapshot held them.
        package var tableRows: [String: Int64] = [:]
        package var bytes: Int64 = 0
        package var segments = 0
        package var tablesDumped = 0
        package var lockHeld: Duration = .zero
    }

    package let settings: Settings
    private let progress: @Sendable (SourceProgress) -> Void
    private let queue: BoundedQueue<DumpSegment>
    private let nextTable = Shared(0)
    private let sessions = Shared([MySQLSession]())
    private let workers = Shared<Task<Void, Never>?>(nil)
    private let found = Shared(Result())
    private let started = Shared(false)

    package init(_ settings: Settings, progress: @escaping @Sendable (SourceProgress) -> Void) {
        var settings = settings
        settings.tables.sort { $0.estimatedBytes > $1.estimatedBytes }
        self.settings = settings
        self.progress = progress
        queue = BoundedQueue(capacity: settings.parallel)
    }

    /// The archive; it can be read once.
    package func stream() -> ByteStream {
        ByteStream { [self] in
            let first = started.withLock { state -> Bool in
                defer { state = true }
                return !state
            }
            let reader = first ? Reader(dump: self) : nil
            return {
                guard let reader else {
                    throw MySQLError(code: .dumpFailed, subject: self.settings.sourceName, message: "a dump stream can be read only once")
                }
                return try await reader.next()
            }
        }
    }

    /// What the dump found, once the stream was read to its end.
    package var result: Result { found.value }

    /// Stops every session and the workers (the server rolls back their transactions).
    package func terminate() {
        workers.withLock { $0?.cancel() }
        queue.fail(CancellationError())
        for session in sessions.value { session.terminate() }
    }

    // MARK: - Snapshot

    /// Steps 1–3: the lock, the workers' transactions, the position, the unlock. The sessions
    /// connect and set themselves up before the lock, so writes wait only for the transactions to
    /// start and the position to be read.
    fileprivate func openSnapshot() async throws -> [MySQLSession] {
        let noStatementLimit = settings.isMariaDB ? " SET SESSION max_statement_time = 0;" : ""
        var workers: [MySQLSession] = []
        for _ in 0..<settings.parallel { workers.append(try session()) }
        try await Self.runEverywhere(
            "SET SESSION time_zone = '+00:00', net_write_timeout = 3600, net_read_timeout = 3600;\(noStatementLimit)"
                + " SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;", on: workers)
        let coordinator = try session()
        _ = try await coordinator.run("SET SESSION lock_wait_timeout = 60;\(noStatementLimit) FLUSH TABLES WITH READ LOCK;")
        let locked = ContinuousClock.now
        try await Self.runEverywhere("START TRANSACTION WITH CONSISTENT SNAPSHOT;", on: workers)
        let status = try await coordinator.run("SHOW MASTER STATUS;")
        var gtid: String? = nil
        if settings.isMariaDB {
            gtid = try await coordinator.run("SELECT @@GLOBAL.gtid_binlog_pos;").first?.first
        } else if let row = status.first, row.count > 4 {
            gtid = row[4]
        }
        _ = try await coordinator.run("UNLOCK TABLES;")
        let held = ContinuousClock.now - locked
        try await coordinator.close()
        found.withLock { result in
            if let row = status.first, row.count >= 2 {
                result.binlogFile = row[0]
                result.binlogPosition = Int64(row[1])
            }
            result.gtidSet = gtid.flatMap { $0.isEmpty ? nil : $0 }
            result.lockHeld = held
        }
        settings.logger.info(
            "consistent snapshot taken",
            metadata: ["sessions": "\(workers.count)", "lock_held_ms": "\(Self.milliseconds(held))"])
        return workers
    }

    /// Runs `sql` on every session at once.
    private static func runEverywhere(_ sql: String, on sessions: [MySQLSession]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for session in sessions { group.addTask { _ = try await session.run(sql) } }
            try await group.waitForAll()
        }
    }

    /// Whole milliseconds of `duration`.
    package static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    private func session() throws -> MySQLSession {
        let session = try MySQLSession(client: settings.client, connection: settings.connection, optionFile: settings.optionFile)
        sessions.withLock { $0.append(session) }
        return session
    }

    // MARK: - Workers

    /// Step 4 in a task of its own: each worker takes the next table until none is left, then
    /// commits; the queue ends when all are done, or fails with the first error.
    fileprivate func startWorkers(_ workerSessions: [MySQLSession]) {
        let task = Task { [self] in
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for session in workerSessions { group.addTask { try await self.work(session) } }
                    try await group.waitForAll()
                }
                queue.finish()
            } catch {
                queue.fail(error)
                for session in workerSessions { session.terminate() }
            }
        }
        workers.withLock { $0 = task }
    }

    private func work(_ session: MySQLSession) async throws {
        while let table = takeTable() {
            try Task.checkCancellation()
            var segmenter = InsertSegmenter(
                table: table, statementLimit: settings.statementLimit, segmentLimit: settings.segmentLimit)
            var bytes: Int64 = 0
            try await session.stream(table.selectStatement) { rows in
                bytes += Int64(rows.count)
                progress(SourceProgress(bytes: Int64(rows.count)))
                for segment in segmenter.append(rows) { try await queue.send(segment) }
            }
            if let last = segmenter.finish() { try await queue.send(last) }
            progress(SourceProgress(files: 1))
            found.withLock { result in
                result.rows += segmenter.rows
                result.tableRows[table.qualifiedName] = segmenter.rows
                result.bytes += bytes
                result.segments += segmenter.segments
                result.tablesDumped += 1
            }
        }
        _ = try await session.run("COMMIT;")
        try await session.close()
    }

    private func takeTable() -> DumpTable? {
        nextTable.withLock { index in
            guard index < settings.tables.count else { return nil }
            defer { index += 1 }
            return settings.tables[index]
        }
    }

    // MARK: - Schema and triggers

    /// `schema.sql`: databases, tables, views, routines and events, without rows or triggers.
    fileprivate func schema() async throws -> [UInt8] {
        try await capture([
            "--no-data", "--skip-triggers", "--routines", "--events", "--skip-lock-tables", "--skip-add-locks",
        ])
    }

    /// `triggers.sql`: only the triggers.
    fileprivate func triggers() async throws -> [UInt8] {
        try await capture([
            "--no-data", "--no-create-info", "--no-create-db", "--skip-routines", "--skip-events", "--triggers",
            "--skip-lock-tables",
        ])
    }

    private func capture(_ options: [String]) async throws -> [UInt8] {
        let arguments =
            settings.connection.arguments(settings.optionFile) + options + settings.excludedTables.map { "--ignore-table=\($0)" }
            + ["--databases"] + settings.databases
        let child = try ChildProcess(
            executable: settings.dumpTool, arguments: arguments, environment: settings.connection.environment,
            priority: settings.connection.priority)
        guard let output = try await child.collectOutput(limit: 256 << 20) else {
            throw MySQLError(code: .dumpFailed, subject: settings.sourceName, message: "the schema dump exceeds 256 MiB")
        }
        let status = await child.waitForExit()
        let errors = await child.errorText()
        guard status == 0 else {
            throw settings.connection.failure(tool: child.name, status: status, errorText: errors, code: .dumpFailed)
        }
        return output
    }

    // MARK: - Reading

    /// One reading of the archive: the snapshot on the first call, then schema, segments, triggers
    /// and the end-of-archive blocks.
    private final class Reader: Sendable {
        private enum Phase: Sendable {
            case start, data, triggers, end, done
        }

        private struct State: Sendable {
            var phase = Phase.start
            var pending: [[UInt8]] = []
        }

        private let dump: ParallelDump
        private let state = Shared(State())

        init(dump: ParallelDump) { self.dump = dump }

        func next() async throws -> [UInt8]? {
            while true {
                let (chunk, phase) = state.withLock { state -> ([UInt8]?, Phase) in
                    state.pending.isEmpty ? (nil, state.phase) : (state.pending.removeFirst(), state.phase)
                }
                if let chunk { return chunk }
                switch phase {
                case .start:
                    let sessions = try await dump.openSnapshot()
                    dump.startWorkers(sessions)
                    let schema = try await dump.schema()
                    advance(to: .data, adding: Self.entry("schema.sql", schema))
                case .data:
                    if let segment = try await dump.queue.next() {
                        advance(to: .data, adding: Self.entry(segment.path, segment.content))
                    } else {
                        advance(to: .triggers, adding: [])
                    }
                case .triggers:
                    let triggers = try await dump.triggers()
                    advance(to: .end, adding: Self.entry("triggers.sql", triggers))
                case .end:
                    advance(to: .done, adding: [])
                    return [UInt8](repeating: 0, count: 2 * TarHeader.blockSize)
                case .done:
                    return nil
                }
            }
        }

        private func advance(to phase: Phase, adding chunks: [[UInt8]]) {
            state.withLock { state in
                state.phase = phase
                state.pending += chunks
            }
        }

        static func entry(_ path: String, _ content: [UInt8]) -> [[UInt8]] {
            let header = TarHeader(
                path: path, type: .file, size: Int64(content.count), mode: 0o640, uid: 0, gid: 0,
                mtime: Int64(Date().timeIntervalSince1970), linkTarget: "")
            let padding = TarHeader.padding(Int64(content.count))
            var chunks = [header.encoded()]
            if !content.isEmpty { chunks.append(content) }
            if padding > 0 { chunks.append([UInt8](repeating: 0, count: padding)) }
            return chunks
        }
    }
}
