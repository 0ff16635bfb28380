import ArchiveLifecycle
import ArgumentParser
import Foundation
import SnapshotClient

extension ESArchiveCommand {
    struct Repo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, verify and list snapshot repositories.", subcommands: [Create.self, Verify.self, List.self])
    }
}

extension ESArchiveCommand.Repo {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a repository (fs, s3, cos, hdfs, url, azure, gcs, …) and verify it.",
            discussion: "Settings per type are listed in Documentation/Archive.md, e.g. --type fs --setting location=/mnt/archive.")

        @OptionGroup var options: ClusterOptions

        @Argument(help: "The repository name.")
        var name: String

        @Option(name: .long, help: "The repository type.")
        var type: String

        @Option(name: .long, help: "A setting KEY=VALUE (repeatable).")
        var setting: [String] = []

        func run() async throws {
            var settings: [String: JSONValue] = [:]
            for pair in setting {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw ValidationError("--setting '\(pair)' is not KEY=VALUE")
                }
                settings[String(pair[..<equals])] = Output.settingValue(String(pair[pair.index(after: equals)...]))
            }
            try await reportingErrors {
                try await options.client().createRepository(named: name, settings: .custom(type: type, settings: settings))
                print("created \(type) repository \(name)")
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check that every node can write to the repository.")

        @OptionGroup var options: ClusterOptions

        @Argument(help: "The repository name.")
        var name: String

        func run() async throws {
            try await reportingErrors {
                let nodes = try await options.client().verifyRepository(named: name)
                print("repository \(name) verified on \(nodes.count) node(s): \(nodes.map(\.name).sorted().joined(separator: ", "))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the repositories (secret settings redacted).")

        @OptionGroup var options: ClusterOptions

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                let rows = try await options.client().repositories().map(Output.RepositoryRow.init)
                if json {
                    print(try Output.json(rows))
                } else {
                    for row in rows { print("\(row.name)  \(row.type)") }
                }
            }
        }
    }
}
