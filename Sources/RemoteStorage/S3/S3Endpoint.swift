public import Foundation

/// Where a bucket lives and how its object URLs are formed.
///
/// Path style puts the bucket in the path (`http://127.0.0.1:8333/bucket/key`, MinIO and most
/// self-hosted stores); virtual-hosted style puts it in the host
/// (`https://bucket.s3.us-east-1.amazonaws.com/key`, AWS and Tencent COS). Keys are encoded one
/// `/`-separated segment at a time with the RFC 3986 unreserved set, which is also the form
/// ``SigV4Signer`` signs, so the URL sent and the URL signed always agree.
public struct S3Endpoint: Hashable, Sendable {
    /// The service endpoint without the bucket (`https://s3.us-east-1.amazonaws.com`,
    /// `https://cos.ap-guangzhou.myqcloud.com`, `http://127.0.0.1:9000`).
    public let endpoint: URL
    /// The bucket name; for Tencent COS it ends with the APPID (`backups-1250000000`).
    public let bucket: String
    /// The signing region (`us-east-1`, `ap-guangzhou`).
    public let region: String
    /// `true` for `endpoint/bucket/key`, `false` for `bucket.endpoint-host/key`.
    public let pathStyle: Bool

    /// Creates and validates an endpoint.
    /// - Parameters:
    ///   - endpoint: The service URL (`http` or `https`, a host, an optional path prefix).
    ///   - bucket: The bucket name: 3–63 characters of `a-z 0-9 . -`, starting and ending with a
    ///     letter or digit.
    ///   - region: The signing region.
    ///   - pathStyle: Whether the bucket goes into the path rather than the host.
    /// - Throws: ``StorageError`` with code ``StorageError/Code-swift.struct/configuration``, its
    ///   message naming the wrong setting (`endpoint`, `bucket` or `region`).
    public init(endpoint: URL, bucket: String, region: String, pathStyle: Bool) throws {
        try Self.validate(endpoint: endpoint)
        try Self.validate(bucket: bucket)
        try Self.validate(region: region)
        if !pathStyle, endpoint.scheme?.lowercased() == "https", bucket.contains(".") {
            throw Self.invalid(
                "bucket '\(bucket)' contains '.', which breaks TLS certificates of virtual-hosted URLs; use path style")
        }
        self.endpoint = endpoint
        self.bucket = bucket
        self.region = region
        self.pathStyle = pathStyle
    }

    /// AWS S3 in `region`, virtual-hosted: `https://<bucket>.s3.<region>.amazonaws.com`.
    /// - Throws: ``StorageError`` when the bucket or region is invalid.
    public static func aws(bucket: String, region: String) throws -> S3Endpoint {
        try validate(region: region)
        return try S3Endpoint(
            endpoint: URL(string: "https://s3.\(region).amazonaws.com")!, bucket: bucket, region: region,
            pathStyle: false)
    }

    /// A MinIO (or other self-hosted) server, path style: `<endpoint>/<bucket>/<key>`.
    /// - Parameters:
    ///   - endpoint: The server URL, such as `http://127.0.0.1:9000`.
    ///   - bucket: The bucket name.
    ///   - region: The region the server is configured with; MinIO's default is `us-east-1`.
    /// - Throws: ``StorageError`` when a setting is invalid.
    public static func minio(endpoint: URL, bucket: String, region: String = "us-east-1") throws -> S3Endpoint {
        try S3Endpoint(endpoint: endpoint, bucket: bucket, region: region, pathStyle: true)
    }

