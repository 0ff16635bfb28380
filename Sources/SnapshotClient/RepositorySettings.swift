/// A snapshot repository's type and settings, typed for the common types and free-form for the rest.
///
/// Optional values left `nil` are not sent, so the cluster's defaults apply. Secrets (keys, passwords) are
/// better kept in the cluster's keystore; when given here they are sent in the body only and never logged.
public enum RepositorySettings: Hashable, Sendable, CustomStringConvertible {
    /// A shared file system path registered in every node's `path.repo`.
    case fs(location: String, compress: Bool? = nil, chunkSize: String? = nil, maxSnapshotBytesPerSecond: String? = nil)
    /// An S3 (or S3-compatible: MinIO, COS S3 endpoint) bucket (`repository-s3`).
    case s3(
        bucket: String, region: String? = nil, basePath: String? = nil, endpoint: String? = nil, client: String? = nil,
        compress: Bool? = nil, chunkSize: String? = nil, serverSideEncryption: Bool? = nil,
        storageClass: String? = nil, pathStyleAccess: Bool? = nil)
    /// A Tencent Cloud COS bucket (`repository-cos`). `bucket` is the name WITHOUT the `-<appid>` suffix (a
    /// suffix equal to `appID` is removed before sending); `appID` is the account's APPID.
    case cos(
        bucket: String, appID: String, region: String, basePath: String? = nil, compress: Bool? = nil,
        chunkSize: String? = nil, accessKeyID: String? = nil, accessKeySecret: String? = nil)
    /// An HDFS path (`repository-hdfs`).
    case hdfs(uri: String, path: String, compress: Bool? = nil, chunkSize: String? = nil, securityPrincipal: String? = nil)
    /// A read-only repository at a URL (`http(s)`, `ftp`, `file`, `jar`), listed in `repositories.url.allowed_urls`.
    case url(url: String)
    /// An Azure Blob Storage container (`repository-azure`).
    case azure(
        container: String, basePath: String? = nil, client: String? = nil, compress: Bool? = nil,
        chunkSize: String? = nil, locationMode: String? = nil)
    /// A Google Cloud Storage bucket (`repository-gcs`).
    case gcs(bucket: String, basePath: String? = nil, client: String? = nil, compress: Bool? = nil, chunkSize: String? = nil)
    /// Any type with free-form settings (e.g. `source`, or a plugin this enum does not know).
    case custom(type: String, settings: [String: JSONValue])

    /// The repository type sent as `type`.
    public var type: String {
        switch self {
        case .fs: "fs"
        case .s3: "s3"
        case .cos: "cos"
        case .hdfs: "hdfs"
        case .url: "url"
        case .azure: "azure"
        case .gcs: "gcs"
        case .custom(let type, _): type
        }
    }

    /// The settings object sent as `settings`, with snake_case keys.
    public var settings: [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        func put(_ key: String, _ value: String?) { if let value { result[key] = .string(value) } }
        func put(_ key: String, _ value: Bool?) { if let value { result[key] = .bool(value) } }
        switch self {
        case .fs(let location, let compress, let chunkSize, let rate):
            put("location", location)
            put("compress", compress)
            put("chunk_size", chunkSize)
            put("max_snapshot_bytes_per_sec", rate)
        case .s3(
            let bucket, let region, let basePath, let endpoint, let client, let compress, let chunkSize,
            let sse, let storageClass, let pathStyle):
            put("bucket", bucket)
            put("region", region)
            put("base_path", basePath)
            put("endpoint", endpoint)
            put("client", client)
            put("compress", compress)
            put("chunk_size", chunkSize)
            put("server_side_encryption", sse)
            put("storage_class", storageClass)
            put("path_style_access", pathStyle)
        case .cos(let bucket, let appID, let region, let basePath, let compress, let chunkSize, let keyID, let secret):
            put("bucket", Self.cosBucket(bucket, appID: appID))
            put("app_id", appID)
            put("region", region)
            put("base_path", basePath)
            put("compress", compress)
            put("chunk_size", chunkSize)
            put("access_key_id", keyID)
            put("access_key_secret", secret)
        case .hdfs(let uri, let path, let compress, let chunkSize, let principal):
            put("uri", uri)
            put("path", path)
            put("compress", compress)
            put("chunk_size", chunkSize)
            put("security.principal", principal)
        case .url(let url):
            put("url", url)
        case .azure(let container, let basePath, let client, let compress, let chunkSize, let locationMode):
            put("container", container)
            put("base_path", basePath)
            put("client", client)
            put("compress", compress)
            put("chunk_size", chunkSize)
            put("location_mode", locationMode)
        case .gcs(let bucket, let basePath, let client, let compress, let chunkSize):
            put("bucket", bucket)
            put("base_path", basePath)
            put("client", client)
            put("compress", compress)
            put("chunk_size", chunkSize)
        case .custom(_, let settings):
            result = settings
        }
        return result
    }

    /// Setting keys whose values are secrets (access keys and secret keys, tokens, passwords, HDFS principals and
    /// keytabs); ``description`` hides them and tools must not take them on a command line.
    public static let secretKeys: Set<String> = [
        "access_key", "access_key_id", "access_key_secret", "secret_key", "secret_access_key", "session_token", "key",
        "sas_token", "password", "credentials_file", "security.principal", "security.keytab", "keytab",
    ]

    /// Whether a setting key names a secret: one of ``secretKeys``, or a key ending in `_secret`, `password`,
    /// `_token` or `keytab`.
    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretKeys.contains(lowered) || lowered.hasSuffix("_secret") || lowered.hasSuffix("password")
            || lowered.hasSuffix("_token") || lowered.hasSuffix("keytab")
    }

    /// `bucket` with a trailing `-<appID>` removed: the COS plugin wants the short name.
    static func cosBucket(_ bucket: String, appID: String) -> String {
        let suffix = "-\(appID)"
        guard !appID.isEmpty, bucket.hasSuffix(suffix), bucket.count > suffix.count else { return bucket }
        return String(bucket.dropLast(suffix.count))
    }

    public var description: String {
        let shown = settings.keys.sorted().map { key -> String in
            let value = settings[key]
            if Self.isSecretKey(key) {
                return "\(key)=<redacted>"
            }
            return "\(key)=\(value?.stringValue ?? "…")"
        }
        return "\(type)(\(shown.joined(separator: ", ")))"
    }
}
