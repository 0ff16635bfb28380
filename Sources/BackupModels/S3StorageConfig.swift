/// An S3-compatible bucket (`type: s3` or `type: cos` in plans).
public struct S3StorageConfig: Hashable, Codable, Sendable {
    /// Which service the endpoint belongs to; decides the default endpoint and addressing.
    public enum Provider: String, Hashable, Codable, Sendable {
        /// AWS S3, or any S3-compatible server when an endpoint is given (MinIO, SeaweedFS).
        case aws
        /// Tencent Cloud Object Storage through its S3 endpoint.
        case tencentCOS = "cos"
        /// MinIO (path-style by default).
        case minio
    }

    enum CodingKeys: String, CodingKey {
        case provider, endpoint, region, bucket, prefix
        case pathStyle = "path_style"
        case accessKeyEnvironmentVariable = "access_key_env"
        case secretKeyEnvironmentVariable = "secret_key_env"
        case sessionTokenEnvironmentVariable = "session_token_env"
        case credentialsFile = "credentials_file"
        case downloadDomain = "download_domain"
        case bandwidthLimit = "bandwidth_limit"
    }

    public var provider: Provider
    /// The endpoint URL (`http://127.0.0.1:8333`); `nil` derives it from the provider and region.
    public var endpoint: String?
    public var region: String
    public var bucket: String
    /// A key prefix inside the bucket (`bklog/`).
    public var prefix: String
    /// Path-style addressing (`endpoint/bucket/key`) instead of virtual-hosted (`bucket.endpoint/key`);
    /// `nil` picks the provider's default.
    public var pathStyle: Bool?
    /// The environment variable holding the access key id.
    public var accessKeyEnvironmentVariable: String?
    /// The environment variable holding the secret access key.
    public var secretKeyEnvironmentVariable: String?
    /// The environment variable holding a session token (temporary credentials).
    public var sessionTokenEnvironmentVariable: String?
    /// A 0600 file holding `access_key` / `secret_key` (/ `session_token`) lines, instead of variables.
    public var credentialsFile: String?
    /// A host that replaces the endpoint host in download links (a COS accelerated domain).
    public var downloadDomain: String?
    /// Upload and download bandwidth cap in bytes per second; `nil` is unlimited.
    public var bandwidthLimit: Int64?

    public init(
        provider: Provider = .aws, endpoint: String? = nil, region: String, bucket: String, prefix: String = "",
        pathStyle: Bool? = nil, accessKeyEnvironmentVariable: String? = nil, secretKeyEnvironmentVariable: String? = nil,
        sessionTokenEnvironmentVariable: String? = nil, credentialsFile: String? = nil, downloadDomain: String? = nil,
        bandwidthLimit: Int64? = nil
    ) {
        self.provider = provider
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix
        self.pathStyle = pathStyle
        self.accessKeyEnvironmentVariable = accessKeyEnvironmentVariable
        self.secretKeyEnvironmentVariable = secretKeyEnvironmentVariable
        self.sessionTokenEnvironmentVariable = sessionTokenEnvironmentVariable
        self.credentialsFile = credentialsFile
        self.downloadDomain = downloadDomain
        self.bandwidthLimit = bandwidthLimit
    }
}
