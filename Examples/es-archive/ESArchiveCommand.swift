import ArchiveLifecycle
import ArgumentParser
import BackupCatalog
import BackupModels
import Foundation
import Logging
import PostgresCatalog
import SnapshotClient

@main
struct ESArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "es-archive",
        abstract: "Archive Elasticsearch/OpenSearch indices as snapshots and restore them by time range.",
        discussion: """
            Global options (--url, --user, --password, --api-key, --ca-file, --insecure, --catalog, --catalog-password-env, \
            --catalog-tls) go after the \
            subcommand and default to \
            ES_URL, ES_USER, ES_PASSWORD and ES_API_KEY. Exit status: 0 on success, 1 on any failure. \
            See Documentation/Archive.md.
            """,
        subcommands: [
            Info.self, Repo.self, Archive.self, Snapshots.self, Status.self, Restore.self, Catalog.self, Check.self, Drill.self,
        ])

    /// Accepts the global options before the subcommand too (`es-archive --url URL info`), by moving them
    /// after it, where each subcommand declares them; reports every failure as `error: …` with exit status 1.
    static func main() async {
        let arguments = Self.movingGlobalOptions(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try await asyncParseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exitReporting(error)
        }
    }

    /// Exits for an error: help and `--version` print as usual (status 0), an `ExitCode` thrown after its
    /// message was printed keeps its status, and any other error (a usage error ArgumentParser would report
    /// with status 64, a `ValidationError`) prints `error: <message>` and the usage hint on standard error
    /// and exits 1.
    static func exitReporting(_ error: any Error) -> Never {
        if error is ExitCode || exitCode(for: error) == .success { exit(withError: error) }
        var text = fullMessage(for: error).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        FileHandle.standardError.write(Data("error: \(text)\n".utf8))
        exit(withError: ExitCode.failure)
    }

    /// `arguments` with leading global options moved to the end.
    static func movingGlobalOptions(_ arguments: [String]) -> [String] {
        let valued: Set<String> = [
            "--url", "--user", "--password", "--api-key", "--catalog", "--catalog-password-env", "--catalog-tls", "--ca-file",
        ]
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let token = arguments[index]
            let name = String(token.split(separator: "=", maxSplits: 1).first ?? "")
            if valued.contains(token), index + 1 < arguments.count {
                leading += [token, arguments[index + 1]]
                index += 2
            } else if valued.contains(name) || token == "--verbose" || token == "-v" || token == "--insecure" {
                leading.append(token)
                index += 1
            } else {
                break
            }
        }
        return Array(arguments[index...]) + leading
    }
}

/// The cluster and catalog every subcommand talks to.
struct ClusterOptions: ParsableArguments {
    @Option(name: .long, help: "The cluster's URL (default: $ES_URL).")
    var url: String?

    @Option(name: .long, help: "Basic-auth user (default: $ES_USER).")
    var user: String?

    @Option(name: .long, help: "Basic-auth password (default: $ES_PASSWORD; prefer the variable: argv is visible to other users).")
    var password: String?

    @Option(name: .long, help: "API key, base64 'id:key' (default: $ES_API_KEY).")
    var apiKey: String?

    @Option(
        name: .long,
        help:
            "The catalog holding configurations, archived indices and restores: a SQLite file, or postgres://USER@HOST:PORT/DB that several hosts share."
    )
    var catalog: String = "es-archive.sqlite"

    @Option(name: .long, help: "The environment variable holding a PostgreSQL catalog's password (default: PGPASSWORD).")
    var catalogPasswordEnv: String?

    @Option(name: .customLong("catalog-tls"), help: "TLS to a PostgreSQL catalog: disable, require or verify-full (default: disable).")
    var catalogTLS: String?

    @Option(name: .long, help: "A PEM file of the certificate authorities an https cluster's certificate must chain to.")
    var caFile: String?

    @Flag(name: .long, help: "Skip https certificate and host name checks (throw-away test clusters only).")
    var insecure = false

    @Flag(name: .shortAndLong, help: "Log details to standard error.")
    var verbose = false

    func validate() throws {
        if insecure, caFile != nil {
            throw ValidationError("--insecure and --ca-file contradict each other: pass one of them")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("--ca-file \(caFile): does not exist or is not readable")
        }
        if let catalogTLS, CatalogTLS(rawValue: catalogTLS) == nil {
            throw ValidationError("--catalog-tls '\(catalogTLS)': use disable, require or verify-full")
        }
    }