    /// Tencent Cloud COS through its S3-compatible API, virtual-hosted:
    /// `https://<bucket>.cos.<region>.myqcloud.com`.
    /// - Parameters:
    ///   - bucket: The full bucket name including the APPID suffix (`backups-1250000000`).
    ///   - region: The COS region (`ap-guangzhou`).
    /// - Throws: ``StorageError`` when a setting is invalid or the bucket lacks the APPID suffix.
    public static func tencentCOS(bucket: String, region: String) throws -> S3Endpoint {
        try validate(region: region)
        try validate(bucket: bucket)
        let suffix = bucket.split(separator: "-").last ?? ""
        guard bucket.contains("-"), !suffix.isEmpty, suffix.allSatisfy(\.isASCIIDigit) else {
            throw invalid("bucket '\(bucket)' must end with the COS APPID, such as 'backups-1250000000'")
        }
        return try S3Endpoint(
            endpoint: URL(string: "https://cos.\(region).myqcloud.com")!, bucket: bucket, region: region,
            pathStyle: false)
    }

    /// The URL of the bucket itself (for listings), ending with `/`.
    public var bucketURL: URL { url(for: "") }

    /// The URL of the object at `key`, each path segment percent-encoded and `/` kept.
    /// - Parameter key: The object key, unencoded (`daily/2026/11/25/db backup é.sql.zst`).
    /// - Returns: The object URL in this endpoint's addressing style.
    public func url(for key: String) -> URL {
        let base = SigV4Signer.URLParts(endpoint)
        var prefix = base.path
        while prefix.hasSuffix("/") { prefix.removeLast() }
        let encodedKey = SigV4Signer.percentEncodePath(key)
        let host: String
        let path: String
        if pathStyle {
            host = base.hostHeader
            path = "\(prefix)/\(SigV4Signer.percentEncode(bucket))/\(encodedKey)"
        } else {
            host = "\(bucket).\(base.hostHeader)"
            path = "\(prefix)/\(encodedKey)"
        }
        // Every part is validated or percent-encoded, so the string always parses.
        return URL(string: "\(base.scheme)://\(host)\(path)")!
    }

    /// A signer for this endpoint's region and the `s3` service.
    /// - Parameter credentials: The keys that sign.
    public func signer(credentials: S3Credentials) -> SigV4Signer {
        SigV4Signer(credentials: credentials, region: region, service: "s3")
    }

    // MARK: Validation

    static func invalid(_ message: String) -> StorageError {
        StorageError(code: .configuration, key: nil, message: message)
    }

    static func validate(endpoint: URL) throws {
        let parts = SigV4Signer.URLParts(endpoint)
        guard parts.scheme == "http" || parts.scheme == "https" else {
            throw invalid("endpoint must be an http or https URL, got scheme '\(parts.scheme)'")
        }
        guard !parts.host.isEmpty else { throw invalid("endpoint has no host") }
        let components = URLComponents(url: endpoint, resolvingAgainstBaseURL: true)
        guard components?.user == nil, components?.password == nil else {
            throw invalid("endpoint must not hold a user or password; pass credentials separately")
        }
        guard parts.query == nil, components?.fragment == nil else {
            throw invalid("endpoint must not have a query or fragment")
        }
    }

    static func validate(bucket: String) throws {
        guard !bucket.isEmpty else { throw invalid("bucket must not be empty") }
        guard (3...63).contains(bucket.utf8.count) else {
            throw invalid("bucket '\(bucket)' must be 3 to 63 characters long")
        }
        let allowed = bucket.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
        guard allowed else {
            throw invalid("bucket '\(bucket)' has invalid characters: use lower-case letters, digits, '-' and '.'")
        }
        guard let first = bucket.first, let last = bucket.last, first.isLetterOrDigitASCII, last.isLetterOrDigitASCII,
            !bucket.contains("..")
        else {
            throw invalid("bucket '\(bucket)' must start and end with a letter or digit and not contain '..'")
        }
    }

    static func validate(region: String) throws {
        guard !region.isEmpty else { throw invalid("region must not be empty") }
        let allowed = region.utf8.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-")
        }
        guard allowed else {
            throw invalid("region '\(region)' has invalid characters: use lower-case letters, digits and '-'")
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    fileprivate var isLetterOrDigitASCII: Bool { ("a"..."z").contains(self) || ("0"..."9").contains(self) }
}
