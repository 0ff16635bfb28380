import ArtifactFormat
import BackupCatalog
import BackupEngine
public import BackupModels
import BackupScheduler
import BackupSources
public import Foundation
import RemoteStorage
package import Yams

extension PlanLoader {
    /// Reads a storage file: a YAML file holding just a `storage:` mapping, as `export-link --storage`
    /// takes. The mapping is the one plans use (see `Documentation/PlanReference.md`).
    ///
    /// - Parameters:
    ///   - path: The file; errors name it as given.
    ///   - workingDirectory: The directory a local storage's relative path resolves against.
    /// - Returns: The storage settings.
    /// - Throws: ``PlanError`` naming the file, line and key at fault.
    public static func loadStorage(
        contentsOf path: String, workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> StorageConfig {
        let location = absolutePath(path, relativeTo: workingDirectory) ?? path
        guard let data = FileManager.default.contents(atPath: location) else {
            throw PlanError(code: .unreadable, file: path, keyPath: "", message: "cannot read the file (looked for \(location))")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw PlanError(code: .unreadable, file: path, keyPath: "", message: "the file is not UTF-8 text")
        }
        return try parseStorage(yaml: text, origin: path, workingDirectory: workingDirectory)
    }

    /// Parses a storage file's text; see ``loadStorage(contentsOf:workingDirectory:)``.
    public static func parseStorage(yaml: String, origin: String, workingDirectory: String) throws -> StorageConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw PlanError(code: .syntax, file: origin, keyPath: "", message: "malformed YAML: \(error)", underlying: error)
        }
        let reader = Reader(file: origin, workingDirectory: workingDirectory)
        guard let root else {
            throw reader.error(.missingKey, at: "storage", nil, "the file is empty; expected a storage: mapping")
        }
        let fields = try reader.mapping(root, at: "")
        try fields.rejectUnknownKeys(allowed: ["storage"])
        return try reader.storage(fields.required("storage"), at: "storage")
    }
}

