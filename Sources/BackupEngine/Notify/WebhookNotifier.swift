import ArtifactFormat
public import BackupModels
import BackupSources
import BackupSupport
public import Foundation
import RemoteStorage

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// POSTs each event's JSON to a URL, retrying transient failures.
///
/// Connection errors, timeouts, HTTP 429 and 5xx are retried with exponential backoff and jitter
/// (see ``RetryPolicy``); other 4xx answers fail at once. A 429's `Retry-After` (in seconds) is honoured,
/// capped by ``RetryPolicy/maxDelay``. Errors name the URL as `scheme://host:port/path` only: header values,
/// user, password and query never appear in them.
public struct WebhookNotifier: Notifier {
    /// The endpoint.
    public var url: URL
    /// Extra request headers (they may hold tokens; they are never logged or put in errors).
    public var headers: [String: String]
    /// How failures are retried.
    public var retry: RetryPolicy
    /// The timeout of one attempt.
    public var timeout: Duration
    /// Waits between attempts; tests inject one that returns at once.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// Creates a notifier for a URL already validated by the caller.
    /// - Parameters:
    ///   - url: The endpoint (http or https).
    ///   - headers: Extra request headers, such as `Authorization`.
    ///   - retry: How failures are retried.
    ///   - timeout: The timeout of one attempt.
    ///   - sleep: Waits between attempts; defaults to `Task.sleep(for:)`.
    public init(
        url: URL, headers: [String: String] = [:], retry: RetryPolicy = .default, timeout: Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.url = url
        self.headers = headers
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
    }

    /// Creates a notifier from a URL setting, validating it.
    /// - Parameters:
    ///   - url: The endpoint as written in the configuration.
    ///   - setting: The setting's name, used in the error (`notify.webhook.url`).
    ///   - headers: Extra request headers, such as `Authorization`.
    ///   - retry: How failures are retried.
    ///   - timeout: The timeout of one attempt.
    ///   - sleep: Waits between attempts; defaults to `Task.sleep(for:)`.
    /// - Throws: ``NotifyError`` with code ``NotifyError/Code-swift.struct/invalidConfiguration`` when the
    ///   URL is not http or https or has no host.
    public init(
        url: String, setting: String = "notify.webhook.url", headers: [String: String] = [:],
        retry: RetryPolicy = .default, timeout: Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) throws {
        guard let parsed = URL(string: url.trimmingCharacters(in: .whitespaces)),
            let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = parsed.host, !host.isEmpty
        else {
            throw NotifyError(
                code: .invalidConfiguration, subject: setting,
                message: "expected an http or https URL with a host, got '\(Self.redact(url))'")
        }
        self.init(url: parsed, headers: headers, retry: retry, timeout: timeout, sleep: sleep)
    }

    /// The URL as it may appear in errors and logs: `scheme://host:port/path`.
    public var redactedURL: String { Self.redact(url) }

    public func notify(_ event: BackupEvent) async throws {
        let body: Data
        do {
            body = try JSONCoding.encoder(compact: true).encode(event)
        } catch {
            throw NotifyError(code: .encoding, subject: event.kind.rawValue, message: "\(error)", underlying: error)
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = Self.seconds(timeout)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(event.kind.rawValue, forHTTPHeaderField: "X-BackupKit-Event")

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Self.seconds(timeout)
        configuration.timeoutIntervalForResource = Self.seconds(timeout)
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }

        let prepared = request
        let maxDelay = retry.maxDelay
        do {
            try await retry.backoff.run(
                sleep: sleep, isRetryable: { $0 is FailedAttempt },
                requestedDelay: { ($0 as? FailedAttempt)?.retryAfter.map { min($0, maxDelay) } }
            ) { attempt in
                switch await Self.send(prepared, body: body, on: session) {
                case .answered(let code, _) where (200..<300).contains(code):
                    return
                case .answered(let code, let after):
                    let problem = "answered HTTP \(code)"
                    if code != 429 && !(500..<600).contains(code) {
                        throw NotifyError(
                            code: .webhookFailed, subject: redactedURL, message: problem, status: code, attempts: attempt)
                    }
                    throw FailedAttempt(attempt: attempt, status: code, problem: problem, retryAfter: after)
                case .failed(let reason):
                    throw FailedAttempt(attempt: attempt, status: nil, problem: reason, retryAfter: nil)
                }
            }
        } catch let failure as FailedAttempt {
            try Task.checkCancellation()
            throw NotifyError(
                code: .webhookFailed, subject: redactedURL, message: failure.problem, status: failure.status,
                attempts: failure.attempt)
        }
    }

    /// A retryable failure (a connection error, HTTP 429 or 5xx), turned into a ``NotifyError`` when the
    /// retries run out.
    private struct FailedAttempt: Error {
        var attempt: Int
        var status: Int?
        var problem: String
        var retryAfter: Duration?
    }

    private enum Result {
        case answered(Int, retryAfter: Duration?)
        case failed(String)
    }

    private static func send(_ request: URLRequest, body: Data, on session: URLSession) async -> Result {
        do {
            let (_, response) = try await session.upload(for: request, from: body)
            guard let http = response as? HTTPURLResponse else { return .failed("not an HTTP response") }
            let after = (http.value(forHTTPHeaderField: "Retry-After")).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return .answered(http.statusCode, retryAfter: after.map { .seconds(max(0, $0)) })
        } catch let error as URLError {
            // Never the error's own description: it holds the full URL, credentials and query included.
            return .failed(describe(error.code))
        } catch {
            return .failed("request failed (\(type(of: error)))")
        }
    }

    private static func describe(_ code: URLError.Code) -> String {
        switch code {
        case .timedOut: "timed out"
        case .cannotConnectToHost: "connection refused"
        case .networkConnectionLost: "connection lost"
        case .cannotFindHost, .dnsLookupFailed: "host not found"
        case .notConnectedToInternet: "network unreachable"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot:
            "TLS failure"
        case .badServerResponse: "bad server response"
        case .cancelled: "cancelled"
        default: "connection error (URLError \(code.rawValue))"
        }
    }

    package static func redact(_ url: URL) -> String {
        guard let scheme = url.scheme, let host = url.host else { return "<invalid URL>" }
        var text = "\(scheme)://\(host)"
        if let port = url.port { text += ":\(port)" }
        return text + url.path
    }

    package static func redact(_ text: String) -> String {
        guard let url = URL(string: text) else { return "<invalid URL>" }
        return redact(url)
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        let (whole, atto) = duration.components
        return TimeInterval(whole) + TimeInterval(atto) / 1e18
    }
}
