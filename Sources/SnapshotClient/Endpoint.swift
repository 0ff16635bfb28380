/// Every request ``SnapshotClient`` sends, as the official REST specification names it.
///
/// The client builds each request from this table, and a contract test checks that each entry's method, path
/// template and query parameters exist in the Elasticsearch 7.17/8.19 and OpenSearch specifications.
public enum Endpoint: String, Hashable, Sendable, CaseIterable {
    /// `GET /`.
    case info
    /// `PUT /_snapshot/{repository}`.
    case createRepository
    /// `GET /_snapshot`.
    case getRepositories
    /// `GET /_snapshot/{repository}`.
    case getRepository
    /// `POST /_snapshot/{repository}/_verify`.
    case verifyRepository
    /// `DELETE /_snapshot/{repository}`.
    case deleteRepository
    /// `POST /_snapshot/{repository}/_cleanup`.
    case cleanupRepository
    /// `PUT /_snapshot/{repository}/{snapshot}`.
    case createSnapshot
    /// `GET /_snapshot/{repository}/{snapshot}`.
    case getSnapshots
    /// `GET /_snapshot/{repository}/{snapshot}/_status`.
    case snapshotStatus
    /// `DELETE /_snapshot/{repository}/{snapshot}`.
    case deleteSnapshots
    /// `POST /_snapshot/{repository}/{snapshot}/_restore`.
    case restoreSnapshot
    /// `GET /{index}/_count`.
    case count
    /// `GET /{index}/_stats/{metric}`.
    case indexStats
    /// `POST /{index}/_search` (only the aggregation ``SnapshotClient`` needs).
    case search
    /// `GET /_cat/indices/{index}`.
    case catIndices
    /// `GET /_cat/allocation`.
    case catAllocation
    /// `HEAD /{index}`.
    case indexExists
    /// `DELETE /{index}`.
    case deleteIndices
    /// `GET /{index}/_alias`.
    case getAliases
    /// `PUT /{index}/_settings`.
    case putIndexSettings
    /// `PUT /{index}/_doc/{id}` (6.x accepts `_doc` as the type name from 6.2).
    case indexDocument
    /// `POST /{index}/_mget`.
    case multiGet
    /// `GET /_cat/shards/{index}`.
    case catShards

    /// A query parameter the client may send, and the clusters that accept it.
    public struct Parameter: Hashable, Sendable {
        /// The parameter's name in the query string.
        public var name: String
        /// The first Elasticsearch version that accepts it; `nil` for every supported version.
        public var elasticsearchSince: ClusterVersion?
        /// Whether OpenSearch accepts it.
        public var opensearch: Bool

        /// Creates a parameter entry.
        public init(_ name: String, elasticsearchSince: ClusterVersion? = nil, opensearch: Bool = true) {
            self.name = name
            self.elasticsearchSince = elasticsearchSince
            self.opensearch = opensearch
        }

        /// Whether a cluster of this distribution and version accepts the parameter.
        public func isAccepted(by distribution: ClusterDistribution, version: ClusterVersion) -> Bool {
            switch distribution {
            case .opensearch: opensearch
            case .elasticsearch: elasticsearchSince.map { version >= $0 } ?? true
            }
        }
    }

    /// The specification's name, e.g. `snapshot.create`.
    public var name: String {
        switch self {
        case .info: "info"
        case .createRepository: "snapshot.create_repository"
        case .getRepositories, .getRepository: "snapshot.get_repository"
        case .verifyRepository: "snapshot.verify_repository"
        case .deleteRepository: "snapshot.delete_repository"
        case .cleanupRepository: "snapshot.cleanup_repository"
        case .createSnapshot: "snapshot.create"
        case .getSnapshots: "snapshot.get"
        case .snapshotStatus: "snapshot.status"
        case .deleteSnapshots: "snapshot.delete"
        case .restoreSnapshot: "snapshot.restore"
        case .count: "count"
        case .indexStats: "indices.stats"
        case .search: "search"
        case .catIndices: "cat.indices"
        case .catAllocation: "cat.allocation"
        case .indexExists: "indices.exists"
        case .deleteIndices: "indices.delete"
        case .getAliases: "indices.get_alias"
        case .putIndexSettings: "indices.put_settings"
        case .indexDocument: "index"
        case .multiGet: "mget"
        case .catShards: "cat.shards"
        }
    }

