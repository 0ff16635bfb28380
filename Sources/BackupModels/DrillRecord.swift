public import Foundation

/// One restore drill of one backup: the backup was restored into a scratch place and checked there.
///
/// The catalog keeps one per drill; `backup drill --json` prints them with the keys below.
public struct DrillRecord: Hashable, Codable, Sendable, Identifiable {
    enum CodingKeys: String, CodingKey {
        case id
        case backupID = "backup_id"
        case plan, source
        case startedAt = "started_at"
        case durationMilliseconds = "duration_ms"
        case outcome, checks, error
    }

    /// How a drill ended.
    public enum Outcome: String, Codable, Sendable, Hashable {
        /// Every check passed.
        case passed
        /// A check failed, or the backup could not be restored at all (see ``DrillRecord/error``).
        case failed
    }

    /// The drill's own id (random).
    public var id: String
    /// The backup restored (an incremental's whole chain is restored).
    public var backupID: BackupID
    public var plan: String
    public var source: String
    public var startedAt: Date
    /// How long the restore and the checks took.
    public var durationMilliseconds: Int64
    public var outcome: Outcome
    /// What was checked, in order.
    public var checks: [DrillCheck]
    /// Why the drill failed: the first failed check, or the restore's error; `nil` when it passed.
    public var error: String?

    /// Creates a drill record.
    public init(
        id: String = UUID().uuidString.lowercased(), backupID: BackupID, plan: String, source: String, startedAt: Date,
        durationMilliseconds: Int64, outcome: Outcome, checks: [DrillCheck], error: String? = nil
    ) {
        self.id = id
        self.backupID = backupID
        self.plan = plan
        self.source = source
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.checks = checks
        self.error = error
    }

    /// Whether the drill passed.
    public var passed: Bool { outcome == .passed }
}

/// One thing a drill checked: `files`, `sha256`, `integrity_check`, `row_counts`, `checksum_table`, ….
public struct DrillCheck: Hashable, Codable, Sendable {
    /// The check's name.
    public var name: String
    /// Whether it held.
    public var passed: Bool
    /// What was seen: counts, the first mismatch, the values reported.
    public var detail: String

    /// Creates a check.
    public init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }
}
