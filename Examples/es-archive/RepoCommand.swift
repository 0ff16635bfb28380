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
            abstract: "Register a repository (fs, s3, cos, hdfs, url, azure, gcs) and verify it.",
            discussion: """
                Settings are checked per type before anything is sent, e.g. --type fs --setting location=/mnt/archive. \
                Secrets (access keys, secret keys, tokens, passwords, HDFS principals and keytabs) are refused on the \
                command line, where other users can read them: pass --secret KEY=ENV_VAR (the value is read from that \
                environment variable) or --secrets-file PATH (KEY=VALUE lines, mode 0600 or stricter). See \
                Documentation/Archive.md.
                """)

        @OptionGroup var options: ClusterOptions

        @Argument(help: "The repository name.")
        var name: String

        @Option(name: .long, help: "The repository type: fs, s3, cos, hdfs, url, azure or gcs.")
        var type: String

        @Option(name: .long, help: "A setting KEY=VALUE (repeatable); not for secrets.")
        var setting: [String] = []

        @Option(name: .long, help: "A secret setting KEY=ENV_VAR, read from that environment variable (repeatable).")
        var secret: [String] = []

        @Option(name: .long, help: "A file of secret KEY=VALUE lines, mode 0600 or stricter.")
        var secretsFile: String?

        func run() async throws {
            try await reportingErrors {
                let settings = try RepositoryInput.settings(
                    type: type, settings: setting, secrets: secret, secretsFile: secretsFile,
                    environment: ProcessInfo.processInfo.environment)
                try await options.client().createRepository(named: name, settings: settings)
                print("created \(settings.type) repository \(name)")
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
                // Every key repo create treats as a secret (HDFS principals too) is hidden, not only Output's.
                let rows = try await options.client().repositories().map(Output.RepositoryRow.init).map { row in
                    var row = row
                    for key in row.settings.keys where RepositoryInput.isSecret(key) { row.settings[key] = "<redacted>" }
                    return row
                }
                if json {
                    print(try Output.json(rows))
                } else {
                    for row in rows { print("\(row.name)  \(row.type)") }
                }
            }
        }
    }
}

/// Builds typed repository settings from `repo create`'s options, refusing bad input before anything is sent.
/// Error messages name the option and key, never a secret's value.
enum RepositoryInput {
    /// A refused input: printed as `error: <message>` with exit status 1.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// The keys each type takes, the required ones first.
    static let keys: [String: (required: [String], optional: [String], secrets: [String])] = [
        "fs": (["location"], ["compress", "chunk_size", "max_snapshot_bytes_per_sec"], []),
        "s3": (
            ["bucket"],
            [
                "region", "base_path", "endpoint", "client", "compress", "chunk_size", "server_side_encryption", "storage_class",
                "path_style_access",
            ], ["access_key", "secret_key", "session_token"]
        ),
        "cos": (["bucket", "app_id", "region"], ["base_path", "compress", "chunk_size"], ["access_key_id", "access_key_secret"]),
        "hdfs": (["uri", "path"], ["compress", "chunk_size"], ["security.principal"]),
        "url": (["url"], [], []),
        "azure": (["container"], ["base_path", "client", "compress", "chunk_size", "location_mode"], []),
        "gcs": (["bucket"], ["base_path", "client", "compress", "chunk_size"], []),
    ]

    static let booleanKeys: Set<String> = ["compress", "server_side_encryption", "path_style_access"]

    /// Whether a key holds a secret that must not come from argv.
    static func isSecret(_ key: String) -> Bool {
        RepositorySettings.isSecretKey(key) || Output.isSecret(key) || key.lowercased().contains("principal")
    }

