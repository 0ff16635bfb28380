import ArchiveLifecycle
import ArgumentParser
import BackupCatalog
import BackupModels
import Foundation

extension ESArchiveCommand {
    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Configure and run the daily archive of expiring indices.",
            subcommands: [Add.self, List.self, Run.self, Delete.self, Disable.self, Enable.self])
    }
}

extension ESArchiveCommand.Archive {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Archive a table's expiring indices into a repository.")

        @OptionGroup var options: ClusterOptions

        @Option(
            name: .long,
            help:
                "The table (result table id, e.g. 2_bklog.nginx_access); indices are v2_<table with . → _>_<datetime>_<n> (or the old layout without v2_)."
        )
        var table: String

        @Option(name: .long, help: "The snapshot repository.")
        var repo: String

        @Option(name: .long, help: "Days to keep snapshots; 0 keeps them forever.")
        var days: Int

        @Option(name: .long, help: "The IANA zone of snapshot names (<table>_snapshot_<YYYYMMDD>).")
        var timeZone: String = "UTC"

        @Option(name: .long, help: "The IANA zone the platform writes index and alias datetimes in (default: --time-zone).")
        var indexTimeZone: String?

        @Option(name: .long, help: "The table's date_format in index and alias names (%Y%m%d%H, %Y%m%d, …).")
        var dateFormat: String = "%Y%m%d%H"

        @Option(name: .long, help: "Days the table keeps its data: an index expires when every alias on it is older than this + 1 day.")
        var retentionDays: Int = 7

        @Option(name: .long, help: "How to judge an index without a parsable alias: keep (never expired) or expire.")
        var withoutAlias: String = "keep"

        @Option(name: .long, help: "An index of the table's long-term storage, never expired nor deleted (repeatable).")
        var longTerm: [String] = []

        func run() async throws {
            try await reportingErrors {
                let now = Date()
                guard let policy = IndexWithoutAliasPolicy(rawValue: withoutAlias) else {
                    throw ValidationError("--without-alias must be keep or expire, got '\(withoutAlias)'")
                }
                let config = ArchiveConfig(
                    instanceID: table, instanceType: .indexSet, businessID: "0", tableID: table, repository: repo,
                    snapshotDays: days, indexRetentionDays: retentionDays, timeZoneIdentifier: timeZone,
                    indexTimeZoneIdentifier: indexTimeZone, dateFormat: dateFormat, indexWithoutAlias: policy,
                    longTermIndices: longTerm, createdAt: now)
                try await options.withOfflineLifecycle { lifecycle in try await lifecycle.save(config, now: now) }
                print(config.id)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the archive configurations.")

        @OptionGroup var options: ClusterOptions

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let configs = try await options.withCatalog { catalog in try await catalog.archiveConfigs(tableID: nil) }
                if json {
                    print(try Output.json(configs))
                } else {
                    for config in configs {
                        print(
                            "\(config.id)  \(config.tableID) → \(config.repository)  snapshots \(config.snapshotDays)d  "
                                + "retention \(config.indexRetentionDays)d  \(config.dateFormat) in \(config.indexTimeZoneIdentifier)  "
                                + "snapshot names in \(config.timeZoneIdentifier)\(config.isEnabled ? "" : "  disabled")")
                    }
                }
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daily cycle: snapshot expired indices, delete provably archived ones, apply snapshot_days.",
            discussion: """
                Tables another run holds are skipped and reported. Exit status 1 if any table failed, was skipped, or has \
                expired indices that stay (each listed with its reason).
                """)

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "Run as of this instant (ISO 8601) instead of now.")
        var time: String?

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let now = try Instant.parse(time, option: "--time")
                let reports = try await options.withLifecycle { lifecycle in await lifecycle.runDailyCycle(now: now) }
                if json {
                    print(try Output.json(reports))
                } else {
                    for report in reports { print(Output.summary(report)) }
                }
                if !reports.allSatisfy(\.succeeded) { throw ExitCode.failure }
            }
        }
    }
}

