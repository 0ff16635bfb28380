import ArchiveLifecycle
import ArgumentParser
import Foundation

extension ESArchiveCommand {
    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the catalog's archive rows from the repository.", subcommands: [Rebuild.self])
    }
}

extension ESArchiveCommand.Catalog {
    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record every SUCCESS archive snapshot of a repository from the facts kept beside it (idempotent).",
            discussion: """
                Rows the catalog already holds exactly stay; facts that disagree with the catalog or the snapshot are \\
                reported as conflicts and never overwrite anything. Exit status 1 if there is a conflict or a SUCCESS \\
                snapshot without facts.
                """)

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "The snapshot repository.")
        var repo: String

        @Option(name: .long, help: "Only this table's snapshots.")
        var table: String?

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let report = try await options.withLifecycle { lifecycle in
                    try await lifecycle.rebuildCatalog(repository: repo, tableID: table, now: Date())
                }
                if json {
                    print(try Output.json(report))
                } else {
                    print(
                        "examined \(report.examined.count) snapshot(s): recorded \(report.recorded.count), unchanged "
                            + "\(report.unchanged.count), conflicts \(report.conflicts.count), without facts "
                            + "\(report.withoutFacts.count), not successful \(report.notSuccessful.count)")
                    for name in report.recorded { print("recorded \(name)") }
                    for conflict in report.conflicts { print("conflict \(conflict.snapshot): \(conflict.reason)") }
                    for name in report.withoutFacts { print("without facts \(name)") }
                }
                if !report.conflicts.isEmpty || !report.withoutFacts.isEmpty { throw ExitCode.failure }
            }
        }
    }
}
