import ArtifactFormat
package import BackupModels
import BackupSupport
import Foundation
package import Logging
import RemoteStorage

extension MySQLSource {
    /// The dump tool's arguments after the connection arguments.
    package static func dumpArguments(
        toolVersion: String, binaryLogging: Bool, databases: [String], excludeTables: [String]
    ) -> [String] {
        var arguments = ["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--quick"]
        if binaryLogging {
            arguments.append(usesSourceData(toolVersion: toolVersion) ? "--source-data=2" : "--master-data=2")
        }
        arguments += excludeTables.map { "--ignore-table=\($0)" }
        arguments.append("--databases")
        arguments += databases
        return arguments
    }

    /// MySQL's `mysqldump` renamed `--master-data` to `--source-data` in 8.0.26; MariaDB's tools keep
    /// `--master-data`.
    package static func usesSourceData(toolVersion: String) -> Bool {
        guard !toolVersion.contains("MariaDB") else { return false }
        // "mysqldump  Ver 8.0.36 for Linux on x86_64" or "mysqldump  Ver 10.13 Distrib 8.0.36, …".
        let words = toolVersion.split(whereSeparator: { $0 == " " || $0 == "," })
        let versions = words.compactMap { word -> [Int]? in
            let parts = word.split(separator: ".").compactMap { Int($0.prefix { $0.isNumber }) }
            return parts.count >= 3 ? parts : nil
        }
        guard let version = versions.last else { return false }
        return version.lexicographicallyPrecedes([8, 0, 26]) == false
    }

    package func prepareFull(
        connection: MySQLConnection, optionFile: OptionFile, tool: String, server: ServerFacts,
        progress: @escaping @Sendable (SourceProgress) -> Void, logger: Logger
    ) async throws -> PreparedBackup {
        let version = try await toolVersion(tool, connection: connection)
        let arguments =
            connection.arguments(optionFile)
            + Self.dumpArguments(
                toolVersion: version, binaryLogging: server.binaryLogging, databases: server.databases,
                excludeTables: config.excludeTables)
        logger.info(
            "dumping", metadata: ["tool": "\(tool)", "databases": "\(server.databases.joined(separator: ","))"])
        let child = try ChildProcess(
            executable: tool, arguments: arguments, environment: connection.environment, priority: connection.priority)
        let coordinates = Shared(DumpCoordinates())
        let tableRows = Shared([String: Int64]())
        let read = Shared(Int64(0))
        let started = Shared(false)
        let sourceName = name
        let binaryLogging = server.binaryLogging
        let stream = ByteStream {
            let first = started.withLock { state -> Bool in
                defer { state = true }
                return !state
            }
            return {
                guard first, let output = child.output else {
                    throw MySQLError(code: .dumpFailed, subject: sourceName, message: "a dump stream can be read only once")
                }
                if let chunk = try await output.next() {
                    read.withLock { $0 += Int64(chunk.count) }
                    progress(SourceProgress(bytes: Int64(chunk.count)))
                    return chunk
                }
                let status = await child.waitForExit()
                let errors = await child.errorText()
                guard status == 0 else {
                    throw connection.failure(tool: child.name, status: status, errorText: errors, code: .dumpFailed)
                }
                return nil
            }
        }
        .transformed { DumpPositionScanner(into: coordinates) }
        .transformed { DumpRowCounter(into: tableRows) }
        let databases = server.databases
        let excluded = config.excludeTables
        let notes: [String] = []
        return PreparedBackup(
            stream: stream, fileExtension: "sql", expectedBytes: nil, expectedFiles: databases.count,
            outcome: {
                let found = coordinates.value
                if binaryLogging && found.binlogFile == nil {
                    throw MySQLError(
                        code: .dumpFailed, subject: sourceName,
                        message: "the dump holds no CHANGE MASTER TO line, so its binary log position is unknown")
                }
                let position = MySQLSource.dumpPosition(
                    file: found.binlogFile, position: found.binlogPosition, gtidSet: found.gtidSet, fileName: "\(sourceName).sql",
                    serverVersion: server.version, databases: databases, excluded: excluded, extra: ["tool": version])
                return SourceOutcome(
                    notes: notes, position: position, filesTotal: databases.count, filesStored: databases.count, bytesRead: read.value,
                    tableRows: tableRows.value)
            },
            cleanup: {
                child.terminate()
                optionFile.remove()
            })
    }

    /// Where a full dump's snapshot sits, with what a restore needs to know about the dump: its file
    /// name, the server version, the databases and the tables left out, and `extra` facts.
    package static func dumpPosition(
        file: String?, position: Int64?, gtidSet: String?, fileName: String, serverVersion: String, databases: [String],
        excluded: [String], extra more: [String: String]
    ) -> SourcePosition {
        var extra = more.merging(["file_name": fileName, "server_version": serverVersion]) { _, fixed in fixed }
        extra["databases"] = databases.joined(separator: ",")
        if !excluded.isEmpty { extra["excluded_tables"] = excluded.joined(separator: ",") }
        return SourcePosition(binlogFile: file, binlogPosition: position, gtidSet: gtidSet, extra: extra)
    }

    /// The first line of `tool --version`.
    package func toolVersion(_ tool: String, connection: MySQLConnection) async throws -> String {
        let child = try ChildProcess(executable: tool, arguments: ["--version"], environment: connection.environment)
        let output = try await child.collectOutput() ?? []
        _ = await child.waitForExit()
        _ = await child.errorText()
        let text = String(decoding: output, as: UTF8.self)
        return text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }
}