extension PlanLoader.Reader {
    /// `storage:`; the type is checked first so that an unsupported type is reported as such rather than
    /// as unknown keys.
    package func storage(_ node: Node, at keyPath: String) throws -> StorageConfig {
        let fields = try mapping(node, at: keyPath)
        let typeNode = try fields.required("type")
        let type = try string(typeNode, at: fields.path("type"))
        switch type {
        case "local":
            try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.localStorage)
            let secret = try environmentVariable("link_secret_env", in: fields)
            let baseURL = try fields.optional("link_base_url").map { try url($0, at: fields.path("link_base_url")) }
            if (secret == nil) != (baseURL == nil) {
                let missing = secret == nil ? "link_secret_env" : "link_base_url"
                throw error(
                    .missingKey, at: fields.path(missing), node,
                    "signed links need both link_secret_env and link_base_url")
            }
            return .local(
                LocalStorageConfig(
                    path: try path(fields.required("path"), at: fields.path("path")),
                    linkSecretEnvironmentVariable: secret, linkBaseURL: baseURL,
                    bandwidthLimit: try bandwidth(in: fields)))
        case "s3", "cos":
            try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.s3Storage)
            return .s3(try s3Storage(fields, isCOS: type == "cos"))
        case "http":
            try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.httpStorage)
            let user = try environmentVariable("user_env", in: fields)
            let password = try environmentVariable("password_env", in: fields)
            let token = try environmentVariable("token_env", in: fields)
            if (user == nil) != (password == nil) {
                let missing = user == nil ? "user_env" : "password_env"
                throw error(.missingKey, at: fields.path(missing), node, "basic auth needs both user_env and password_env")
            }
            if token != nil, user != nil {
                throw error(
                    .invalidValue, at: fields.path("token_env"), fields.value("token_env"),
                    "use either token_env (bearer) or user_env/password_env (basic), not both")
            }
            return .http(
                HTTPStorageConfig(
                    url: try url(fields.required("url"), at: fields.path("url")), userEnvironmentVariable: user,
                    passwordEnvironmentVariable: password, tokenEnvironmentVariable: token,
                    bandwidthLimit: try bandwidth(in: fields)))
        default:
            throw error(
                .invalidValue, at: fields.path("type"), typeNode,
                "unsupported storage type '\(type)' (supported: \(PlanLoader.Keys.storageTypes.joined(separator: ", ")))"
            )
        }
    }

    /// The keys of an `s3` or `cos` storage.
    private func s3Storage(_ fields: PlanLoader.Fields, isCOS: Bool) throws -> S3StorageConfig {
        var provider: S3StorageConfig.Provider = isCOS ? .tencentCOS : .aws
        if let node = fields.optional("provider") {
            let name = try string(node, at: fields.path("provider"))
            switch (name, isCOS) {
            case ("aws", false): provider = .aws
            case ("minio", false): provider = .minio
            case ("cos", _): provider = .tencentCOS
            default:
                throw error(
                    .invalidValue, at: fields.path("provider"), node,
                    isCOS ? "type cos implies provider cos; leave provider out" : "unknown provider '\(name)' (aws, minio, cos)")
            }
        }
        let bucketNode = try fields.required("bucket")
        let bucket = try string(bucketNode, at: fields.path("bucket"))
        let bucketCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard bucket.count >= 3, bucket.count <= 63, bucket.unicodeScalars.allSatisfy(bucketCharacters.contains) else {
            throw error(
                .invalidValue, at: fields.path("bucket"), bucketNode,
                "'\(bucket)' is not a bucket name (3–63 lowercase letters, digits, '.' and '-')")
        }
        if provider == .tencentCOS {
            let appID = bucket.split(separator: "-").last.map(String.init) ?? ""
            guard bucket.contains("-"), !appID.isEmpty, appID.allSatisfy(\.isNumber) else {
                throw error(
                    .invalidValue, at: fields.path("bucket"), bucketNode,
                    "a COS bucket is named <name>-<appid>, such as backups-1250000000")
            }
        }
        let regionNode = try fields.required("region")
        let region = try string(regionNode, at: fields.path("region"))
        let regionCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789-")
        guard region.unicodeScalars.allSatisfy(regionCharacters.contains) else {
            throw error(
                .invalidValue, at: fields.path("region"), regionNode,
                "'\(region)' is not a region name (such as us-east-1 or ap-guangzhou)")
        }
        let endpoint = try fields.optional("endpoint").map { try url($0, at: fields.path("endpoint")) }
        var prefix = try fields.optional("prefix").map { try string($0, at: fields.path("prefix")) } ?? ""
        if prefix.hasPrefix("/") {
            throw error(.invalidValue, at: fields.path("prefix"), fields.value("prefix"), "the prefix must not start with '/'")
        }
        if !prefix.isEmpty, !prefix.hasSuffix("/") { prefix += "/" }
        let access = try environmentVariable("access_key_env", in: fields)
        let secret = try environmentVariable("secret_key_env", in: fields)
        let token = try environmentVariable("session_token_env", in: fields)
        let file = try fields.optional("credentials_file").map { try path($0, at: fields.path("credentials_file")) }
        switch (access, secret, file) {
        case (.some, .some, nil), (nil, nil, .some): break
        case (.some, .some, .some):
            throw error(
                .invalidValue, at: fields.path("credentials_file"), fields.value("credentials_file"),
                "use either credentials_file or access_key_env/secret_key_env, not both")
        default:
            let missing = access == nil ? "access_key_env" : "secret_key_env"
            throw error(
                .missingKey, at: fields.path(missing), fields.node,
                "set access_key_env and secret_key_env (the names of environment variables), or credentials_file")
        }
        let downloadDomain = try fields.optional("download_domain").map {
            try string($0, at: fields.path("download_domain"))
        }
        return S3StorageConfig(
            provider: provider, endpoint: endpoint, region: region, bucket: bucket, prefix: prefix,
            pathStyle: try fields.optional("path_style").map { try bool($0, at: fields.path("path_style")) },
            accessKeyEnvironmentVariable: access, secretKeyEnvironmentVariable: secret,
            sessionTokenEnvironmentVariable: token, credentialsFile: file, downloadDomain: downloadDomain,
            bandwidthLimit: try bandwidth(in: fields))
    }

    /// An `http://` or `https://` URL with a host.
    package func url(_ node: Node, at keyPath: String) throws -> String {
        let text = try string(node, at: keyPath)
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw error(.invalidValue, at: keyPath, node, "'\(text)' is not an http:// or https:// URL")
        }
        guard components.user == nil, components.password == nil else {
            throw error(
                .invalidValue, at: keyPath, node, "credentials do not belong in the URL; name environment variables instead")
        }
        return text
    }

    /// The name of an environment variable (`S3_SECRET_KEY`), never its value.
    package func environmentVariable(_ key: String, in fields: PlanLoader.Fields) throws -> String? {
        guard let node = fields.optional(key) else { return nil }
        let name = try string(node, at: fields.path(key))
        let valid =
            name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
            && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        guard valid else {
            throw error(
                .invalidValue, at: fields.path(key), node,
                "must name an environment variable (letters, digits and '_'), not hold a secret")
        }
        return name
    }

    /// `bandwidth_limit`: bytes per second, as an integer or with a unit (`20MiB`, `500KB`).
    package func bandwidth(in fields: PlanLoader.Fields) throws -> Int64? {
        guard let node = fields.optional("bandwidth_limit") else { return nil }
        let keyPath = fields.path("bandwidth_limit")
        if node.tagName == .int { return try positive(Int64(int(node, at: keyPath)), node, keyPath) }
        let text = try string(node, at: keyPath).replacingOccurrences(of: "/s", with: "")
        let units: [(String, Int64)] = [
            ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000),
            ("KB", 1000), ("B", 1),
        ]
        for (unit, factor) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value.isFinite, value > 0, value * Double(factor) < 9e18 else { break }
            return try positive(Int64(value * Double(factor)), node, keyPath)
        }
        throw error(
            .invalidValue, at: keyPath, node,
            "'\(text)' is not a rate; write bytes per second as a number or with a unit, such as 20MiB")
    }

    private func positive(_ value: Int64, _ node: Node, _ keyPath: String) throws -> Int64 {
        guard value > 0 else { throw error(.invalidValue, at: keyPath, node, "must be greater than 0 bytes per second") }
        return value
    }
}
