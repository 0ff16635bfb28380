public import AsyncHTTPClient
public import BackupModels
public import Foundation
public import Logging

extension S3Storage {
    /// Creates a storage from a plan's `storage:` section (`type: s3` or `type: cos`).
    ///
    /// Credentials come only from the environment variables the config names
    /// (`access_key_env`, `secret_key_env`, optional `session_token_env`) or from `credentials_file`,
    /// which must not be readable by group or others. The endpoint and addressing follow the
    /// provider: AWS virtual-hosted at `https://<bucket>.s3.<region>.amazonaws.com`; COS
    /// virtual-hosted at `https://<bucket>-<appid>.cos.<region>.myqcloud.com`; MinIO (and AWS with an
    /// explicit `endpoint`, such as SeaweedFS) path-style. `path_style` overrides the default.
    ///
    /// - Parameters:
    ///   - config: The storage settings.
    ///   - environment: Where the named variables are looked up.
    ///   - options: Sizes, parallelism, timeouts and retries; `bandwidth_limit` from the config
    ///     installs a limiter when the options have none.
    ///   - httpClient: The client that sends requests.
    ///   - logger: Receives diagnostics (never secrets or signed URLs).
    /// - Throws: ``StorageError`` `configuration` naming the setting at fault (`storage.bucket`,
    ///   `storage.access_key_env: variable S3_ACCESS_KEY is not set`, …); never a secret.
    public init(
        config: S3StorageConfig,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        options: S3StorageOptions = S3StorageOptions(),
        httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "backupkit.s3")
    ) throws {
        let endpoint = try Self.endpoint(for: config)
        let (credentials, source) = try Self.credentials(for: config, environment: environment)
        var options = options
        if options.bandwidthLimiter == nil, let limit = config.bandwidthLimit {
            guard limit > 0 else { throw Self.invalid("storage.bandwidth_limit: must be a positive number of bytes per second") }
            options.bandwidthLimiter = BandwidthLimiter(bytesPerSecond: limit)
        }
        var domain: URL?
        if let text = config.downloadDomain?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let withScheme = text.contains("://") ? text : "https://" + text
            guard let url = URL(string: withScheme), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
            else {
                throw Self.invalid("storage.download_domain: '\(text)' is not a host name or http(s) URL")
            }
            domain = url
        }
        try self.init(
            endpoint: endpoint, credentials: credentials, prefix: config.prefix, options: options,
            downloadDomain: domain, credentialSource: source, httpClient: httpClient, logger: logger)
    }

    static func invalid(_ message: String) -> StorageError {
        StorageError(code: .configuration, key: nil, message: message)
    }

    /// The endpoint the provider, endpoint, region, bucket and path style describe.
    static func endpoint(for config: S3StorageConfig) throws -> S3Endpoint {
        guard !config.bucket.isEmpty else { throw invalid("storage.bucket: is not set") }
        guard !config.region.isEmpty else { throw invalid("storage.region: is not set") }
        do {
            if let text = config.endpoint, !text.isEmpty {
                guard let url = URL(string: text), url.scheme != nil, url.host != nil else {
                    throw invalid("storage.endpoint: '\(text)' is not an http:// or https:// URL")
                }
                let pathStyle = config.pathStyle ?? (config.provider != .tencentCOS)
                return try S3Endpoint(endpoint: url, bucket: config.bucket, region: config.region, pathStyle: pathStyle)
            }
            switch config.provider {
            case .minio:
                throw invalid("storage.endpoint: is required for provider minio (such as http://127.0.0.1:9000)")
            case .tencentCOS:
                let cos = try S3Endpoint.tencentCOS(bucket: config.bucket, region: config.region)
                guard config.pathStyle == true else { return cos }
                return try S3Endpoint(endpoint: cos.endpoint, bucket: cos.bucket, region: cos.region, pathStyle: true)
            case .aws:
                let aws = try S3Endpoint.aws(bucket: config.bucket, region: config.region)
                guard config.pathStyle == true else { return aws }
                return try S3Endpoint(endpoint: aws.endpoint, bucket: aws.bucket, region: aws.region, pathStyle: true)
            }
        } catch let error as StorageError where !error.message.hasPrefix("storage.") {
            throw invalid("storage: \(error.message)")
        }
    }

    /// The key pair from the named variables or the credentials file, and a description of where
    /// it came from (names only).
    static func credentials(for config: S3StorageConfig, environment: [String: String]) throws -> (
        S3Credentials, String
    ) {
        if let file = config.credentialsFile, !file.isEmpty {
            let credentials = try S3CredentialsFile.read(path: file)
            return (credentials, "credentials_file \(file)")
        }
        func variable(_ name: String?, setting: String, holding what: String) throws -> String {
            guard let name, !name.isEmpty else {
                throw invalid(
                    "storage.\(setting): is not set; name the environment variable holding the \(what), "
                        + "or set storage.credentials_file")
            }
            guard let value = environment[name], !value.isEmpty else {
                throw invalid("storage.\(setting): variable \(name) is not set")
            }
            return value
        }
        let access = try variable(config.accessKeyEnvironmentVariable, setting: "access_key_env", holding: "access key id")
        let secret = try variable(
            config.secretKeyEnvironmentVariable, setting: "secret_key_env", holding: "secret access key")
        var token: String?
        if let name = config.sessionTokenEnvironmentVariable, !name.isEmpty {
            token = try variable(name, setting: "session_token_env", holding: "session token")
        }
        let source =
            "access_key_env \(config.accessKeyEnvironmentVariable ?? "") / "
            + "secret_key_env \(config.secretKeyEnvironmentVariable ?? "")"
        return (S3Credentials(accessKeyID: access, secretAccessKey: secret, sessionToken: token), source)
    }
}
