public import Foundation

extension S3Storage {
    /// The S3-compatible services whose addressing ``endpoint(provider:endpoint:region:bucket:pathStyle:)``
    /// knows.
    public enum Provider: String, Hashable, Sendable, CaseIterable {
        /// Amazon S3: virtual-hosted at `https://<bucket>.s3.<region>.amazonaws.com` without an explicit
        /// endpoint URL; path style with one (SeaweedFS and other self-hosted stores).
        case aws
        /// Tencent Cloud COS: virtual-hosted at `https://<bucket>-<appid>.cos.<region>.myqcloud.com`.
        case tencentCOS
        /// MinIO: path style at an endpoint URL, which is required.
        case minio
    }

    /// The endpoint a provider, optional endpoint URL, region, bucket and addressing style describe.
    ///
    /// - Parameters:
    ///   - provider: The service, which decides the default host and addressing style.
    ///   - endpoint: The service URL; `nil` for the provider's public endpoint (required for MinIO).
    ///   - region: The signing region.
    ///   - bucket: The bucket name.
    ///   - pathStyle: `true` or `false` to force an addressing style; `nil` for the provider's default
    ///     (path style at an explicit endpoint except for COS, virtual-hosted otherwise).
    /// - Throws: ``StorageError`` `configuration` saying which value is unusable (the bucket name is
    ///   empty, the endpoint URL is missing or holds credentials, …).
    public static func endpoint(
        provider: Provider, endpoint: URL?, region: String, bucket: String, pathStyle: Bool?
    ) throws -> S3Endpoint {
        guard !bucket.isEmpty else { throw S3Endpoint.invalid("the bucket name is empty") }
        guard !region.isEmpty else { throw S3Endpoint.invalid("the region is empty") }
        if let endpoint {
            let style = pathStyle ?? (provider != .tencentCOS)
            return try S3Endpoint(endpoint: endpoint, bucket: bucket, region: region, pathStyle: style)
        }
        switch provider {
        case .minio:
            throw S3Endpoint.invalid("a MinIO endpoint needs the server's URL (such as http://127.0.0.1:9000)")
        case .tencentCOS:
            let cos = try S3Endpoint.tencentCOS(bucket: bucket, region: region)
            guard pathStyle == true else { return cos }
            return try S3Endpoint(endpoint: cos.endpoint, bucket: cos.bucket, region: cos.region, pathStyle: true)
        case .aws:
            let aws = try S3Endpoint.aws(bucket: bucket, region: region)
            guard pathStyle == true else { return aws }
            return try S3Endpoint(endpoint: aws.endpoint, bucket: aws.bucket, region: aws.region, pathStyle: true)
        }
    }

    /// The download-link host a text names: a host name (`dl.example.com`, taken as `https`) or an
    /// `http(s)` URL; `nil` for empty text.
    ///
    /// - Throws: ``StorageError`` `configuration` when the text is neither.
    public static func downloadDomain(_ text: String) throws -> URL? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        let withScheme = trimmed.contains("://") ? trimmed : "https://" + trimmed
        guard let url = URL(string: withScheme), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            throw S3Endpoint.invalid("the download domain '\(trimmed)' is not a host name or http(s) URL")
        }
        return url
    }
}

extension S3Credentials {
    /// Reads a key pair from a private file: `name = value` (or `name: value`) lines, `#` comments, with
    /// the names `access_key`, `secret_key` and optional `session_token` (or the AWS spellings
    /// `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`; `[section]` lines are ignored).
    ///
    /// - Throws: ``StorageError`` `configuration` naming the file when it is missing, readable by group
    ///   or others, or lacks a key; never a value from it.
    public init(contentsOfFile path: String) throws {
        self = try S3CredentialsFile.read(path: path)
    }
}
