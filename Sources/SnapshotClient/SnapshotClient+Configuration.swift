import BackupSupport
import Foundation

extension SnapshotClient {
    /// Where the cluster is and how to talk to it.
    public struct Configuration: Sendable {
        /// The cluster's base URL, e.g. `https://es.example.com:9200` (a path prefix is kept; credentials in the
        /// URL are used as basic credentials when ``credentials`` is `nil`, and never appear in messages).
        public var url: String
        /// How to authenticate; `nil` sends no `Authorization` header.
        public var credentials: Credentials?
        /// Certificate checks for `https` URLs.
        public var tls: TLS
        /// Per-request deadlines.
        public var timeouts: Timeouts
        /// How idempotent calls (GET, HEAD) are retried after a transient failure.
        public var retry: RetryPolicy

        /// Creates a configuration.
        public init(
            url: String, credentials: Credentials? = nil, tls: TLS = TLS(), timeouts: Timeouts = Timeouts(),
            retry: RetryPolicy = RetryPolicy()
        ) {
            self.url = url
            self.credentials = credentials
            self.tls = tls
            self.timeouts = timeouts
            self.retry = retry
        }
    }

    /// How requests authenticate. The description never shows the secret.
    public enum Credentials: Hashable, Sendable, CustomStringConvertible {
        /// HTTP basic authentication.
        case basic(username: String, password: String)
        /// An Elasticsearch API key, already encoded (`base64(id:api_key)`, the `encoded` field of the create API key
        /// answer); sent as `Authorization: ApiKey <value>`.
        case apiKey(String)
        /// A bearer token (OAuth2, JWT, service account token); sent as `Authorization: Bearer <token>`.
        case bearer(String)

        /// An API key from its id and secret, encoded as Elasticsearch expects.
        public static func apiKey(id: String, key: String) -> Credentials {
            .apiKey(Data("\(id):\(key)".utf8).base64EncodedString())
        }

        /// The `Authorization` header value.
        var headerValue: String {
            switch self {
            case .basic(let username, let password):
                "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
            case .apiKey(let encoded): "ApiKey \(encoded)"
            case .bearer(let token): "Bearer \(token)"
            }
        }

        public var description: String {
            switch self {
            case .basic(let username, _): "basic(username: \(username), password: <redacted>)"
            case .apiKey: "apiKey(<redacted>)"
            case .bearer: "bearer(<redacted>)"
            }
        }
    }

    /// Certificate checks for `https` URLs.
    public struct TLS: Hashable, Sendable {
        /// A PEM file with the certificate authority (or authorities) the cluster's certificate must chain to;
        /// `nil` trusts the system's roots.
        public var certificateAuthorityPath: String?
        /// Whether the certificate and host name are checked. Turn off only for throw-away test clusters.
        public var verifiesCertificates: Bool

        /// Creates TLS settings.
        public init(certificateAuthorityPath: String? = nil, verifiesCertificates: Bool = true) {
            self.certificateAuthorityPath = certificateAuthorityPath
            self.verifiesCertificates = verifiesCertificates
        }
    }

    /// Per-request deadlines. The connection timeout belongs to the `HTTPClient` the client runs on.
    public struct Timeouts: Hashable, Sendable {
        /// The deadline of an ordinary request.
        public var request: Duration
        /// The deadline of a request that waits for a snapshot or restore to complete (`wait_for_completion`).
        public var waitForCompletion: Duration

        /// Creates timeouts.
        public init(request: Duration = .seconds(30), waitForCompletion: Duration = .seconds(6 * 3600)) {
            self.request = request
            self.waitForCompletion = waitForCompletion
        }
    }

    /// Exponential backoff with jitter for idempotent calls (GET, HEAD) after a connection failure or an HTTP
    /// 429, 502, 503 or 504. Snapshot creation, restore and other writes are never retried.
    public struct RetryPolicy: Hashable, Sendable {
        /// Attempts in total, the first one included; `1` disables retries.
        public var maxAttempts: Int
        /// The delay before the second attempt; it doubles after each further failure.
        public var initialDelay: Duration
        /// The longest delay between two attempts.
        public var maximumDelay: Duration
        /// The fraction of each delay that is randomised (0 = none, 1 = anywhere between zero and the delay).
        public var jitter: Double

        /// Creates a retry policy.
        public init(
            maxAttempts: Int = 3, initialDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(5),
            jitter: Double = 0.5
        ) {
            self.maxAttempts = maxAttempts
            self.initialDelay = initialDelay
            self.maximumDelay = maximumDelay
            self.jitter = jitter
        }

        /// No retries.
        public static let none = RetryPolicy(maxAttempts: 1)

        /// The policy as the package's one retry algorithm (its jitter has the same meaning: it only shortens).
        var backoff: Backoff {
            Backoff(
                maxAttempts: maxAttempts, initialDelay: initialDelay, multiplier: 2, maxDelay: maximumDelay,
                jitter: jitter)
        }

        /// The delay after the failed attempt number `attempt` (1-based), before jitter is applied with `random`
        /// (a value in `0...1`).
        public func delay(afterAttempt attempt: Int, random: Double) -> Duration {
            backoff.delay(afterAttempt: attempt, random: random)
        }
    }
}
