public import AsyncHTTPClient
public import Logging
import Synchronization

/// A typed async client for the Elasticsearch (6.x–9.x) and OpenSearch (1.x–3.x) snapshot API: repositories,
/// snapshots, restores and the index facts an archive needs.
///
/// ```swift
/// let client = try SnapshotClient(configuration: .init(url: "https://es:9200", credentials: .apiKey(key)))
/// try await client.createRepository(named: "archive", settings: .fs(location: "/mnt/archive"))
/// let snapshot = try await client.createSnapshot(named: "logs_snapshot_20261125", in: "archive",
///                                                options: .init(indices: ["logs-2026.11.01"]), waitForCompletion: true)
/// ```
///
/// The client is a value: copies share the `HTTPClient` and the cached ``ClusterInfo``. Idempotent calls are
/// retried per ``Configuration/retry``; names are validated before anything is sent; failures are
/// ``SnapshotClientError``s.
public struct SnapshotClient: Sendable {
    /// Where the cluster is and how to talk to it.
    public let configuration: Configuration
    let httpClient: HTTPClient
    let logger: Logger
    let target: ClusterTarget
    let cache: InfoCache

    /// Creates a client.
    /// - Parameters:
    ///   - configuration: The cluster's URL, credentials, TLS, timeouts and retries.
    ///   - httpClient: The HTTP client to run on; the process-wide shared client by default. The caller owns it.
    ///   - logger: Where requests are logged at `debug` level (method and path only, never credentials).
    /// - Throws: ``SnapshotClientError/Code/invalidRequest`` when the URL cannot be used.
    public init(
        configuration: Configuration, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "backupkit.snapshot-client")
    ) throws {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
        self.target = try ClusterTarget(configuration: configuration)
        self.cache = InfoCache()
    }

    /// The cluster URL without credentials, as it appears in messages.
    public var redactedURL: String { target.redactedBase }
}

/// The cluster facts learnt from `GET /`, shared by copies of a client.
final class InfoCache: Sendable {
    private let value = Mutex<ClusterInfo?>(nil)

    func get() -> ClusterInfo? { value.withLock { $0 } }
    func set(_ info: ClusterInfo) { value.withLock { $0 = info } }
}
