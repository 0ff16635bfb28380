import ArgumentParser
import BackupEngine
import BackupModels
import BackupPlans
import BackupScheduler
import BackupSources
import Foundation

/// `backup coverage`: which tables of the plan's MySQL sources are backed up.
struct Coverage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Report every table of the MySQL sources' schema files and servers as covered, excluded or missing.",
        discussion: "Exit status: 0 when every table is covered or excluded, 1 when some are missing or on error.")

    @OptionGroup var options: PlanOptions

    @Option(name: .long, help: "Only this source.")
    var source: String?

    @Flag(name: .long, help: "Print a JSON array of reports ({source, tables: [{name, status, reason, origins}], notes}).")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let engine = try await options.load()
            let reports = try await engine.mysqlCoverage(source: source)
            if json {
                let data = try JSONCoding.encoder().encode(reports)
                print(String(decoding: data, as: UTF8.self))
            } else {
                if reports.isEmpty { print("the plan has no MySQL source") }
                for report in reports {
                    let counts = Dictionary(grouping: report.tables, by: \.status).mapValues(\.count)
                    print(
                        "\(report.source): \(counts[.covered] ?? 0) covered, \(counts[.excluded] ?? 0) excluded, \(counts[.missing] ?? 0) missing"
                    )
                    let width = report.tables.map(\.name.count).max() ?? 0
                    for table in report.tables {
                        let name = table.name.padding(toLength: width, withPad: " ", startingAt: 0)
                        let reason = table.reason.map { "  (\($0))" } ?? ""
                        print("  \(table.status.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)) \(name)\(reason)")
                    }
                    for note in report.notes { print("  note: \(note)") }
                }
            }
            if reports.contains(where: { !$0.isComplete }) { throw ExitCode.failure }
        }
    }
}
