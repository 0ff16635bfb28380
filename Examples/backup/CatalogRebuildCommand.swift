import ArgumentParser
import BackupEngine
import BackupModels
import Foundation

/// `backup catalog rebuild`: recreates the plan's committed records from the manifests in its storage.
struct CatalogRebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Recreate the plan's catalog records from the manifests in its storage.",
        discussion: """
            Lists the plan's storage, reads every manifest the catalog does not know and recreates each committed \
            backup with its original id, parents first; running it again adds nothing. Records whose artifacts are \
            gone are marked missing (and committed again once found). A manifest whose artifact is missing or has \
            another size is a conflict. Exit status 0 without conflicts, 1 otherwise. See \
            Documentation/Catalog.md, "Rebuilding a lost catalog".
            """)

    @OptionGroup var options: PlanOptions

    @Flag(name: .long, help: "Report what would change; write nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Print {added, present, missing_in_storage, conflicts} as JSON.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let engine = try await options.load()
            let report = try await engine.rebuildCatalog(dryRun: dryRun)
            print(json ? try Self.json(report) : Self.text(report, plan: engine.plan.name))
            if !report.conflicts.isEmpty { throw ExitCode.failure }
        }
    }

    private struct Output: Encodable {
        struct Conflict: Encodable {
            var id: String?
            var key: String
            var reason: String
        }

        var added: Int
        var present: Int
        var found: [String]
        var missing_in_storage: [String]
        var conflicts: [Conflict]
        var dry_run: Bool
    }

    static func json(_ report: RebuildReport) throws -> String {
        let output = Output(
            added: report.added, present: report.present, found: report.found.map(\.rawValue),
            missing_in_storage: report.missingInStorage.map(\.rawValue),
            conflicts: report.conflicts.map { .init(id: $0.id?.rawValue, key: $0.key, reason: $0.reason) },
            dry_run: report.dryRun)
        return String(decoding: try JSONCoding.encoder().encode(output), as: UTF8.self)
    }

    static func text(_ report: RebuildReport, plan: String) -> String {
        let verb = report.dryRun ? "would add" : "added"
        var lines = [
            "plan \(plan): \(verb) \(report.added), \(report.present) already present, \(report.found.count) found again, "
                + "\(report.missingInStorage.count) missing in storage, \(report.conflicts.count) conflicts"
                + (report.dryRun ? " (dry run: nothing changed)" : "")
        ]
        for id in report.found { lines.append("found again: \(id) (committed)") }
        for id in report.missingInStorage { lines.append("missing in storage: \(id)") }
        for conflict in report.conflicts {
            lines.append("conflict: \(conflict.id?.rawValue ?? "?") \(conflict.key): \(conflict.reason)")
        }
        return lines.joined(separator: "\n")
    }
}
