import BackupModels

/// What one daily cycle did for one table.
public struct ArchiveTableReport: Hashable, Sendable, Codable {
    package enum CodingKeys: String, CodingKey {
        case configID = "config_id"
        case tableID = "table_id"
        case repository, snapshot
        case snapshotState = "snapshot_state"
        case attempts
        case expiredIndices = "expired_indices"
        case archivedIndices = "archived_indices"
        case deletedIndices = "deleted_indices"
        case blockedIndices = "blocked_indices"
        case blocked
        case deletedSnapshots = "deleted_snapshots"
        case reconciledSnapshots = "reconciled_snapshots"
        case goneSnapshots = "gone_snapshots"
        case clusterWaits = "cluster_waits"
        case skipped
        case notes
        case error
    }

    /// An expired index that stays, and why.
    public struct BlockedIndex: Hashable, Sendable, Codable {
        /// The index.
        public var index: String
        /// Why it was not deleted (unreadable, not yet in a SUCCESS snapshot, changed since its snapshot, …).
        public var reason: String

        /// Creates an entry.
        public init(index: String, reason: String) {
            self.index = index
            self.reason = reason
        }
    }

    /// The configuration.
    public var configID: String
    /// The table.
    public var tableID: String
    /// The repository.
    public var repository: String
    /// The snapshot taken or retried today, if any.
    public var snapshot: String?
    /// Its final state (`success`, `failed`, `partial`, `in_progress`), if one was taken.
    public var snapshotState: String?
    /// Attempts made on today's snapshot, all runs included.
    public var attempts: Int
    /// The table's indices judged expired this cycle.
    public var expiredIndices: [String]
    /// Indices recorded as archived by today's snapshot.
    public var archivedIndices: [String]
    /// Indices deleted from the cluster: provably archived (a SUCCESS snapshot holds them and the catalog
    /// holds their row with the UUID and document count the cluster reports), or provably empty.
    public var deletedIndices: [String]
    /// Expired indices that stay (the names of ``blocked``).
    public var blockedIndices: [String]
    /// Expired indices that stay, each with its reason.
    public var blocked: [BlockedIndex]
    /// Snapshots deleted by `snapshot_days`, with their records.
    public var deletedSnapshots: [String]
    /// SUCCESS snapshots whose rows this cycle recorded (a run that ended before it finished).
    public var reconciledSnapshots: [String]
    /// Recorded snapshots the repository no longer has (deleted out of band): marked gone.
    public var goneSnapshots: [String]
    /// Times the cycle waited for the cluster (a concurrent snapshot, deletion or restore).
    public var clusterWaits: Int
    /// Why the table was skipped (another run holds its lease), if it was.
    public var skipped: String?
    /// Things an operator should know that are not failures (unrecordable indices, conflicting facts).
    public var notes: [String]
    /// Why the cycle stopped early for this table, if it did.
    public var error: String?

    /// Creates an empty report for a table.
    public init(configID: String, tableID: String, repository: String) {
        self.configID = configID
        self.tableID = tableID
        self.repository = repository
        self.attempts = 0
        self.expiredIndices = []
        self.archivedIndices = []
        self.deletedIndices = []
        self.blockedIndices = []
        self.blocked = []
        self.deletedSnapshots = []
        self.reconciledSnapshots = []
        self.goneSnapshots = []
        self.clusterWaits = 0
        self.notes = []
    }

    /// Whether the table's cycle completed without error, was not skipped and left nothing blocked.
    public var succeeded: Bool { error == nil && skipped == nil && blocked.isEmpty }

    /// Records an index that stays.
    mutating func block(_ index: String, _ reason: String) {
        blocked.append(BlockedIndex(index: index, reason: reason))
        blockedIndices.append(index)
    }
}
