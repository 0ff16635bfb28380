public import Foundation

/// Something worth telling a person about: a backup that succeeded or failed, a snapshot that failed,
/// a restore that finished, or retention that removed backups.
///
/// An event is a ``kind``, the instant it occurred and flat string ``details`` whose keys are
/// snake_case. It encodes to stable JSON:
/// `{"details":{"plan":"nightly",…},"kind":"backup_succeeded","occurred_at":"2026-11-25T01:30:00.000Z"}`.
/// Build events with the static factories (``backupSucceeded(plan:source:backupID:label:kind:bytes:duration:at:)``
/// and friends) so the detail keys stay the documented ones.
public struct BackupEvent: Sendable, Hashable, Codable {
    /// What happened. Extensible: adding a kind never breaks a `switch` in user code.
    public struct Kind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The snake_case name written to JSON and to `BACKUPKIT_EVENT`.
        public let rawValue: String

        /// Creates a kind from its snake_case name (for custom events).
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A backup finished and was committed.
        public static let backupSucceeded = Kind(rawValue: "backup_succeeded")
        /// A backup did not complete.
        public static let backupFailed = Kind(rawValue: "backup_failed")
        /// An Elasticsearch snapshot ended FAILED or PARTIAL, or could not be created.
        public static let snapshotFailed = Kind(rawValue: "snapshot_failed")
        /// A restore by time range reached `done` or `failed` (see the `state` detail).
        public static let restoreFinished = Kind(rawValue: "restore_finished")
        /// Retention removed one or more backups.
        public static let retentionRemoved = Kind(rawValue: "retention_removed")
        /// A restore drill failed: a backup did not restore, or what it restored did not check out.
        public static let drillFailed = Kind(rawValue: "drill_failed")

        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        public var description: String { rawValue }
    }

    private enum CodingKeys: String, CodingKey {
        case kind
        case occurredAt = "occurred_at"
        case details
    }

    /// What happened.
    public var kind: Kind
    /// When it happened.
    public var occurredAt: Date
    /// Facts about the event, keyed by snake_case names (`plan`, `backup_id`, `reason`, …). Never secrets.
    public var details: [String: String]

    /// Creates an event.
    /// - Parameters:
    ///   - kind: What happened.
    ///   - occurredAt: When it happened.
    ///   - details: Facts about the event with snake_case keys; they must not hold secrets.
    public init(kind: Kind, occurredAt: Date, details: [String: String] = [:]) {
        self.kind = kind
        self.occurredAt = occurredAt
        self.details = details
    }

    /// Whether the event reports a failure (a failed backup, a failed snapshot, a failed restore).
    public var isFailure: Bool {
        switch kind {
        case .backupFailed, .snapshotFailed, .runSkipped, .drillFailed: true
        case .restoreFinished: details["state"] != RestoreState.done.rawValue
        default: false
        }
    }
}
