import Crypto
public import Foundation

/// Signs HTTP requests with AWS Signature Version 4 (`AWS4-HMAC-SHA256`), as AWS S3, MinIO and
/// Tencent COS (S3 endpoint) expect.
///
/// A pure value type: it holds credentials, region and service, reads no clock and performs no I/O.
/// The date is always passed in, so signatures are reproducible.
///
/// ```swift
/// let signer = SigV4Signer(credentials: credentials, region: "us-east-1")
/// let headers = signer.signedHeaders(
///     method: "GET", url: endpoint.url(for: "daily/db.sql.zst"),
///     headers: [("Range", "bytes=0-9")], payloadHash: .emptyBody, date: now)
/// ```
public struct SigV4Signer: Sendable {
    /// What the `x-amz-content-sha256` header and the last line of the canonical request say about
    /// the body.
    public enum PayloadHash: Hashable, Sendable {
        /// The body is not signed: `UNSIGNED-PAYLOAD` (S3 over TLS, streamed uploads).
        case unsigned
        /// The lower-case hex SHA-256 of the body.
        case sha256(String)
        /// No body: the SHA-256 of zero bytes.
        case emptyBody

        /// The SHA-256 of `bytes`, for a body held in memory.
        /// - Parameter bytes: The whole body.
        /// - Returns: A ``sha256(_:)`` payload hash.
        public static func sha256(of bytes: some DataProtocol) -> PayloadHash {
            .sha256(SigV4Signer.hex(SHA256.hash(data: bytes)))
        }

        /// The text that is signed and sent in `x-amz-content-sha256`.
        public var value: String {
            switch self {
            case .unsigned: "UNSIGNED-PAYLOAD"
            case .sha256(let hex): hex.lowercased()
            case .emptyBody: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            }
        }
    }

