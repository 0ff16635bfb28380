import ArgumentParser
import BackupEngine
import BackupModels
import BackupPlans
import Foundation
import Logging
import RemoteStorage

/// The `export-link` command; `ExportLinkMain` runs it.
struct ExportLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-link",
        abstract: "Package files as a .tar.gz, upload it and print an expiring download link; or remove old exports.",
        discussion: """
            FILE is a YAML file holding just a `storage:` mapping, as in plans. Local storage issues links when it \
            sets link_secret_env and link_base_url; S3 storage issues presigned URLs. Exit status: 0 on success, \
            1 on any failure, usage errors included (printed as `error: …`). See Documentation/Exports.md.
            """,
        subcommands: [Create.self, Cleanup.self],
        defaultSubcommand: Create.self)
}

/// Options both subcommands take.
struct StorageOptions: ParsableArguments {
    @Option(name: .long, help: "The YAML file holding the `storage:` mapping.")
    var storage: String

    @Option(name: .long, help: "The key prefix of exports in the storage.")
    var prefix = "exports/"

    @Option(name: .customLong("work-dir"), help: "The local folder archives are packaged in (default: a temporary folder).")
    var workDirectory: String?

    @Flag(name: .shortAndLong, help: "Log progress details to standard error.")
    var verbose = false

    /// Sets up logging, reads the storage file and builds the exporter.
    func exporter() throws -> Exporter {
        let level: Logger.Level = verbose ? .info : .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "export-link")
        let config = try PlanLoader.loadStorage(contentsOf: storage)
        let backend = try Engine.makeStorage(config, logger: logger)
        if let workDirectory {
            return try Exporter(storage: backend, prefix: prefix, workFolder: workDirectory, logger: logger)
        }
        return try Exporter(storage: backend, prefix: prefix, logger: logger)
    }
}

/// Runs `body`, printing errors as `error: …` on standard error with exit status 1.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

extension ExportLinkCommand {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Export files and folders and print the download link (the default subcommand).")

        @OptionGroup var options: StorageOptions

        @Argument(help: "Files or folders to export; each becomes a top-level entry of the archive.")
        var paths: [String]

        @Option(name: .long, help: "How long the link works, in seconds.")
        var expires: Int = 86_400

        @Option(name: .long, help: "The application name: letters, digits, '.' and '-'.")
        var app = "export"

        @Option(name: .customLong("index-set-id"), help: "The index set the export belongs to; omit for a union export.")
        var indexSetID: Int?

        @Flag(name: .long, help: "Print a JSON object: key, size_bytes, sha256, link, expires_at.")
        var json = false

        func validate() throws {
            guard !paths.isEmpty else { throw ValidationError("give at least one file or folder to export") }
            guard expires > 0 else { throw ValidationError("--expires must be a positive number of seconds") }
        }

        func run() async throws {
            try await reportingErrors {
                let exporter = try options.exporter()
                let absolute = paths.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
                let result = try await exporter.export(
                    ExportRequest(paths: absolute, app: app, indexSetID: indexSetID, linkLifetime: TimeInterval(expires)))
                if json {
                    print(try Self.json(result))
                } else {
                    print(result.link?.absoluteString ?? "(this storage issues no links) \(result.key)")
                    var details = "size: \(result.sizeBytes) bytes, key: \(result.key), sha256: \(result.sha256)"
                    if let expiresAt = result.expiresAt { details += ", expires: \(ISO8601.string(from: expiresAt))" }
                    print(details)
                }
            }
        }

        static func json(_ result: ExportResult) throws -> String {
            let object: [String: Any] = [
                "key": result.key, "size_bytes": result.sizeBytes, "sha256": result.sha256,
                "link": result.link?.absoluteString ?? NSNull(),
                "expires_at": result.expiresAt.map { ISO8601.string(from: $0) } ?? NSNull(),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self)
        }
    }

    struct Cleanup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove exports older than a duration from the storage and the local work folder.")

        @OptionGroup var options: StorageOptions

        @Option(name: .customLong("older-than"), help: "The age, as a number with a unit: 7d, 36h, 90m, 3600s.")
        var olderThan: String

        func validate() throws {
            _ = try Self.seconds(olderThan)
        }

        func run() async throws {
            try await reportingErrors {
                let exporter = try options.exporter()
                let result = try await exporter.cleanup(olderThan: try Self.seconds(olderThan), now: Date())
                for key in result.removedKeys { print("removed \(key)") }
                for file in result.removedLocalFiles { print("removed local \(file)") }
                print("\(result.removedKeys.count) exports and \(result.removedLocalFiles.count) local files removed")
            }
        }

        /// Seconds of a duration such as `7d`, `36h`, `90m` or `3600s`.
        static func seconds(_ text: String) throws -> TimeInterval {
            let units: [Character: Double] = ["d": 86_400, "h": 3600, "m": 60, "s": 1]
            guard let unit = text.last, let factor = units[unit], let value = Double(text.dropLast()), value > 0, value.isFinite
            else {
                throw ValidationError("--older-than '\(text)' is not a duration such as 7d, 36h, 90m or 3600s")
            }
            return value * factor
        }
    }
}
