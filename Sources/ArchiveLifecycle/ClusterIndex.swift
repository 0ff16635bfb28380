/// An index as `_cat/indices` lists it. Counts and sizes are `nil` when the cluster cannot report them
/// (a red index whose primaries are unassigned, a closed index): such an index is unreadable, not empty.
public struct ClusterIndex: Hashable, Sendable {
    /// The index name.
    public var name: String
    /// The index UUID (a re-created index gets a new one).
    public var uuid: String?
    /// `green`, `yellow` or `red`; `nil` for a closed index.
    public var health: String?
    /// Whether the index is open.
    public var isOpen: Bool
    /// Documents in the primaries, or `nil` when unknown.
    public var documentCount: Int64?
    /// The primaries' store size in bytes (what a snapshot holds and a restore with 0 replicas takes), or
    /// `nil` when unknown.
    public var storeSizeBytes: Int64?

    /// Creates an index description.
    public init(
        name: String, uuid: String? = nil, health: String? = "green", isOpen: Bool = true, documentCount: Int64?,
        storeSizeBytes: Int64?
    ) {
        self.name = name
        self.uuid = uuid
        self.health = health
        self.isOpen = isOpen
        self.documentCount = documentCount
        self.storeSizeBytes = storeSizeBytes
    }

    /// Why the index cannot be judged or archived now, or `nil` when it is open, not red, and its
    /// document count, size and UUID are known.
    public var unreadableReason: String? {
        if !isOpen { return "closed: its documents cannot be counted or snapshotted" }
        if health == "red" { return "red: primaries are unassigned, its document count is unknown" }
        if documentCount == nil || storeSizeBytes == nil { return "the cluster reports no document count or size for it" }
        if uuid == nil { return "the cluster reports no UUID for it" }
        return nil
    }

    /// Whether it is open, readable and holds no document: the only kind of index deleted unarchived.
    public var isProvablyEmpty: Bool { unreadableReason == nil && documentCount == 0 }
}

/// What the cluster allows at once, by version.
public struct ClusterLimits: Hashable, Sendable {
    /// The version the cluster reports (`7.6.2`), for messages.
    public var version: String
    /// Before 7.7: one snapshot create or delete at a time, and no restore while a snapshot is deleted.
    public var oneSnapshotOperationAtATime: Bool
    /// Before 6.6: one restore at a time; restores of several snapshots go one after another.
    public var oneRestoreAtATime: Bool
    /// From 7.3 (and OpenSearch): snapshots carry user `metadata`.
    public var supportsSnapshotMetadata: Bool

    /// Creates limits.
    public init(version: String, oneSnapshotOperationAtATime: Bool, oneRestoreAtATime: Bool, supportsSnapshotMetadata: Bool) {
        self.version = version
        self.oneSnapshotOperationAtATime = oneSnapshotOperationAtATime
        self.oneRestoreAtATime = oneRestoreAtATime
        self.supportsSnapshotMetadata = supportsSnapshotMetadata
    }
}

/// How the cluster refused a request, as far as the lifecycle cares.
public enum ClusterRefusal: Hashable, Sendable {
    /// A limit of the cluster (a concurrent snapshot, deletion or restore; a full queue; a block while
    /// it recovers): wait and try again.
    case busy(String)
    /// The snapshot name is taken (a create that timed out did reach the cluster): adopt it.
    case snapshotExists
    /// Any other failure.
    case failure
}