    /// The HTTP method, e.g. `GET`.
    public var method: String {
        switch self {
        case .info, .getRepositories, .getRepository, .getSnapshots, .snapshotStatus, .count, .indexStats,
            .catIndices, .catAllocation, .getAliases, .catShards:
            "GET"
        case .createRepository, .createSnapshot, .putIndexSettings, .indexDocument: "PUT"
        case .verifyRepository, .cleanupRepository, .restoreSnapshot, .search, .multiGet: "POST"
        case .deleteRepository, .deleteSnapshots, .deleteIndices: "DELETE"
        case .indexExists: "HEAD"
        }
    }

    /// The path template with `{part}` placeholders, as written in the specification.
    public var pathTemplate: String {
        switch self {
        case .info: "/"
        case .createRepository, .getRepository, .deleteRepository: "/_snapshot/{repository}"
        case .getRepositories: "/_snapshot"
        case .verifyRepository: "/_snapshot/{repository}/_verify"
        case .cleanupRepository: "/_snapshot/{repository}/_cleanup"
        case .createSnapshot, .getSnapshots, .deleteSnapshots: "/_snapshot/{repository}/{snapshot}"
        case .snapshotStatus: "/_snapshot/{repository}/{snapshot}/_status"
        case .restoreSnapshot: "/_snapshot/{repository}/{snapshot}/_restore"
        case .count: "/{index}/_count"
        case .indexStats: "/{index}/_stats/{metric}"
        case .search: "/{index}/_search"
        case .catIndices: "/_cat/indices/{index}"
        case .catAllocation: "/_cat/allocation"
        case .indexExists, .deleteIndices: "/{index}"
        case .getAliases: "/{index}/_alias"
        case .putIndexSettings: "/{index}/_settings"
        case .indexDocument: "/{index}/_doc/{id}"
        case .multiGet: "/{index}/_mget"
        case .catShards: "/_cat/shards/{index}"
        }
    }

    /// The query parameters the client may send to this endpoint.
    public var parameters: [Parameter] {
        switch self {
        case .createRepository: [Parameter("verify")]
        case .createSnapshot, .restoreSnapshot: [Parameter("wait_for_completion")]
        case .getSnapshots:
            [
                Parameter("ignore_unavailable"),
                Parameter("size", elasticsearchSince: ClusterVersion(7, 14), opensearch: false),
                Parameter("sort", elasticsearchSince: ClusterVersion(7, 14), opensearch: false),
                Parameter("order", elasticsearchSince: ClusterVersion(7, 14), opensearch: false),
                Parameter("after", elasticsearchSince: ClusterVersion(7, 14), opensearch: false),
                Parameter("offset", elasticsearchSince: ClusterVersion(7, 16), opensearch: false),
            ]
        case .snapshotStatus: [Parameter("ignore_unavailable")]
        case .catIndices:
            // Before 7.7 `_cat/indices` lists open and closed indices and refuses `expand_wildcards`.
            [Parameter("format"), Parameter("bytes"), Parameter("expand_wildcards", elasticsearchSince: ClusterVersion(7, 7))]
        case .catAllocation: [Parameter("format"), Parameter("bytes")]
        case .catShards: [Parameter("format"), Parameter("h")]
        case .deleteIndices: [Parameter("ignore_unavailable")]
        case .getAliases: [Parameter("expand_wildcards"), Parameter("ignore_unavailable")]
        case .indexDocument: [Parameter("refresh")]
        default: []
        }
    }

    /// Whether the call changes nothing and may be retried after a transient failure.
    public var isIdempotent: Bool { method == "GET" || method == "HEAD" }
}
