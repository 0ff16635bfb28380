import ArchiveLifecycle
import ArgumentParser
import BackupCatalog
import BackupModels
import Foundation

extension ESArchiveCommand {
    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Configure and run the daily archive of expiring indices.", subcommands: [Add.self, List.self, Run.self])
    }
}

extension ESArchiveCommand.Archive {
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Archive a table's expiring indices into a repository.")

        @OptionGroup var options: ClusterOptions

        @Option(
            name: .long, help: "The table (result table id, e.g. 2_bklog.nginx_access); indices are <table with . → _>_<YYYYMMDD>[_<n>].")
        var table: String

        @Option(name: .long, help: "The snapshot repository.")
        var repo: String

        @Option(name: .long, help: "Days to keep snapshots; 0 keeps them forever.")
        var days: Int

        @Option(name: .long, help: "The IANA zone of index and snapshot dates.")
        var timeZone: String = "UTC"

        @Option(name: .long, help: "Days the table keeps its live indices (they are archived, then deleted, one day after).")
        var retentionDays: Int = 7

        func run() async throws {
            try await reportingErrors {
                let now = Date()
                let config = ArchiveConfig(
                    instanceID: table, instanceType: .indexSet, businessID: "0", tableID: table, repository: repo,
                    snapshotDays: days, indexRetentionDays: retentionDays, timeZoneIdentifier: timeZone, createdAt: now)
                let lifecycle = ArchiveLifecycle(catalog: try options.openCatalog(), cluster: OfflineCluster())
                try await lifecycle.save(config, now: now)
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
                let configs = try await options.openCatalog().archiveConfigs(tableID: nil)
                if json {
                    print(try Output.json(configs))
                } else {
                    for config in configs {
                        print(
                            "\(config.id)  \(config.tableID) → \(config.repository)  snapshots \(config.snapshotDays)d  "
                                + "indices \(config.indexRetentionDays)d  \(config.timeZoneIdentifier)\(config.isEnabled ? "" : "  disabled")"
                        )
                    }
                }
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daily cycle: snapshot due indices, delete archived ones, apply snapshot_days.",
            discussion: "Exit status 1 if any table failed or has indices no successful snapshot holds yet.")

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "Run as of this instant (ISO 8601) instead of now.")
        var time: String?

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let now = try Instant.parse(time, option: "--time")
                let reports = try await options.lifecycle().runDailyCycle(now: now)
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

/// The cluster of commands that only touch the catalog: any call is a programming error.
struct OfflineCluster: ArchiveCluster {
    struct Unused: Error, CustomStringConvertible {
        var description: String { "this command does not contact the cluster" }
    }
    func listIndices(matching pattern: String) async throws -> [ClusterIndex] { throw Unused() }
    func timeRanges(of indices: [String], field: String) async throws -> [String: ClosedRange<Date>] { throw Unused() }
    func listSnapshots(in repository: String, matching pattern: String) async throws -> [ClusterSnapshot] { throw Unused() }
    func snapshotIfPresent(named name: String, in repository: String) async throws -> ClusterSnapshot? { throw Unused() }
    func startSnapshot(named name: String, in repository: String, indices: [String]) async throws { throw Unused() }
    func deleteSnapshotIfPresent(named name: String, in repository: String) async throws { throw Unused() }
    func restore(_ request: ClusterRestoreRequest) async throws { throw Unused() }
    func diskUsage() async throws -> ClusterDisk { throw Unused() }
    func removeIndices(_ names: [String]) async throws { throw Unused() }
}
