import Foundation
import NIOCore
import NIOHTTP1

/// One S3 request before signing: the method, the object (or the bucket), the query, the headers
/// and the body held in memory.
struct S3Request: Sendable {
    var method: HTTPMethod
    /// The full object name (prefix included), or `nil` for a request on the bucket.
    var objectName: String?
    /// Unencoded query parameters, in the order they are sent; an empty value sends the bare name
    /// (`?uploads`).
    var query: [(String, String)]
    /// Headers to send and sign, besides those the signer adds.
    var headers: [(String, String)]
    /// The body, or `nil` for none.
    var body: ByteBuffer?
    /// What is signed for the body.
    var payloadHash: SigV4Signer.PayloadHash
    /// The deadline of one attempt, measured from its start.
    var timeout: Duration

    init(
        method: HTTPMethod, objectName: String? = nil, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: ByteBuffer? = nil, payloadHash: SigV4Signer.PayloadHash = .emptyBody, timeout: Duration
    ) {
        self.method = method
        self.objectName = objectName
        self.query = query
        self.headers = headers
        self.body = body
        self.payloadHash = payloadHash
        self.timeout = timeout
    }

    /// The request URL for `endpoint`, path and query percent-encoded the way the signer signs them.
    func url(in endpoint: S3Endpoint) -> URL {
        let base = objectName.map { endpoint.url(for: $0) } ?? endpoint.bucketURL
        guard !query.isEmpty else { return base }
        let encoded = query.map { name, value in
            value.isEmpty
                ? SigV4Signer.percentEncode(name)
                : "\(SigV4Signer.percentEncode(name))=\(SigV4Signer.percentEncode(value))"
        }
        // Every part is percent-encoded, so the string always parses; fall back to the bare URL.
        return URL(string: base.absoluteString + "?" + encoded.joined(separator: "&")) ?? base
    }
}

/// A successful S3 answer read whole (small bodies only: listings, upload ids).
struct S3Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    /// The body parsed as XML.
    func document() throws -> S3XMLElement {
        do {
            return try S3XMLElement.parse(body)
        } catch {
            throw S3ServiceError(
                status: status, code: "MalformedResponse", message: "\(error)",
                requestID: headers.first(name: "x-amz-request-id"))
        }
    }
}
