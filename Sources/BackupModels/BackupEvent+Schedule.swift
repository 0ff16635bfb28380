public import Foundation

extension BackupEvent.Kind {
    /// A scheduled run did not happen: it could not start inside its off-peak window (see the `reason`
    /// detail). Treat it as an alert: a backup that should exist does not.
    public static let runSkipped = BackupEvent.Kind(rawValue: "run_skipped")
}

extension BackupEvent {
    /// A scheduled run that was skipped.
    /// - Parameters:
    ///   - plan: The plan's name.
    ///   - scheduledAt: The due instant that was skipped.
    ///   - reason: Why it was skipped.
    ///   - date: When the scheduler gave up on it.
    /// - Returns: An event of kind ``Kind-swift.struct/runSkipped`` with details `plan`, `scheduled_at`
    ///   (ISO 8601 UTC) and `reason`.
    public static func runSkipped(plan: String, scheduledAt: Date, reason: String, at date: Date) -> BackupEvent {
        BackupEvent(
            kind: .runSkipped, occurredAt: date,
            details: ["plan": plan, "scheduled_at": ISO8601.string(from: scheduledAt), "reason": reason])
    }
}
