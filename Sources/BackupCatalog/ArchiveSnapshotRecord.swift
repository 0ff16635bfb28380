public import Foundation

/// The catalog's record of one archive snapshot: which table and indices it was taken for, how many
/// times it was attempted and how it ended.
///
/// A record exists from the first attempt on, so that retries stay bounded across runs; the
/// ``BackupModels/ArchivedIndex`` rows of a snapshot are written only when it is ``State-swift.enum/success``.
public struct ArchiveSnapshotRecord: Hashable, Codable, Sendable {
    /// The outcome of the latest attempt.
    public enum State: String, Hashable, Codable, Sendable, CaseIterable {
        /// Started and not yet seen finished.
        case inProgress = "in_progress"
        /// Every shard of every index was stored.
        case success
        /// The cluster reported FAILED.
        case failed
        /// The cluster reported PARTIAL (some shards missing): not an archive.
        case partial
        /// It succeeded, then left the repository out of band (deleted by someone else): its rows are
        /// forgotten and restores no longer offer its data.
        case gone
    }

    enum CodingKeys: String, CodingKey {
        case repository, snapshot
        case archiveConfigID = "archive_config_id"
        case tableID = "table_id"
        case state, attempts, indices
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case failureReason = "failure_reason"
    }

    /// The snapshot repository.
    public var repository: String
    /// The snapshot's name (`<table>_snapshot_<YYYYMMDD>`).
    public var snapshot: String
    /// The configuration it was taken for.
    public var archiveConfigID: String
    /// The table it was taken for.
    public var tableID: String
    /// The outcome of the latest attempt.
    public var state: State
    /// How many times the snapshot was started, from 1.
    public var attempts: Int
    /// The indices the snapshot was asked to hold.
    public var indices: [String]
    /// When the latest attempt started.
    public var startedAt: Date
    /// When the latest attempt finished, if it did.
    public var finishedAt: Date?
    /// Why the latest attempt failed, if it did.
    public var failureReason: String?

    /// Creates a record.
    public init(
        repository: String, snapshot: String, archiveConfigID: String, tableID: String, state: State, attempts: Int,
        indices: [String], startedAt: Date, finishedAt: Date? = nil, failureReason: String? = nil
    ) {
        self.repository = repository
        self.snapshot = snapshot
        self.archiveConfigID = archiveConfigID
        self.tableID = tableID
        self.state = state
        self.attempts = attempts
        self.indices = indices
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.failureReason = failureReason
    }
}