extension ESArchiveCommand.Archive {
    /// The configuration of `table` (its enabled one, else its newest).
    static func config(of table: String, in catalog: any ArchiveCatalog) async throws -> ArchiveConfig {
        let configs = try await catalog.archiveConfigs(tableID: table)
        guard let config = configs.first(where: \.isEnabled) ?? configs.last else {
            throw ValidationError("--table \(table): no archive configuration for this table")
        }
        return config
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a table's archive configuration; its snapshots and rows stay unless --purge-snapshots.")

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "The table.")
        var table: String

        @Flag(name: .long, help: "Also delete the table's snapshots from the repository and forget them.")
        var purgeSnapshots = false

        func run() async throws {
            try await reportingErrors {
                let delete = { (lifecycle: ArchiveLifecycle) in
                    let config = try await ESArchiveCommand.Archive.config(of: table, in: lifecycle.catalog)
                    return (config, try await lifecycle.delete(configID: config.id, purgeSnapshots: purgeSnapshots))
                }
                let (config, deleted) =
                    purgeSnapshots ? try await options.withLifecycle(delete) : try await options.withOfflineLifecycle(delete)
                print("deleted archive configuration \(config.id) of \(table)")
                for name in deleted { print("deleted snapshot \(name)") }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leave a table out of the daily cycle (its snapshots stay).")

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "The table.")
        var table: String

        func run() async throws { try await ESArchiveCommand.Archive.setEnabled(false, table: table, options: options) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a table back into the daily cycle.")

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "The table.")
        var table: String

        func run() async throws { try await ESArchiveCommand.Archive.setEnabled(true, table: table, options: options) }
    }

    /// Enables or disables the configuration of `table`.
    static func setEnabled(_ enabled: Bool, table: String, options: ClusterOptions) async throws {
        try await reportingErrors {
            let config = try await options.withOfflineLifecycle { lifecycle in
                let config = try await Self.config(of: table, in: lifecycle.catalog)
                try await lifecycle.setEnabled(configID: config.id, enabled, now: Date())
                return config
            }
            print("\(enabled ? "enabled" : "disabled") archive configuration \(config.id) of \(table)")
        }
    }
}

/// The cluster of commands that only touch the catalog: any call is a programming error.
struct OfflineCluster: ArchiveCluster {
    struct Unused: Error, CustomStringConvertible {
        var description: String { "this command does not contact the cluster" }
    }
    func limits() async throws -> ClusterLimits { throw Unused() }
    func listIndices(matchingAny patterns: [String]) async throws -> [ClusterIndex] { throw Unused() }
    func aliases(ofIndicesMatching patterns: [String]) async throws -> [String: [String]] { throw Unused() }
    func timeRanges(of indices: [String], field: String) async throws -> IndexTimeRanges { throw Unused() }
    func blockWrites(to indices: [String]) async throws { throw Unused() }
    func listSnapshots(in repository: String, matching pattern: String) async throws -> [ClusterSnapshot] { throw Unused() }
    func snapshotIfPresent(named name: String, in repository: String) async throws -> ClusterSnapshot? { throw Unused() }
    func startSnapshot(named name: String, in repository: String, indices: [String], metadata: [String: String]) async throws {
        throw Unused()
    }
    func deleteSnapshotIfPresent(named name: String, in repository: String) async throws { throw Unused() }
    func restore(_ request: ClusterRestoreRequest) async throws { throw Unused() }
    func restoredIndices(matching pattern: String) async throws -> [RestoredIndexState] { throw Unused() }
    func dataNodeDisks() async throws -> [ClusterDisk] { throw Unused() }
    func removeIndices(_ names: [String]) async throws { throw Unused() }
    func saveFacts(_ facts: SnapshotFacts, in index: String) async throws { throw Unused() }
    func facts(of snapshots: [String], in repository: String, index: String) async throws -> [String: SnapshotFacts] {
        throw Unused()
    }
    func refusal(of error: any Error) -> ClusterRefusal { .failure }
}