    /// A client for the cluster; credentials come from the options, else from the environment.
    func client() throws -> SnapshotClient {
        let environment = ProcessInfo.processInfo.environment
        guard let url = url ?? environment["ES_URL"], !url.isEmpty else {
            throw ValidationError("no cluster: pass --url or set ES_URL")
        }
        if insecure {
            FileHandle.standardError.write(
                Data("warning: --insecure: the cluster's certificate is not checked; anyone on the path can read the credentials\n".utf8))
        }
        let key = apiKey ?? environment["ES_API_KEY"]
        let name = user ?? environment["ES_USER"]
        let secret = password ?? environment["ES_PASSWORD"]
        var credentials: SnapshotClient.Credentials?
        if let key, !key.isEmpty {
            credentials = .apiKey(key)
        } else if let name, !name.isEmpty {
            credentials = .basic(username: name, password: secret ?? "")
        }
        let tls = SnapshotClient.TLS(certificateAuthorityPath: caFile, verifiesCertificates: !insecure)
        return try SnapshotClient(
            configuration: .init(url: url, credentials: credentials, tls: tls), logger: logger(label: "es-archive.http"))
    }

    /// Opens the catalog (a SQLite file or a PostgreSQL database), runs `body` with it and closes it again,
    /// also when `body` throws, so that a PostgreSQL catalog's connections end cleanly.
    func withCatalog<T>(_ body: (any ArchiveLifecycleCatalog) async throws -> T) async throws -> T {
        let opened = try await OpenedCatalog.open(
            catalog, passwordVariable: catalogPasswordEnv, tls: catalogTLS.flatMap(CatalogTLS.init(rawValue:)))
        do {
            let value = try await body(opened.catalog)
            await opened.close()
            return value
        } catch {
            await opened.close()
            throw error
        }
    }

    /// Runs `body` with the archive life cycle of the cluster and the catalog.
    func withLifecycle<T>(_ body: (ArchiveLifecycle) async throws -> T) async throws -> T {
        let cluster = try client()
        return try await withCatalog { catalog in
            let log = logger(label: "es-archive")
            return try await body(ArchiveLifecycle(catalog: catalog, cluster: cluster, notifier: EventLog(logger: log), logger: log))
        }
    }

    /// Runs `body` with an archive life cycle that only touches the catalog.
    func withOfflineLifecycle<T>(_ body: (ArchiveLifecycle) async throws -> T) async throws -> T {
        try await withCatalog { catalog in try await body(ArchiveLifecycle(catalog: catalog, cluster: OfflineCluster())) }
    }

    func logger(label: String) -> Logger {
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = verbose ? .info : .warning
        return Logger(label: label) { _ in handler }
    }
}

/// Parses `--time`-style options.
enum Instant {
    static func parse(_ text: String?, option: String) throws -> Date {
        guard let text else { return Date() }
        guard let date = ISO8601.date(from: text) else {
            throw ValidationError("\(option) '\(text)' is not an ISO 8601 instant such as 2026-11-25T01:30:00Z")
        }
        return date
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

extension ESArchiveCommand {
    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the cluster's distribution, version and name.")

        @OptionGroup var options: ClusterOptions

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let info = try await options.client().info()
                let row = Output.Info(distribution: info.distribution.rawValue, version: info.version.text, cluster_name: info.clusterName)
                print(json ? try Output.json(row) : "\(row.distribution) \(row.version) (cluster \(row.cluster_name))")
            }
        }
    }

    struct Snapshots: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the snapshots of a repository, or of one table.")

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "The repository.")
        var repo: String

        @Option(name: .long, help: "Only this table's snapshots (<table>_snapshot_*).")
        var table: String?

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let pattern = table.map { ArchiveConfig.indexPrefix(of: $0) + "_snapshot_*" } ?? "_all"
                let list = try await options.client().snapshots(in: repo, named: [pattern], ignoreUnavailable: true)
                let rows = list.snapshots.map(Output.Snapshot.init)
                if json {
                    print(try Output.json(rows))
                } else {
                    for row in rows { print("\(row.snapshot)  \(row.state)  \(row.indices.count) indices") }
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a snapshot's shard and size progress.")

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "The repository.")
        var repo: String

        @Option(name: .long, help: "The snapshot.")
        var snapshot: String

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let client = try options.client()
                let status = try await client.snapshotStatus(named: snapshot, in: repo)
                // `_status` reports a PARTIAL snapshot as SUCCESS; only `GET _snapshot` tells them apart.
                let state = try await client.snapshot(named: snapshot, in: repo).state.rawValue
                let row = Output.SnapshotStatusRow(status, state: state)
                let size = (row.total_size_bytes ?? row.incremental_size_bytes).map { "\($0) bytes" } ?? "size unknown"
                print(
                    json
                        ? try Output.json(row)
                        : "\(row.snapshot)  \(row.state)  shards \(row.shards.done)/\(row.shards.total) (\(row.shards.failed) failed)  \(size)"
                )
            }
        }
    }
}

/// Logs each archive event as one line (`error` for failures); a host would send them to its own
/// notifiers (the `BackupEngine` module has webhook and command notifiers).
struct EventLog: Notifier {
    var logger: Logger

    func notify(_ event: BackupEvent) async throws {
        var metadata: Logger.Metadata = ["event": .string(event.kind.rawValue)]
        for (key, value) in event.details { metadata[key] = .string(value) }
        logger.log(
            level: event.isFailure ? .error : .info, "\(event.kind.rawValue.replacingOccurrences(of: "_", with: " "))", metadata: metadata)
    }
}
