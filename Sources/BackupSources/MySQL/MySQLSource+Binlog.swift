import ArtifactFormat
import BackupModels
import BackupSupport
import Foundation
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension MySQLSource {
    /// Flushes the binary logs and copies every closed log from the parent's file on, as raw files in
    /// a private folder, then streams them as one tar archive.
    package func prepareIncremental(
        _ request: SourceRequest, connection: MySQLConnection, optionFile: OptionFile, tool: String,
        progress: @escaping @Sendable (SourceProgress) -> Void
    ) async throws -> PreparedBackup {
        guard let parent = request.parentRecord else {
            throw MySQLError(code: .brokenChain, subject: name, message: "an incremental needs a parent backup")
        }
        let before = try await binaryLogs(connection, optionFile: optionFile)
        if let problem = Self.chainProblem(parent: parent, available: before.map(\.name)) {
            throw MySQLError(code: .brokenChain, subject: name, message: problem)
        }
        _ = try await connection.query("FLUSH BINARY LOGS;", optionFile: optionFile)
        let status = try await connection.query("SHOW MASTER STATUS;", optionFile: optionFile)
        guard let row = status.first, let current = row.first ?? nil else {
            throw MySQLError(code: .binaryLoggingOff, subject: name, message: "SHOW MASTER STATUS returned nothing")
        }
        let logs = try await binaryLogs(connection, optionFile: optionFile)
        guard let parentFile = parent.position?.binlogFile, let start = logs.firstIndex(where: { $0.name == parentFile }) else {
            throw MySQLError(
                code: .brokenChain, subject: name,
                message: Self.chainProblem(parent: parent, available: logs.map(\.name)) ?? "the parent's binary log vanished")
        }
        guard let end = logs.firstIndex(where: { $0.name == current }), end > start else {
            throw MySQLError(
                code: .server, subject: name, message: "after FLUSH BINARY LOGS the current log \(current) does not follow \(parentFile)")
        }
        let closed = Array(logs[start..<end])

        let folder = try makeCopyFolder()
        do {
            let arguments =
                connection.arguments(optionFile) + ["--read-from-remote-server", "--raw", "--result-file=\(folder)/"]
                + closed.map(\.name)
            let child = try ChildProcess(
                executable: tool, arguments: arguments, environment: connection.environment, output: .discard,
                priority: connection.priority)
            let exit = await child.waitForExit()
            let errors = await child.errorText()
            guard exit == 0 else { throw connection.failure(tool: child.name, status: exit, errorText: errors, code: .dumpFailed) }
            for log in closed {
                let path = folder + "/" + log.name
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
                guard let size, log.size == 0 || size == log.size else {
                    throw MySQLError(
                        code: .dumpFailed, subject: name,
                        message: "copied binary log \(log.name) has \(size.map(String.init) ?? "no") bytes; the server lists \(log.size)")
                }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }

        let position = SourcePosition(
            binlogFile: current, binlogPosition: row.count > 1 ? Int64(row[1] ?? "") : nil,
            gtidSet: nil, extra: ["first_binlog": closed.first?.name ?? "", "last_binlog": closed.last?.name ?? ""])
        let archive = BinlogArchive(folder: folder, names: closed.map(\.name), progress: progress)
        let sourceName = name
        return PreparedBackup(
            stream: archive.stream(source: sourceName), fileExtension: "binlog.tar",
            expectedBytes: closed.reduce(0) { $0 + $1.size }, expectedFiles: closed.count,
            outcome: {
                let entries = try archive.entries()
                return SourceOutcome(
                    files: entries, notes: [], position: position, filesTotal: entries.count, filesStored: entries.count,
                    bytesRead: entries.reduce(0) { $0 + $1.size })
            },
            cleanup: {
                try? FileManager.default.removeItem(atPath: folder)
                optionFile.remove()
            })
    }

    private func makeCopyFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/backupkit-binlog-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw MySQLError(
                code: .dumpFailed, subject: name,
                message: "cannot create a temporary folder in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))")
        }
        return String(cString: created)
    }
}
