import ArtifactFormat
package import BackupModels
import BackupSupport
import Foundation
import Logging
import RemoteStorage

extension MySQLSource {
    /// Loads a parallel dump (see `ParallelDump`): `schema.sql` through one client, the `data/`
    /// segments through `sessions` clients at once, then `triggers.sql` once every row is in.
    ///
    /// Segments are read from the artifact one at a time (a few MiB each) and handed to the first
    /// free loader; reading waits while all loaders are busy, which bounds memory.
    package func loadTableDump(
        of record: BackupRecord, in chain: RestoreChain, sessions: Int, client: String, connection: MySQLConnection,
        optionFile: OptionFile
    ) async throws {
        let queue = BoundedQueue<[UInt8]>(capacity: sessions)
        let setup = Array(
            "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00', foreign_key_checks = 0, unique_checks = 0;\n"
                .utf8)
        let label = "\(record.label)"
        do {
            try await chain.withPayload(of: record) { stream in
                let reader = TarReader(stream)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var loadersStarted = false
                    var sawSchema = false
                    while let header = try await reader.nextEntry() {
                        var content: [UInt8] = []
                        content.reserveCapacity(Int(min(header.size, 256 << 20)))
                        while let chunk = try await reader.readContent() { content += chunk }
                        switch header.path {
                        case "schema.sql":
                            try await Self.runScript(
                                content, label: "\(label) schema.sql", client: client, connection: connection, optionFile: optionFile)
                            sawSchema = true
                        case "triggers.sql":
                            queue.finish()
                            try await group.waitForAll()
                            try await Self.runScript(
                                content, label: "\(label) triggers.sql", client: client, connection: connection, optionFile: optionFile)
                        default:
                            guard sawSchema, header.path.hasPrefix("data/"), header.type == .file else {
                                throw SourceError(
                                    code: .damaged, source: name, message: "backup \(label) holds an unexpected entry '\(header.path)'")
                            }
                            if !loadersStarted {
                                loadersStarted = true
                                for _ in 0..<sessions {
                                    group.addTask {
                                        try await Self.loadSegments(
                                            from: queue, setup: setup, label: label, client: client, connection: connection,
                                            optionFile: optionFile)
                                    }
                                }
                            }
                            try await queue.send(content)
                        }
                    }
                    queue.finish()
                    try await group.waitForAll()
                    try await reader.drain()
                }
            }
        } catch {
            queue.fail(error)
            throw error
        }
    }

    /// One loader: a client fed segment after segment until the queue ends. Its failure fails the
    /// queue, which stops the reader and the other loaders.
    private static func loadSegments(
        from queue: BoundedQueue<[UInt8]>, setup: [UInt8], label: String, client: String, connection: MySQLConnection,
        optionFile: OptionFile
    ) async throws {
        do {
            try await runClient(
                client, extraArguments: utf8mb4, connection: connection, optionFile: optionFile, loading: "rows of \(label)"
            ) { child in
                try await child.feed(setup)
                while let segment = try await queue.next() { try await child.feed(segment) }
            }
        } catch {
            queue.fail(error)
            throw error
        }
    }

    /// Feeds one SQL script to one client and waits for it.
    private static func runScript(
        _ script: [UInt8], label: String, client: String, connection: MySQLConnection, optionFile: OptionFile
    ) async throws {
        try await runClient(client, extraArguments: utf8mb4, connection: connection, optionFile: optionFile, loading: label) {
            try await $0.feed(script)
        }
    }

    private static let utf8mb4 = ["--default-character-set=utf8mb4"]
}
