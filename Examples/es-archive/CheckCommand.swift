import ArchiveLifecycle
import ArgumentParser
import BackupModels
import Foundation

extension ESArchiveCommand {
    /// `es-archive check`: what tonight's archive cycle needs, checked without archiving anything.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the cluster, the repositories and the tables' indices tonight's archive cycle needs.",
            discussion: """
                Cluster reachable and credentials accepted, what its version allows, each configuration's repository \
                verified on every node, the indices that would be archived tonight and those blocked (red, closed, \
                unknown counts), disk headroom for a restore. Exit status: 0 when no check failed, 1 otherwise. See \
                Documentation/Troubleshooting.md.
                """)

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "Only this table's configurations.")
        var table: String?

        @Flag(name: .long, help: "Print a JSON array of {component, check, status, detail, fix}.")
        var json = false

        @Option(name: .long, help: "Judge expiry at this instant (ISO 8601) instead of now.")
        var time: String?

        func run() async throws {
            try await reportingErrors {
                let client = try options.client()
                let now = try Instant.parse(time, option: "--time")
                let results = try await options.withCatalog { catalog in
                    await ArchivePreflight(cluster: client, checking: client, catalog: catalog).run(tableID: table, now: now)
                }
                print(json ? try Output.json(results) : CheckResult.text(results))
                if results.hasFailures { throw ExitCode.failure }
            }
        }
    }
}
