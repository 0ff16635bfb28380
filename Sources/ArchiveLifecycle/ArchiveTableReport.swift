import BackupModels

/// What one daily cycle did for one table.
public struct ArchiveTableReport: Hashable, Sendable, Codable {
    package enum CodingKeys: String, CodingKey {
        case configID = "config_id"
        case tableID = "table_id"
        case repository, snapshot
        case snapshotState = "snapshot_state"
        case attempts
        case archivedIndices = "archived_indices"
        case deletedIndices = "deleted_indices"
        case blockedIndices = "blocked_indices"
        case deletedSnapshots = "deleted_snapshots"
        case error
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
    /// Indices recorded as archived by today's snapshot.
    public var archivedIndices: [String]
    /// Indices deleted from the cluster: held by a successful snapshot, or empty.
    public var deletedIndices: [String]
    /// Due indices that stay because no successful snapshot holds them yet (reported, retried tomorrow).
    public var blockedIndices: [String]
    /// Snapshots deleted by `snapshot_days`, with their records.
    public var deletedSnapshots: [String]
    /// Why the cycle stopped early for this table, if it did.
    public var error: String?

    /// Creates an empty report for a table.
    public init(configID: String, tableID: String, repository: String) {
        self.configID = configID
        self.tableID = tableID
        self.repository = repository
        self.attempts = 0
        self.archivedIndices = []
        self.deletedIndices = []
        self.blockedIndices = []
        self.deletedSnapshots = []
    }

    /// Whether the table's cycle completed without error and left nothing blocked.
    public var succeeded: Bool { error == nil && blockedIndices.isEmpty }
}
