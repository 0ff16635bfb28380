import AsyncHTTPClient
import BackupSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// A cluster's answer: status and body.
struct ClusterResponse: Sendable {
    let status: Int
    let body: Data

    /// The body as JSON, if it is JSON.
    var json: JSONValue? { JSONValue.parse(body) }

    /// The body as JSON, or an ``SnapshotClientError/Code/invalidResponse`` naming the action.
    func requireJSON(_ action: String) throws -> JSONValue {
        guard let json else {
            throw SnapshotClientError(
                code: .invalidResponse, message: "\(action): the cluster answered HTTP \(status) without a JSON body",
                status: status)
        }
        return json
    }
}

extension SnapshotClient {
    /// The largest response body read into memory (snapshot listings of big repositories are large).
    static let maximumResponseBytes = 512 * 1024 * 1024

    /// Builds the request for `endpoint` from its table entry, sends it (retrying idempotent calls) and returns
    /// the answer, or throws the cluster's error.
    /// - Parameters:
    ///   - parts: Values for the `{part}` placeholders; each is percent-encoded (commas and `*` kept).
    ///   - query: Query parameters; each must be listed in ``Endpoint/parameters``.
    ///   - waits: Whether the request waits for completion (uses the longer deadline).
    ///   - action: What the caller tried, for messages ("get snapshot 'x' in repository 'y'").
    ///   - acceptedStatuses: Non-2xx statuses returned as answers instead of errors (HEAD 404).
    func send(
        _ endpoint: Endpoint, parts: [String: String] = [:], query: [(String, String)] = [], body: JSONValue? = nil,
        waits: Bool = false, action: String, acceptedStatuses: Set<Int> = []
    ) async throws -> ClusterResponse {
        let path = try Self.path(for: endpoint, parts: parts)
        let allowed = Set(endpoint.parameters.map(\.name))
        if let unknown = query.first(where: { !allowed.contains($0.0) }) {
            throw SnapshotClientError(
                code: .invalidRequest,
                message: "\(action): query parameter '\(unknown.0)' is not in the endpoint table for \(endpoint.name)")
        }
        let queryText = query.map { "\($0.0)=\(Self.encodeQueryValue($0.1))" }.joined(separator: "&")
        let pathAndQuery = queryText.isEmpty ? path : "\(path)?\(queryText)"
        let requestLabel = "\(endpoint.method) \(path)"

        var request = HTTPClientRequest(url: target.redactedBase + pathAndQuery)
        request.method = HTTPMethod(rawValue: endpoint.method)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "BackupKit-SnapshotClient")
        if let authorization = target.authorization {
            request.headers.add(name: "Authorization", value: authorization)
        }
        if let body {
            let data = try body.encoded()
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        if target.isTLS {
            request.tlsConfiguration = try makeTLSConfiguration()
        }

        let deadline = waits ? configuration.timeouts.waitForCompletion : configuration.timeouts.request
        let policy = endpoint.isIdempotent ? configuration.retry : .none
        let prepared = request
        do {
            return try await policy.backoff.run(
                isRetryable: { $0 is RetryableAnswer || !($0 is SnapshotClientError || $0 is CancellationError) },
                onRetry: { retry in
                    logger.debug("retrying idempotent cluster request", metadata: ["delay": "\(retry.delay)"])
                }
            ) { attempt in
                logger.debug(
                    "cluster request",
                    metadata: ["method": "\(endpoint.method)", "path": "\(path)", "attempt": "\(attempt)"])
                let response = try await httpClient.execute(prepared, timeout: Self.timeAmount(deadline))
                let buffer = try await response.body.collect(upTo: Self.maximumResponseBytes)
                let answer = ClusterResponse(status: Int(response.status.code), body: Data(buffer.readableBytesView))
                if (200..<300).contains(answer.status) || acceptedStatuses.contains(answer.status) {
                    return answer
                }
                if [429, 502, 503, 504].contains(answer.status) { throw RetryableAnswer(answer: answer) }
                throw Self.clusterError(status: answer.status, body: answer.body, action: action, request: requestLabel)
            }
        } catch let retryable as RetryableAnswer {
            throw Self.clusterError(
                status: retryable.answer.status, body: retryable.answer.body, action: action, request: requestLabel)
        } catch let error as SnapshotClientError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            try Task.checkCancellation()
            throw transportError(error, action: action, request: requestLabel)
        }
    }

    /// A transient answer (HTTP 429, 502, 503, 504) to an idempotent call: retried, and reported as the
    /// cluster's error when the retries run out.
    private struct RetryableAnswer: Error {
        let answer: ClusterResponse
    }

    private func makeTLSConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let path = configuration.tls.certificateAuthorityPath {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw SnapshotClientError(
                    code: .invalidRequest, message: "certificate authority file '\(path)' does not exist or is not readable")
            }
            tls.trustRoots = .file(path)
        }
        if !configuration.tls.verifiesCertificates {
            tls.certificateVerification = .none
        }
        return tls
    }

    private func transportError(_ error: any Error, action: String, request: String) -> SnapshotClientError {
        let timeoutCodes: [HTTPClientError] = [.deadlineExceeded, .readTimeout, .writeTimeout]
        if let httpError = error as? HTTPClientError, timeoutCodes.contains(httpError) {
            return SnapshotClientError(
                code: .timeout, message: "\(action): the cluster at \(target.redactedBase) did not answer in time",
                request: request, underlying: error)
        }
        return SnapshotClientError(
            code: .connection, message: "\(action): cannot reach the cluster at \(target.redactedBase)",
            request: request, underlying: error)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Fills a path template; each part is percent-encoded except list commas and wildcards.
    static func path(for endpoint: Endpoint, parts: [String: String]) throws -> String {
        var path = endpoint.pathTemplate
        while let open = path.firstIndex(of: "{"), let close = path[open...].firstIndex(of: "}") {
            let name = String(path[path.index(after: open)..<close])
            guard let value = parts[name], !value.isEmpty else {
                throw SnapshotClientError(
                    code: .invalidRequest, message: "\(endpoint.name): the path part '\(name)' is empty")
            }
            // A document id is one opaque value: its commas and asterisks are encoded too.
            path.replaceSubrange(open...close, with: name == "id" ? encodeIdentifier(value) : encodePathPart(value))
        }
        return path
    }

    private static let pathAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        set.insert(charactersIn: "-._~,*")
        return set
    }()

    private static let identifierAllowed: CharacterSet = pathAllowed.subtracting(CharacterSet(charactersIn: ",*"))

    /// Percent-encodes everything but unreserved characters (document ids).
    static func encodeIdentifier(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: identifierAllowed) ?? value
    }

    static func encodePathPart(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: pathAllowed) ?? value
    }

    static func encodeQueryValue(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: pathAllowed) ?? value
    }
}
