public import Foundation

/// A snapshot's progress from `GET /_snapshot/{repository}/{snapshot}/_status`, normalised over every stats
/// shape: `number_of_files`/`total_size_in_bytes` (up to 6.3), both shapes (6.4–6.8) and
/// `incremental`/`processed`/`total` (7.0+).
public struct SnapshotStatus: Hashable, Sendable {
    /// The snapshot's name.
    public var snapshot: String
    /// The repository.
    public var repository: String
    /// The snapshot's UUID.
    public var uuid: String?
    /// `INIT`, `STARTED`, `SUCCESS`, `FAILED`, `ABORTED`.
    public var state: SnapshotState
    /// Whether the cluster state is included.
    public var includeGlobalState: Bool?
    /// Shard progress.
    public var shards: ShardProgress
    /// File and byte counts.
    public var stats: SnapshotStats
    /// Per-index progress, by index name.
    public var indices: [String: IndexStatus]

    /// Creates a status.
    public init(
        snapshot: String, repository: String, uuid: String? = nil, state: SnapshotState,
        includeGlobalState: Bool? = nil, shards: ShardProgress, stats: SnapshotStats,
        indices: [String: IndexStatus] = [:]
    ) {
        self.snapshot = snapshot
        self.repository = repository
        self.uuid = uuid
        self.state = state
        self.includeGlobalState = includeGlobalState
        self.shards = shards
        self.stats = stats
        self.indices = indices
    }

    /// Shard progress counts (`shards_stats`).
    public struct ShardProgress: Hashable, Sendable {
        /// Shards being set up.
        public var initializing: Int
        /// Shards being copied.
        public var started: Int
        /// Shards being finalised.
        public var finalizing: Int
        /// Shards done.
        public var done: Int
        /// Shards failed.
        public var failed: Int
        /// All shards.
        public var total: Int

        /// Creates counts.
        public init(initializing: Int = 0, started: Int = 0, finalizing: Int = 0, done: Int, failed: Int, total: Int) {
            self.initializing = initializing
            self.started = started
            self.finalizing = finalizing
            self.done = done
            self.failed = failed
            self.total = total
        }

        init(json: JSONValue?) {
            func value(_ key: String) -> Int { Int(json?[key]?.int64Value ?? 0) }
            self.init(
                initializing: value("initializing"), started: value("started"), finalizing: value("finalizing"),
                done: value("done"), failed: value("failed"), total: value("total"))
        }
    }

    /// One index's progress.
    public struct IndexStatus: Hashable, Sendable {
        /// Shard progress of the index.
        public var shards: ShardProgress
        /// File and byte counts of the index.
        public var stats: SnapshotStats

        /// Creates an index status.
        public init(shards: ShardProgress, stats: SnapshotStats) {
            self.shards = shards
            self.stats = stats
        }
    }
}

/// File and byte counts of a snapshot (or one index of it), whatever the cluster version.
///
/// *Incremental* counts what this snapshot had to copy, *total* what it references (reused files included),
/// *processed* what was copied so far. Clusters up to 6.3 report only incremental and processed counts; there
/// ``total`` equals ``incremental`` and ``hasSeparateTotal`` is `false`.
public struct SnapshotStats: Hashable, Sendable {
    /// A file count and a byte count.
    public struct Counts: Hashable, Sendable {
        /// Files.
        public var files: Int64
        /// Bytes.
        public var bytes: Int64

        /// Creates counts.
        public init(files: Int64, bytes: Int64) {
            self.files = files
            self.bytes = bytes
        }
    }

    /// What this snapshot copies.
    public var incremental: Counts
    /// What this snapshot references, reused files included.
    public var total: Counts
    /// What was copied so far (equals ``incremental`` once done).
    public var processed: Counts
    /// Whether the cluster reported ``total`` separately (6.4+).
    public var hasSeparateTotal: Bool
    /// When copying started.
    public var startTime: Date?
    /// How long it has taken, in milliseconds.
    public var durationMilliseconds: Int64

    /// Creates stats.
    public init(
        incremental: Counts, total: Counts, processed: Counts, hasSeparateTotal: Bool = true, startTime: Date? = nil,
        durationMilliseconds: Int64 = 0
    ) {
        self.incremental = incremental
        self.total = total
        self.processed = processed
        self.hasSeparateTotal = hasSeparateTotal
        self.startTime = startTime
        self.durationMilliseconds = durationMilliseconds
    }

    /// Decodes any stats shape; a missing object yields zeros.
    init(json: JSONValue?) {
        func counts(_ key: String) -> Counts? {
            guard let object = json?[key], object.objectValue != nil else { return nil }
            // 9.x reports -1 for a shard whose stats are not known yet.
            return Counts(
                files: max(object["file_count"]?.int64Value ?? 0, 0),
                bytes: max(object["size_in_bytes"]?.int64Value ?? 0, 0))
        }
        let legacyIncremental: Counts? = json?["number_of_files"]?.int64Value.map { files in
            Counts(files: max(files, 0), bytes: max(json?["total_size_in_bytes"]?.int64Value ?? 0, 0))
        }
        let legacyProcessed: Counts? = json?["processed_files"]?.int64Value.map { files in
            Counts(files: max(files, 0), bytes: max(json?["processed_size_in_bytes"]?.int64Value ?? 0, 0))
        }
        let incremental = counts("incremental") ?? legacyIncremental ?? Counts(files: 0, bytes: 0)
        let total = counts("total")
        self.init(
            incremental: incremental, total: total ?? incremental,
            processed: counts("processed") ?? legacyProcessed ?? incremental, hasSeparateTotal: total != nil,
            startTime: json?["start_time_in_millis"]?.int64Value.map { Date(timeIntervalSince1970: Double($0) / 1000) },
            durationMilliseconds: json?["time_in_millis"]?.int64Value ?? 0)
    }
}

extension SnapshotStatus {
    /// Decodes one entry of the `snapshots` array of a `_status` body.
    init(json: JSONValue, repository: String) throws {
        guard let name = json["snapshot"]?.stringValue else {
            throw SnapshotClientError(code: .invalidResponse, message: "snapshot status entry without a 'snapshot' name")
        }
        var indices: [String: IndexStatus] = [:]
        for (index, entry) in json["indices"]?.objectValue ?? [:] {
            indices[index] = IndexStatus(shards: ShardProgress(json: entry["shards_stats"]), stats: SnapshotStats(json: entry["stats"]))
        }
        self.init(
            snapshot: name, repository: json["repository"]?.stringValue ?? repository, uuid: json["uuid"]?.stringValue,
            state: SnapshotState(rawValue: json["state"]?.stringValue ?? "UNKNOWN"),
            includeGlobalState: json["include_global_state"]?.boolValue,
            shards: ShardProgress(json: json["shards_stats"]), stats: SnapshotStats(json: json["stats"]), indices: indices)
    }

    /// Decodes a whole `_status` body.
    package static func list(from json: JSONValue, repository: String) throws -> [SnapshotStatus] {
        guard let entries = json["snapshots"]?.arrayValue else {
            throw SnapshotClientError(code: .invalidResponse, message: "snapshot status has no 'snapshots' array")
        }
        return try entries.map { try SnapshotStatus(json: $0, repository: repository) }
    }
}
