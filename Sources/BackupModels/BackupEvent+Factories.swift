public import Foundation

extension BackupEvent {
    /// A backup that finished and was committed.
    /// - Parameters:
    ///   - plan: The plan's name.
    ///   - source: The source's name.
    ///   - backupID: The committed record.
    ///   - label: The record's pgBackRest-style label.
    ///   - kind: Full or incremental.
    ///   - bytes: The stored size of the artifact(s).
    ///   - duration: How long the backup took.
    ///   - date: When it finished.
    /// - Returns: An event of kind ``Kind-swift.struct/backupSucceeded``.
    public static func backupSucceeded(
        plan: String, source: String, backupID: BackupID, label: BackupLabel, kind: BackupKind,
        bytes: Int64, duration: Duration, at date: Date
    ) -> BackupEvent {
        BackupEvent(
            kind: .backupSucceeded, occurredAt: date,
            details: [
                "plan": plan, "source": source, "backup_id": backupID.rawValue, "label": label.rawValue,
                "backup_kind": kind.rawValue, "bytes": String(bytes), "duration_seconds": seconds(duration),
            ])
    }

    /// A backup that did not complete.
    /// - Parameters:
    ///   - plan: The plan's name.
    ///   - source: The source's name.
    ///   - reason: Why it failed (an error description; never a secret).
    ///   - date: When it failed.
    /// - Returns: An event of kind ``Kind-swift.struct/backupFailed``.
    public static func backupFailed(plan: String, source: String, reason: String, at date: Date) -> BackupEvent {
        BackupEvent(kind: .backupFailed, occurredAt: date, details: ["plan": plan, "source": source, "reason": reason])
    }

    /// An Elasticsearch snapshot that failed or was partial.
    /// - Parameters:
    ///   - repository: The snapshot repository.
    ///   - snapshot: The snapshot's name.
    ///   - reason: Why it failed.
    ///   - attempt: Which attempt this was, from 1.
    ///   - date: When it failed.
    /// - Returns: An event of kind ``Kind-swift.struct/snapshotFailed``.
    public static func snapshotFailed(
        repository: String, snapshot: String, reason: String, attempt: Int, at date: Date
    ) -> BackupEvent {
        BackupEvent(
            kind: .snapshotFailed, occurredAt: date,
            details: ["repository": repository, "snapshot": snapshot, "reason": reason, "attempt": String(attempt)])
    }

    /// A restore by time range that reached a final state.
    /// - Parameters:
    ///   - restoreID: The restore's identifier.
    ///   - indices: The restored index names (joined with `,` in the `indices` detail).
    ///   - documentCount: The documents restored.
    ///   - duration: How long the restore took.
    ///   - state: `.done` or `.failed`.
    ///   - date: When it finished.
    /// - Returns: An event of kind ``Kind-swift.struct/restoreFinished``.
    public static func restoreFinished(
        restoreID: String, indices: [String], documentCount: Int64, duration: Duration, state: RestoreState,
        at date: Date
    ) -> BackupEvent {
        BackupEvent(
            kind: .restoreFinished, occurredAt: date,
            details: [
                "restore_id": restoreID, "indices": indices.joined(separator: ","), "doc_count": String(documentCount),
                "duration_seconds": seconds(duration), "state": state.rawValue,
            ])
    }

    /// Retention that removed backups.
    /// - Parameters:
    ///   - plan: The plan's name.
    ///   - removedCount: How many backups were removed.
    ///   - keptCount: How many were kept.
    ///   - date: When retention ran.
    /// - Returns: An event of kind ``Kind-swift.struct/retentionRemoved``.
    public static func retentionRemoved(plan: String, removedCount: Int, keptCount: Int, at date: Date) -> BackupEvent {
        BackupEvent(
            kind: .retentionRemoved, occurredAt: date,
            details: ["plan": plan, "removed_count": String(removedCount), "kept_count": String(keptCount)])
    }

    /// A restore drill that failed.
    /// - Parameters:
    ///   - drill: The failed drill (its plan, source, backup and error become details).
    ///   - label: The drilled backup's label.
    ///   - date: When the drill ended.
    /// - Returns: An event of kind ``Kind-swift.struct/drillFailed`` with details `plan`, `source`,
    ///   `backup_id`, `label`, `reason` and `failed_checks` (comma-separated check names).
    public static func drillFailed(_ drill: DrillRecord, label: BackupLabel, at date: Date) -> BackupEvent {
        BackupEvent(
            kind: .drillFailed, occurredAt: date,
            details: [
                "plan": drill.plan, "source": drill.source, "backup_id": drill.backupID.rawValue, "label": label.rawValue,
                "reason": drill.error ?? "a check failed",
                "failed_checks": drill.checks.filter { !$0.passed }.map(\.name).joined(separator: ","),
            ])
    }

    /// A duration as decimal seconds with millisecond precision: `12.345`.
    package static func seconds(_ duration: Duration) -> String {
        let (whole, atto) = duration.components
        let millis = whole * 1000 + atto / 1_000_000_000_000_000
        let sign = millis < 0 ? "-" : ""
        let magnitude = millis.magnitude
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
