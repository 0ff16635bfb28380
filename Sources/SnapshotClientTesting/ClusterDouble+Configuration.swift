public import Foundation

extension ClusterDouble {
    /// When snapshots finish.
    public enum SnapshotCompletion: Hashable, Sendable {
        /// A snapshot is `SUCCESS` (or its configured outcome) as soon as it is created.
        case immediately
        /// A snapshot is `IN_PROGRESS` for its first `n` reads (`GET` snapshot or `_status`), then finished.
        /// A create with `wait_for_completion=true` finishes it at once.
        case afterPolls(Int)
    }

    /// How the double presents itself and behaves.
    public struct Configuration: Sendable {
        /// `elasticsearch` or `opensearch` (reported as `version.distribution` for OpenSearch only).
        public var distribution: String
        /// The version number `GET /` reports; it selects version-specific behaviour (paging, status shapes,
        /// concurrent snapshots, multi-snapshot delete).
        public var version: String
        /// The cluster name.
        public var clusterName: String
        /// When set with ``password``, requests need this basic user (or the API key / bearer token below).
        public var username: String?
        /// The password of ``username``.
        public var password: String?
        /// An accepted `Authorization: ApiKey <value>`.
        public var apiKey: String?
        /// An accepted `Authorization: Bearer <value>`.
        public var bearerToken: String?
        /// When snapshots finish.
        public var snapshotCompletion: SnapshotCompletion
        /// Final states for given snapshot names (`FAILED` or `PARTIAL`); others end `SUCCESS`.
        public var snapshotOutcomes: [String: String]
        /// Whether a snapshot may start while another runs; `nil` derives it from the version
        /// (Elasticsearch before 7.7 refuses with `concurrent_snapshot_execution_exception`).
        public var allowsConcurrentSnapshots: Bool?
        /// Repositories whose verification fails with `repository_verification_exception`.
        public var failingRepositoryVerifications: Set<String>
        /// Disk bytes used, as `_cat/allocation` reports.
        public var diskUsedBytes: Int64
        /// Disk size, as `_cat/allocation` reports.
        public var diskTotalBytes: Int64
        /// The clock used for snapshot times.
        public var now: @Sendable () -> Date
        /// How many `_cat/indices` listings report a restored index red (primary initializing, counts `null`)
        /// before it turns green; 0 restores at once. A restore with `wait_for_completion=true` ignores it.
        public var restorePolls: Int
        /// How many later snapshot-API requests still see a snapshot deletion in progress (before Elasticsearch
        /// 7.7 a create, delete or restore meanwhile fails with `concurrent_snapshot_execution_exception`);
        /// 0 deletes at once.
        public var deletionPolls: Int

        /// Creates a configuration (Elasticsearch 8.19.0, no security, snapshots finish immediately).
        public init(
            distribution: String = "elasticsearch", version: String = "8.19.0", clusterName: String = "cluster-double",
            username: String? = nil, password: String? = nil, apiKey: String? = nil, bearerToken: String? = nil,
            snapshotCompletion: SnapshotCompletion = .immediately, snapshotOutcomes: [String: String] = [:],
            allowsConcurrentSnapshots: Bool? = nil, failingRepositoryVerifications: Set<String> = [],
            diskUsedBytes: Int64 = 20 << 30, diskTotalBytes: Int64 = 100 << 30,
            now: @escaping @Sendable () -> Date = { Date() }, restorePolls: Int = 0, deletionPolls: Int = 0
        ) {
            self.distribution = distribution
            self.version = version
            self.clusterName = clusterName
            self.username = username
            self.password = password
            self.apiKey = apiKey
            self.bearerToken = bearerToken
            self.snapshotCompletion = snapshotCompletion
            self.snapshotOutcomes = snapshotOutcomes
            self.allowsConcurrentSnapshots = allowsConcurrentSnapshots
            self.failingRepositoryVerifications = failingRepositoryVerifications
            self.diskUsedBytes = diskUsedBytes
            self.diskTotalBytes = diskTotalBytes
            self.now = now
            self.restorePolls = restorePolls
            self.deletionPolls = deletionPolls
        }
    }
}
