import ArchiveLifecycle
import ArgumentParser
import BackupModels
import Foundation
import Retention

extension ESArchiveCommand {
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore archived data by time range, follow it, and expire it.",
            subcommands: [Create.self, Status.self, Extend.self, Expire.self])
    }
}

extension ESArchiveCommand.Restore {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore the table's archived indices overlapping [--from, --to] as restore_<index>; prints the restore id.")

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "The table.")
        var table: String

        @Option(name: .long, help: "Start of the range (ISO 8601, inclusive).")
        var from: String

        @Option(name: .long, help: "End of the range (ISO 8601, inclusive).")
        var to: String

        @Option(name: .long, help: "When the restored indices are deleted (ISO 8601).")
        var expires: String

        func run() async throws {
            let start = try Instant.parse(from, option: "--from")
            let end = try Instant.parse(to, option: "--to")
            let expiry = try Instant.parse(expires, option: "--expires")
            try await reportingErrors {
                let request = ArchiveRestoreRequest(tableID: table, start: start, end: end, expiresAt: expiry)
                let restore = try await options.withLifecycle { lifecycle in try await lifecycle.startRestore(request, now: Date()) }
                print(restore.id)
                if restore.state == .failed {
                    FileHandle.standardError.write(Data("error: restore failed: \(restore.failureReason ?? "unknown")\n".utf8))
                    throw ExitCode.failure
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Update and show a restore's progress.")

        @OptionGroup var options: ClusterOptions

        @Argument(help: "The restore id.")
        var id: String

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let restore = try await options.withLifecycle { lifecycle in try await lifecycle.refreshRestore(id: id, now: Date()) }
                if json {
                    print(try Output.json(Output.RestoreRow(restore)))
                } else {
                    print(
                        "\(restore.id)  \(restore.state.rawValue)  \(restore.restoredDocCount)/\(restore.totalDocCount) documents  "
                            + "\(restore.indices.count) indices  expires \(ISO8601.string(from: restore.expiresAt))")
                }
            }
        }
    }

    struct Extend: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a live restore's expiry.")

        @OptionGroup var options: ClusterOptions

        @Argument(help: "The restore id.")
        var id: String

        @Option(name: .long, help: "The new expiry (ISO 8601, in the future).")
        var expires: String

        func run() async throws {
            let expiry = try Instant.parse(expires, option: "--expires")
            try await reportingErrors {
                let restore = try await options.withOfflineLifecycle { lifecycle in
                    try await lifecycle.extendRestore(id: id, until: expiry, now: Date())
                }
                print("\(restore.id) expires \(ISO8601.string(from: restore.expiresAt))")
            }
        }
    }

    struct Expire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete the restored indices of expired restores (indices another live restore uses stay).")

        @OptionGroup var options: ClusterOptions

        @Option(name: .long, help: "Expire as of this instant (ISO 8601) instead of now.")
        var time: String?

        func run() async throws {
            try await reportingErrors {
                let now = try Instant.parse(time, option: "--time")
                let plan = try await options.withLifecycle { lifecycle in try await lifecycle.expireRestores(now: now) }
                print(
                    "expired \(plan.expiring.count) restore(s); deleted \(plan.indicesToDelete.count) index(es); kept \(plan.indicesKept.count) shared"
                )
                for index in plan.indicesToDelete { print("deleted \(index)") }
                for (index, users) in plan.indicesKept.sorted(by: { $0.key < $1.key }) {
                    print("kept \(index) (used by \(users.joined(separator: ", ")))")
                }
            }
        }
    }
}