    static func settings(
        type: String, settings: [String], secrets: [String], secretsFile: String?, environment: [String: String]
    ) throws -> RepositorySettings {
        guard let known = keys[type] else {
            throw Problem(description: "--type \(type): unknown repository type; use one of \(keys.keys.sorted().joined(separator: ", "))")
        }
        var values: [String: String] = [:]
        for pair in settings {
            let (key, value) = try split(pair, option: "--setting")
            if isSecret(key) {
                throw Problem(
                    description:
                        "--setting \(key): a secret must not be given on the command line; use --secret \(key)=ENV_VAR or --secrets-file PATH"
                )
            }
            values[key] = value
        }
        var secretValues: [String: String] = [:]
        for pair in secrets {
            let (key, variable) = try split(pair, option: "--secret")
            guard let value = environment[variable], !value.isEmpty else {
                throw Problem(description: "--secret \(key): the environment variable \(variable) is not set or empty")
            }
            secretValues[key] = value
        }
        let fromFlags = Set(secretValues.keys)
        if let secretsFile {
            for (key, value) in try readSecretsFile(secretsFile) where secretValues[key] == nil { secretValues[key] = value }
        }
        let allowed = Set(known.required + known.optional + known.secrets)
        for key in (Array(values.keys) + Array(secretValues.keys)).sorted() where !allowed.contains(key) {
            let option = values[key] != nil ? "--setting" : fromFlags.contains(key) ? "--secret" : "--secrets-file \(secretsFile ?? "")"
            throw Problem(
                description: "\(option) \(key): unknown setting for type \(type); known: \(allowed.sorted().joined(separator: ", "))")
        }
        for key in secretValues.keys.sorted() where values[key] != nil {
            throw Problem(description: "--setting \(key): given twice (also as a secret)")
        }
        for key in known.required where values[key] == nil && secretValues[key] == nil {
            throw Problem(description: "--setting \(key): required for type \(type)")
        }
        var flags: [String: Bool] = [:]
        for key in booleanKeys.sorted() {
            guard let text = values[key] else { continue }
            guard let flag = Bool(text.lowercased()) else {
                throw Problem(description: "--setting \(key): must be true or false, not '\(text)'")
            }
            flags[key] = flag
        }
        func value(_ key: String) -> String? { values[key] ?? secretValues[key] }
        let typed: RepositorySettings
        switch type {
        case "fs":
            typed = .fs(
                location: value("location") ?? "", compress: flags["compress"], chunkSize: value("chunk_size"),
                maxSnapshotBytesPerSecond: value("max_snapshot_bytes_per_sec"))
        case "s3":
            typed = .s3(
                bucket: value("bucket") ?? "", region: value("region"), basePath: value("base_path"), endpoint: value("endpoint"),
                client: value("client"), compress: flags["compress"], chunkSize: value("chunk_size"),
                serverSideEncryption: flags["server_side_encryption"], storageClass: value("storage_class"),
                pathStyleAccess: flags["path_style_access"])
        case "cos":
            typed = .cos(
                bucket: value("bucket") ?? "", appID: value("app_id") ?? "", region: value("region") ?? "",
                basePath: value("base_path"), compress: flags["compress"], chunkSize: value("chunk_size"),
                accessKeyID: value("access_key_id"), accessKeySecret: value("access_key_secret"))
        case "hdfs":
            typed = .hdfs(
                uri: value("uri") ?? "", path: value("path") ?? "", compress: flags["compress"], chunkSize: value("chunk_size"),
                securityPrincipal: value("security.principal"))
        case "url":
            typed = .url(url: value("url") ?? "")
        case "azure":
            typed = .azure(
                container: value("container") ?? "", basePath: value("base_path"), client: value("client"),
                compress: flags["compress"], chunkSize: value("chunk_size"), locationMode: value("location_mode"))
        default:
            typed = .gcs(
                bucket: value("bucket") ?? "", basePath: value("base_path"), client: value("client"), compress: flags["compress"],
                chunkSize: value("chunk_size"))
        }
        // Secrets the typed case has no field for (S3 keys) travel in the same settings object.
        let missing = secretValues.filter { typed.settings[$0.key] == nil }
        guard !missing.isEmpty else { return typed }
        return .custom(type: typed.type, settings: typed.settings.merging(missing.mapValues { .string($0) }) { current, _ in current })
    }

    static func split(_ pair: String, option: String) throws -> (String, String) {
        guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
            let shown = pair.split(separator: "=").first.map(String.init) ?? ""
            throw Problem(description: "\(option) '\(option == "--setting" && !isSecret(shown) ? pair : shown)' is not KEY=VALUE")
        }
        return (String(pair[..<equals]).trimmingCharacters(in: .whitespaces), String(pair[pair.index(after: equals)...]))
    }

    /// Reads KEY=VALUE lines (blank lines and `#` comments skipped) from a file only its owner can read.
    static func readSecretsFile(_ path: String) throws -> [String: String] {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw Problem(description: "--secrets-file \(path): cannot be read")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        guard mode & 0o077 == 0 else {
            throw Problem(
                description:
                    "--secrets-file \(path): mode \(String(format: "%04o", mode)) lets other users read it; run chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Problem(description: "--secrets-file \(path): cannot be read as UTF-8 text")
        }
        var result: [String: String] = [:]
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                throw Problem(description: "--secrets-file \(path): line \(number + 1) is not KEY=VALUE")
            }
            result[String(line[..<equals]).trimmingCharacters(in: .whitespaces)] = String(line[line.index(after: equals)...])
        }
        return result
    }
}
