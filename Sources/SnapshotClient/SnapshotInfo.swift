public import Foundation

/// A snapshot as `GET /_snapshot/{repository}/{snapshot}` or a completed create describes it.
public struct SnapshotInfo: Hashable, Sendable {
    /// The snapshot's name.
    public var name: String
    /// The snapshot's UUID.
    public var uuid: String?
    /// The repository (reported by Elasticsearch 7.14+; filled from the request otherwise).
    public var repository: String?
    /// The state.
    public var state: SnapshotState
    /// The indices it holds.
    public var indices: [String]
    /// The data streams it holds (7.9+).
    public var dataStreams: [String]
    /// Whether the cluster state was included (6.2+).
    public var includeGlobalState: Bool?
    /// The user metadata (7.3+).
    public var metadata: [String: JSONValue]?
    /// The version that made it (opaque text in recent versions).
    public var version: String?
    /// When it started.
    public var startTime: Date?
    /// When it ended (absent while running).
    public var endTime: Date?
    /// How long it ran, in milliseconds.
    public var durationMilliseconds: Int64?
    /// Shard counts.
    public var shards: ShardCounts
    /// Per-shard failures.
    public var failures: [ShardFailure]
    /// Why it failed, if it did.
    public var reason: String?

    /// Creates a snapshot description.
    public init(
        name: String, uuid: String? = nil, repository: String? = nil, state: SnapshotState, indices: [String] = [],
        dataStreams: [String] = [], includeGlobalState: Bool? = nil, metadata: [String: JSONValue]? = nil,
        version: String? = nil, startTime: Date? = nil, endTime: Date? = nil, durationMilliseconds: Int64? = nil,
        shards: ShardCounts = ShardCounts(total: 0, failed: 0, successful: 0), failures: [ShardFailure] = [],
        reason: String? = nil
    ) {
        self.name = name
        self.uuid = uuid
        self.repository = repository
        self.state = state
        self.indices = indices
        self.dataStreams = dataStreams
        self.includeGlobalState = includeGlobalState
        self.metadata = metadata
        self.version = version
        self.startTime = startTime
        self.endTime = endTime
        self.durationMilliseconds = durationMilliseconds
        self.shards = shards
        self.failures = failures
        self.reason = reason
    }

    /// A shard that could not be snapshotted.
    public struct ShardFailure: Hashable, Sendable {
        /// The index.
        public var index: String?
        /// The shard number.
        public var shard: Int?
        /// Why it failed.
        public var reason: String?
        /// The node it was on.
        public var nodeID: String?

        /// Creates a failure entry.
        public init(index: String?, shard: Int?, reason: String?, nodeID: String?) {
            self.index = index
            self.shard = shard
            self.reason = reason
            self.nodeID = nodeID
        }
    }
}

extension SnapshotInfo {
    /// Decodes one snapshot object; `repository` fills in when the body has none.
    package init(json: JSONValue, repository: String?) throws {
        guard let name = json["snapshot"]?.stringValue else {
            throw SnapshotClientError(code: .invalidResponse, message: "snapshot entry without a 'snapshot' name")
        }
        func date(_ key: String) -> Date? {
            json[key]?.int64Value.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        }
        let failures = (json["failures"]?.arrayValue ?? []).map { failure in
            ShardFailure(
                index: failure["index"]?.stringValue, shard: failure["shard_id"]?.int64Value.map { Int($0) },
                reason: failure["reason"]?.stringValue, nodeID: failure["node_id"]?.stringValue)
        }
        self.init(
            name: name, uuid: json["uuid"]?.stringValue, repository: json["repository"]?.stringValue ?? repository,
            state: SnapshotState(rawValue: json["state"]?.stringValue ?? "UNKNOWN"),
            indices: (json["indices"]?.arrayValue ?? []).compactMap(\.stringValue),
            dataStreams: (json["data_streams"]?.arrayValue ?? []).compactMap(\.stringValue),
            includeGlobalState: json["include_global_state"]?.boolValue, metadata: json["metadata"]?.objectValue,
            version: json["version"]?.stringValue, startTime: date("start_time_in_millis"),
            endTime: date("end_time_in_millis"), durationMilliseconds: json["duration_in_millis"]?.int64Value,
            shards: ShardCounts(json: json["shards"]), failures: failures, reason: json["reason"]?.stringValue)
    }
}
