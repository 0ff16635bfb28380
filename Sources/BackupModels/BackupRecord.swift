public import Foundation

/// What the catalog knows about one backup.
public struct BackupRecord: Hashable, Codable, Sendable, Identifiable {
    enum CodingKeys: String, CodingKey {
        case id
        case plan
        case source
        case kind
        case parentID = "parent_id"
        case label
        case state
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case artifacts
        case position
        case tags
        case host
        case failureReason = "failure_reason"
    }

    public var id: BackupID
    /// The plan that took it.
    public var plan: String
    /// The source within the plan (`config`, `app-db`).
    public var source: String
    public var kind: BackupKind
    /// The backup this incremental applies on; `nil` for a full.
    public var parentID: BackupID?
    public var label: BackupLabel
    public var state: BackupState
    public var startedAt: Date
    public var finishedAt: Date?
    /// The stored objects; empty until the record is committed.
    public var artifacts: [ArtifactDescriptor]
    /// Where the source stood at this backup (binlog position, GTID, …).
    public var position: SourcePosition?
    /// Free-form tags (`manual`, `pre-upgrade`).
    public var tags: [String]
    /// The host that ran the backup.
    public var host: String
    /// Why the run failed, for failed records.
    public var failureReason: String?

    public init(
        id: BackupID = .random(), plan: String, source: String, kind: BackupKind, parentID: BackupID? = nil,
        label: BackupLabel, state: BackupState = .running, startedAt: Date, finishedAt: Date? = nil,
        artifacts: [ArtifactDescriptor] = [], position: SourcePosition? = nil, tags: [String] = [],
        host: String = "", failureReason: String? = nil
    ) {
        self.id = id
        self.plan = plan
        self.source = source
        self.kind = kind
        self.parentID = parentID
        self.label = label
        self.state = state
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.artifacts = artifacts
        self.position = position
        self.tags = tags
        self.host = host
        self.failureReason = failureReason
    }

    /// Total stored bytes over all artifacts.
    public var sizeBytes: Int64 { artifacts.reduce(0) { $0 + $1.sizeBytes } }
}
