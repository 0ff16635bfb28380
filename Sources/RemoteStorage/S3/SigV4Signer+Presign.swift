public import Foundation

extension SigV4Signer {
    /// The longest validity SigV4 allows for a presigned link: seven days.
    public static let maximumExpiry = 604_800

    /// A presigned link: a URL whose query carries the signature, usable without credentials
    /// until `date + expires`.
    ///
    /// The query gains `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
    /// `X-Amz-SignedHeaders=host`, `X-Amz-Security-Token` (with a session token) and
    /// `X-Amz-Signature`; only the `host` header is signed and, for S3, the body is
    /// `UNSIGNED-PAYLOAD`. Temporary credentials cap the real validity at the token's own expiry.
    ///
    /// - Parameters:
    ///   - method: The HTTP method the link allows (`GET` to download).
    ///   - url: The object URL, path and query percent-encoded (``S3Endpoint/url(for:)``).
    ///   - expires: Validity in seconds, `1...604800`.
    ///   - date: The signing time; the link is valid from then.
    ///   - extraQuery: Unencoded query parameters to add and sign, such as
    ///     `response-content-disposition`.
    ///   - downloadDomain: A domain to hand out instead of the endpoint's host (a COS/CDN
    ///     accelerated domain bound to the bucket). The link is signed *for that host*, so the
    ///     domain must forward requests to the bucket with its own `Host` intact and the provider
    ///     must accept the domain as the bucket's alias. Only scheme, host and port are taken.
    /// - Returns: The link. It is a bearer credential: never log it.
    /// - Throws: ``StorageError`` with code ``StorageError/Code-swift.struct/configuration`` when
    ///   `expires` is out of range or `downloadDomain` is not an `http(s)` URL with a host.
    public func presignedURL(
        method: String = "GET",
        url: URL,
        expires: Int,
        date: Date,
        extraQuery: [(String, String)] = [],
        downloadDomain: URL? = nil
    ) throws -> URL {
        guard (1...Self.maximumExpiry).contains(expires) else {
            throw StorageError(
                code: .configuration, key: nil,
                message: "expires must be between 1 and \(Self.maximumExpiry) seconds (7 days), got \(expires)")
        }
        var parts = URLParts(url)
        if let downloadDomain {
            let domain = URLParts(downloadDomain)
            guard domain.scheme == "http" || domain.scheme == "https", !domain.host.isEmpty else {
                throw StorageError(
                    code: .configuration, key: nil,
                    message: "downloadDomain must be an http or https URL with a host")
            }
            parts.scheme = domain.scheme
            parts.host = domain.host
            parts.port = domain.port
        }
        let canonical = presignCanonicalRequest(
            method: method, parts: parts, expires: expires, date: date, extraQuery: extraQuery)
        let signature = signature(stringToSign: stringToSign(canonicalRequest: canonical.text, date: date), date: date)
        let query = (canonical.pairs + [("X-Amz-Signature", signature)]).map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
        let path = parts.path.isEmpty ? "/" : parts.path
        guard let link = URL(string: "\(parts.scheme)://\(parts.hostHeader)\(path)?\(query)") else {
            throw StorageError(code: .configuration, key: nil, message: "url cannot be presigned (invalid URL)")
        }
        return link
    }

    /// The canonical request of a presigned link, and its query pairs (encoded, in output order:
    /// the URL's own, then `extraQuery`, then the `X-Amz-*` parameters).
    func presignCanonicalRequest(
        method: String, parts: URLParts, expires: Int, date: Date, extraQuery: [(String, String)]
    ) -> (text: String, pairs: [(String, String)]) {
        let authNames: Set<String> = [
            "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires", "x-amz-signedheaders",
            "x-amz-security-token", "x-amz-signature",
        ]
        var pairs = Self.queryPairs(parts.query)
        pairs += extraQuery.map { (Self.percentEncode($0.0), Self.percentEncode($0.1)) }
        pairs.removeAll { authNames.contains($0.0.lowercased()) }
        var auth: [(String, String)] = [
            ("X-Amz-Algorithm", Self.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(credentialScope(date: date))"),
            ("X-Amz-Date", Self.timestamp(date)),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { auth.append(("X-Amz-Security-Token", token)) }
        pairs += auth.map { (Self.percentEncode($0.0), Self.percentEncode($0.1)) }
        let lines = [
            method.uppercased(),
            canonicalURI(parts.path),
            Self.canonicalQuery(pairs),
            "host:\(parts.hostHeader)\n",
            "host",
            isS3 ? PayloadHash.unsigned.value : PayloadHash.emptyBody.value,
        ]
        return (lines.joined(separator: "\n"), pairs)
    }
}
