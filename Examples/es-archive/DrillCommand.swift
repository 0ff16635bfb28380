import ArchiveLifecycle
import ArgumentParser
import BackupModels
import Foundation

extension ESArchiveCommand {
    /// `es-archive drill`: restores one index of sampled snapshots as `drill_<index>`, checks its count, deletes it.
    struct Drill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Restore one index of the newest snapshot of a table (and --sample older ones) as drill_<index>, compare its document count with the archive's, delete it; exit 1 when one differs."
        )

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "The table.")
        var table: String

        @Option(name: .long, help: "How many random older snapshots to drill besides the newest.")
        var sample: Int = 1

        @Flag(name: .long, help: "Print a JSON array of drills.")
        var json = false

        struct Row: Encodable {
            var repository: String
            var snapshot: String
            var index: String
            var restored_as: String
            var outcome: String
            var expected_doc_count: Int64
            var restored_doc_count: Int64?
            var error: String?

            enum CodingKeys: String, CodingKey {
                case repository, snapshot, index, restored_as, outcome, expected_doc_count, restored_doc_count, error
            }

            /// Writes absent values as `null`, so every row has every key.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(repository, forKey: .repository)
                try container.encode(snapshot, forKey: .snapshot)
                try container.encode(index, forKey: .index)
                try container.encode(restored_as, forKey: .restored_as)
                try container.encode(outcome, forKey: .outcome)
                try container.encode(expected_doc_count, forKey: .expected_doc_count)
                try container.encode(restored_doc_count, forKey: .restored_doc_count)
                try container.encode(error, forKey: .error)
            }
        }

        func validate() throws {
            if sample < 0 { throw ValidationError("--sample must be 0 or more (is \(sample))") }
        }

        func run() async throws {
            try await reportingErrors {
                let results = try await options.withLifecycle { lifecycle in
                    var generator = SystemRandomNumberGenerator()
                    return try await lifecycle.drill(tableID: table, sample: sample, using: &generator)
                }
                guard !results.isEmpty else {
                    throw ValidationError("table '\(table)' has no successful archive snapshot to drill")
                }
                if json {
                    print(
                        try Output.json(
                            results.map {
                                Row(
                                    repository: $0.repository, snapshot: $0.snapshot, index: $0.index, restored_as: $0.restoredAs,
                                    outcome: $0.passed ? "passed" : "failed", expected_doc_count: $0.expectedDocuments,
                                    restored_doc_count: $0.restoredDocuments, error: $0.error)
                            }))
                } else {
                    for result in results {
                        let counts = "\(result.restoredDocuments.map(String.init) ?? "?")/\(result.expectedDocuments) documents"
                        print("\(result.passed ? "passed" : "FAILED")  \(result.snapshot)  \(result.index)  \(counts)")
                        if let error = result.error { print("  \(error)") }
                    }
                }
                if results.contains(where: { !$0.passed }) { throw ExitCode.failure }
            }
        }
    }
}