    /// The algorithm name that starts the `Authorization` header and the string to sign.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// Headers that proxies may rewrite and are therefore never signed (sent as given).
    static let unsignableHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
        "x-amzn-trace-id",
    ]

    /// The keys that sign.
    public var credentials: S3Credentials
    /// The region of the credential scope (`us-east-1`, `ap-guangzhou`).
    public var region: String
    /// The service of the credential scope; `s3` selects the S3 rules (single path encoding,
    /// `x-amz-content-sha256` header).
    public var service: String

    /// Creates a signer.
    /// - Parameters:
    ///   - credentials: The keys that sign.
    ///   - region: The region of the credential scope.
    ///   - service: The service of the credential scope; `"s3"` for every S3-compatible store.
    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    var isS3: Bool { service == "s3" }

    // MARK: Signing with an Authorization header

    /// The headers to send with a request, signed.
    ///
    /// Returns `headers` plus `host` (when missing), `x-amz-date`, `x-amz-content-sha256` (service
    /// `s3`), `x-amz-security-token` (with a session token) and `authorization`. Any of these that
    /// `headers` already holds is replaced. Every header except hop-by-hop ones (`connection`,
    /// `user-agent`, …) is signed.
    ///
    /// - Parameters:
    ///   - method: The HTTP method (`GET`, `PUT`, …).
    ///   - url: The request URL exactly as it will be sent: path and query already percent-encoded
    ///     (``S3Endpoint/url(for:)`` builds such URLs). Encode spaces as `%20`, never `+`.
    ///   - headers: The headers the request will carry.
    ///   - payloadHash: What is signed for the body.
    ///   - date: The signing time; the server accepts it within 15 minutes of its clock.
    /// - Returns: The full header list to send, in a stable order.
    public func signedHeaders(
        method: String, url: URL, headers: [(String, String)], payloadHash: PayloadHash, date: Date
    ) -> [(String, String)] {
        let prepared = preparedHeaders(url: url, headers: headers, payloadHash: payloadHash, date: date)
        let parts = URLParts(url)
        let canonical = canonicalRequest(
            method: method, path: parts.path, query: parts.query, headers: prepared, payloadHash: payloadHash)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical.text, date: date), date: date)
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(credentialScope(date: date)), "
            + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        return prepared + [("authorization", authorization)]
    }

    /// The canonical request that ``signedHeaders(method:url:headers:payloadHash:date:)`` signs.
    ///
    /// Holds header values (a session token among them): never log it.
    func canonicalRequest(
        method: String, url: URL, headers: [(String, String)], payloadHash: PayloadHash, date: Date
    ) -> String {
        let prepared = preparedHeaders(url: url, headers: headers, payloadHash: payloadHash, date: date)
        let parts = URLParts(url)
        return canonicalRequest(
            method: method, path: parts.path, query: parts.query, headers: prepared, payloadHash: payloadHash
        ).text
    }

    /// The caller's headers with the signer's own added or replaced.
    func preparedHeaders(
        url: URL, headers: [(String, String)], payloadHash: PayloadHash, date: Date
    ) -> [(String, String)] {
        var replaced: Set<String> = ["authorization", "x-amz-date"]
        if isS3 { replaced.insert("x-amz-content-sha256") }
        if credentials.sessionToken != nil { replaced.insert("x-amz-security-token") }
        var result = headers.filter { !replaced.contains(Self.canonicalName($0.0)) }
        if !result.contains(where: { Self.canonicalName($0.0) == "host" }) {
            result.append(("host", URLParts(url).hostHeader))
        }
        result.append(("x-amz-date", Self.timestamp(date)))
        if isS3 { result.append(("x-amz-content-sha256", payloadHash.value)) }
        if let token = credentials.sessionToken { result.append(("x-amz-security-token", token)) }
        return result
    }

    // MARK: The canonical request and the string to sign

    /// Builds the canonical request from the parts of a request as they go on the wire.
    ///
    /// - Parameters:
    ///   - path: The request path as sent. Service `s3` signs it encoded once (each segment decoded
    ///     and re-encoded with the RFC 3986 unreserved set); other services normalise it (`.`/`..`,
    ///     empty segments) and encode it once more, the generic "double encoding" rule.
    ///   - query: The percent-encoded query, without `?`.
    ///   - headers: Every header of the request, including `host` and `x-amz-date`.
    /// - Returns: The canonical request text and the `;`-joined signed header names.
    func canonicalRequest(
        method: String, path: String, query: String?, headers: [(String, String)], payloadHash: PayloadHash
    ) -> (text: String, signedHeaders: String) {
        let canonicalHeaders = Self.canonicalHeaders(headers)
        let signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
        let lines = [
            method.uppercased(),
            canonicalURI(path),
            Self.canonicalQuery(Self.queryPairs(query)),
            canonicalHeaders.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            payloadHash.value,
        ]
        return (lines.joined(separator: "\n"), signedHeaders)
    }

    /// The string to sign: algorithm, timestamp, credential scope and the hash of the canonical request.
    func stringToSign(canonicalRequest: String, date: Date) -> String {
        [
            Self.algorithm,
            Self.timestamp(date),
            credentialScope(date: date),
            Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
    }

    /// The hex HMAC of `stringToSign` under the key derived for `date`.
    func signature(stringToSign: String, date: Date) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(date: date))
        return Self.hex(code)
    }

    /// `YYYYMMDD/region/service/aws4_request`.
    func credentialScope(date: Date) -> String {
        "\(Self.dateStamp(date))/\(region)/\(service)/aws4_request"
    }

    /// The key chain `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    func signingKey(date: Date) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [Self.dateStamp(date), region, service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    func canonicalURI(_ path: String) -> String {
        if path.isEmpty { return "/" }
        if isS3 {
            return path.split(separator: "/", omittingEmptySubsequences: false)
                .map { Self.percentEncode(bytes: Self.percentDecodedBytes($0)) }
                .joined(separator: "/")
        }
        var segments: [Substring] = []
        for segment in path.split(separator: "/") where segment != "." {
            if segment == ".." {
                _ = segments.popLast()
            } else {
                segments.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !segments.isEmpty ? "/" : ""
        let normalized = leading + segments.joined(separator: "/") + trailing
        return Self.percentEncodePath(normalized.isEmpty ? "/" : normalized)
    }

    /// The query's `key=value` pairs, each decoded to bytes and re-encoded in canonical form.
    static func queryPairs(_ query: String?) -> [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? parts[1] : ""
            return (
                percentEncode(bytes: percentDecodedBytes(parts[0])),
                percentEncode(bytes: percentDecodedBytes(value))
            )
        }
    }

    /// Encoded pairs sorted by key, then value (byte order), joined with `&`.
    static func canonicalQuery(_ pairs: [(String, String)]) -> String {
        pairs.sorted { lhs, rhs in
            if lhs.0 != rhs.0 { return lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8) }
            return lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8)
        }
        .map { "\($0.0)=\($0.1)" }
        .joined(separator: "&")
    }

    static func canonicalName(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Lower-cased names, sorted; values trimmed with inner runs of whitespace collapsed; repeated
    /// names joined with `,` in the order given.
    static func canonicalHeaders(_ headers: [(String, String)]) -> [(name: String, value: String)] {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let canonical = canonicalName(name)
            if unsignableHeaders.contains(canonical) { continue }
            let collapsed = value.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            values[canonical, default: []].append(collapsed)
        }
        return values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { (name: $0, value: values[$0, default: []].joined(separator: ",")) }
    }

    // MARK: Dates

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        let parts = utcParts(date)
        return dateStamp(date) + "T" + twoDigits(parts.hour) + twoDigits(parts.minute) + twoDigits(parts.second) + "Z"
    }

    /// `YYYYMMDD` in UTC.
    static func dateStamp(_ date: Date) -> String {
        let parts = utcParts(date)
        return String(parts.year) + twoDigits(parts.month) + twoDigits(parts.day)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }

    /// Civil UTC date and time of `date`, whole seconds (days-from-civil inverse, proleptic Gregorian).
    private static func utcParts(_ date: Date) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
    }
}

extension SigV4Signer: CustomStringConvertible {
    /// The access key id, region and service; never the secret.
    public var description: String {
        "SigV4Signer(accessKeyID: \(credentials.accessKeyID), region: \(region), service: \(service))"
    }
}
