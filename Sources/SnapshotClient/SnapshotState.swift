/// A snapshot's state as the cluster reports it. Extensible: unknown states keep their text.
///
/// `GET /_snapshot` reports `IN_PROGRESS`, `SUCCESS`, `FAILED`, `PARTIAL` or `INCOMPATIBLE`; `_status` reports
/// `INIT`, `STARTED`, `SUCCESS`, `FAILED` or `ABORTED`.
public struct SnapshotState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The state text, e.g. `SUCCESS`.
    public var rawValue: String

    /// Creates a state from the cluster's text.
    public init(rawValue: String) { self.rawValue = rawValue.uppercased() }

    /// Running (`GET /_snapshot`).
    public static let inProgress = SnapshotState(rawValue: "IN_PROGRESS")
    /// Every shard was copied.
    public static let success = SnapshotState(rawValue: "SUCCESS")
    /// The snapshot failed; it holds nothing usable.
    public static let failed = SnapshotState(rawValue: "FAILED")
    /// Some shards could not be copied.
    public static let partial = SnapshotState(rawValue: "PARTIAL")
    /// Made by a version this cluster cannot read.
    public static let incompatible = SnapshotState(rawValue: "INCOMPATIBLE")
    /// Being set up (`_status`).
    public static let initializing = SnapshotState(rawValue: "INIT")
    /// Copying shards (`_status`).
    public static let started = SnapshotState(rawValue: "STARTED")
    /// Aborted by a deletion (`_status`).
    public static let aborted = SnapshotState(rawValue: "ABORTED")

    /// Whether the snapshot has not finished yet.
    public var isRunning: Bool { self == .inProgress || self == .initializing || self == .started }
    /// Whether the snapshot finished, successfully or not.
    public var isFinished: Bool { !isRunning }
    /// Whether every shard was copied.
    public var isSuccessful: Bool { self == .success }

    public var description: String { rawValue }
}

/// Shard counts of a snapshot or restore.
public struct ShardCounts: Hashable, Sendable {
    /// Shards involved.
    public var total: Int
    /// Shards that failed.
    public var failed: Int
    /// Shards that succeeded.
    public var successful: Int

    /// Creates counts.
    public init(total: Int, failed: Int, successful: Int) {
        self.total = total
        self.failed = failed
        self.successful = successful
    }

    init(json: JSONValue?) {
        self.init(
            total: Int(json?["total"]?.int64Value ?? 0), failed: Int(json?["failed"]?.int64Value ?? 0),
            successful: Int(json?["successful"]?.int64Value ?? 0))
    }
}
