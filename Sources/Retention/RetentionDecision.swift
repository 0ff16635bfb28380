public import BackupModels
public import Foundation

/// What retention decided for one backup record, and every reason that applies to it.
///
/// Reasons are short, stable strings meant for people and logs (`daily #3`, `parent of …`,
/// `older than max age 30d`); `Documentation/Retention.md` lists them all.
public struct RetentionDecision: Sendable, Hashable, Codable, Identifiable {
    enum CodingKeys: String, CodingKey {
        case id, plan, source, label, kind, state
        case startedAt = "started_at"
        case action, reasons
    }

    /// Whether a record stays or goes.
    public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
        /// The record and its artifacts stay.
        case keep
        /// Delete the record's artifacts, then mark the record expired.
        case remove
    }

    /// The record this decision is about.
    public var id: BackupID
    /// The plan that took the backup.
    public var plan: String
    /// The source within the plan.
    public var source: String
    /// The record's pgBackRest-style label.
    public var label: BackupLabel
    /// When the backup started (the time every rule looks at).
    public var startedAt: Date
    /// Every reason that applies, in a fixed order: keep-rule matches, then orphan, max-age and
    /// min-count notes, then `parent of …` links, then removal and deletion-cap notes.
    public var reasons: [String]
    // The one-byte fields last, so that they share one word (a plan holds a million of these).
    /// Full or incremental.
    public var kind: BackupKind
    /// The record's state when the plan was made.
    public var state: BackupState
    /// Keep or remove.
    public var action: Action

    /// Creates a decision.
    public init(
        id: BackupID, plan: String, source: String, label: BackupLabel, kind: BackupKind, state: BackupState,
        startedAt: Date, action: Action, reasons: [String]
    ) {
        self.id = id
        self.plan = plan
        self.source = source
        self.label = label
        self.kind = kind
        self.state = state
        self.startedAt = startedAt
        self.action = action
        self.reasons = reasons
    }

    /// Whether the record stays.
    public var isKept: Bool { action == .keep }
}
