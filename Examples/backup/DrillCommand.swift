import ArgumentParser
import BackupCatalog
import BackupEngine
import BackupModels
import BackupPlans
import BackupSources
import Foundation

extension BackupCommand {
    /// `backup drill`: restores sampled backups into a scratch place, proves them, and records the drills.
    struct Drill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore sampled backups into a scratch place and prove them (see Documentation/Drills.md).",
            discussion: """
                By default the newest backup of each source (its whole chain) and drill.sample random older backups \
                (1 unless the plan says otherwise) are drilled. Every drill is recorded in the catalog; a failed drill \
                notifies drill_failed and the command exits 1.
                """)

        @OptionGroup var options: PlanOptions

        @Option(name: .long, help: "Drill only backups of this source.")
        var source: String?

        @Option(name: .long, help: "Drill this many random older backups besides the newest of each source.")
        var sample: Int?

        @Flag(name: .long, help: "Drill every committed backup.")
        var all = false

        @Flag(name: .long, help: "Print a JSON array of drills.")
        var json = false

        func validate() throws {
            if all && sample != nil { throw ValidationError("--sample and --all exclude each other") }
            if let sample, sample < 0 { throw ValidationError("--sample must be 0 or more (is \(sample))") }
        }

        func run() async throws {
            try await reportingErrors {
                let engine = try await options.load()
                let config = engine.plan.drill ?? DrillConfig()
                if let source, engine.plan.source(named: source) == nil {
                    let known = engine.plan.sources.map(\.name).joined(separator: ", ")
                    throw ValidationError("plan '\(engine.plan.name)' has no source '\(source)' (sources: \(known))")
                }
                // The scratch server's password is needed only when a MySQL backup may be drilled.
                var request = try config.request(for: engine.plan, source: source)
                request.sample = all ? .all : .newest(plusOlder: sample ?? config.sample)
                let drills = try await engine.drill(request)
                if json {
                    print(try DrillOutput.json(drills))
                } else {
                    for drill in drills {
                        let label = try await engine.catalog.record(drill.backupID)?.label.rawValue ?? ""
                        print(DrillOutput.text(drill, label: label))
                    }
                    let failed = drills.filter { !$0.passed }.count
                    print("\(drills.count - failed) passed, \(failed) failed")
                }
                if drills.contains(where: { !$0.passed }) { throw ExitCode.failure }
            }
        }
    }
}

/// How `backup drill` prints drills.
enum DrillOutput {
    /// One drill as `backup drill --json` prints it.
    struct Row: Encodable {
        var backup_id: String
        var source: String
        var outcome: String
        var checks: [DrillCheck]
        var duration_ms: Int64
        var error: String?

        enum CodingKeys: String, CodingKey {
            case backup_id, source, outcome, checks, duration_ms, error
        }

        /// Writes `error` as `null` when the drill passed, so every row has every key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(backup_id, forKey: .backup_id)
            try container.encode(source, forKey: .source)
            try container.encode(outcome, forKey: .outcome)
            try container.encode(checks, forKey: .checks)
            try container.encode(duration_ms, forKey: .duration_ms)
            try container.encode(error, forKey: .error)
        }
    }

    static func json(_ drills: [DrillRecord]) throws -> String {
        let rows = drills.map {
            Row(
                backup_id: $0.backupID.rawValue, source: $0.source, outcome: $0.outcome.rawValue, checks: $0.checks,
                duration_ms: $0.durationMilliseconds, error: $0.error)
        }
        return String(decoding: try JSONCoding.encoder().encode(rows), as: UTF8.self)
    }

    static func text(_ drill: DrillRecord, label: String) -> String {
        var lines = [
            "\(drill.passed ? "passed" : "FAILED")  \(drill.backupID)  \(drill.source)  \(label)  \(drill.durationMilliseconds) ms"
        ]
        for check in drill.checks {
            lines.append("  \(check.passed ? "ok  " : "FAIL") \(check.name): \(check.detail)")
        }
        return lines.joined(separator: "\n")
    }
}
