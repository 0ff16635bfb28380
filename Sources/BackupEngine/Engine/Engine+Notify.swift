import ArtifactFormat
package import BackupModels
import BackupSources
import BackupSupport
import Foundation
import Logging
import RemoteStorage

extension Engine {
    /// Sends `event` to the engine's notifier, if any. Delivery failures are logged, never thrown:
    /// a webhook that is down must not turn a committed backup into a failed run.
    package func deliver(_ event: BackupEvent) async {
        guard let notifier else { return }
        do {
            try await notifier.notify(event)
        } catch {
            logger.warning("notification not delivered", metadata: ["event": "\(event.kind)", "error": "\(error)"])
        }
    }

    /// One event per source of a backup run: succeeded with its record, or failed with the reason.
    package func notifyBackupOutcomes(_ outcomes: [SourceRunOutcome]) async {
        for outcome in outcomes {
            if let record = outcome.record {
                let finished = record.finishedAt ?? now()
                let duration = Duration.milliseconds(Int64((finished.timeIntervalSince(record.startedAt) * 1000).rounded()))
                await deliver(
                    .backupSucceeded(
                        plan: plan.name, source: outcome.source, backupID: record.id, label: record.label, kind: record.kind,
                        bytes: record.sizeBytes, duration: duration, at: finished))
            } else {
                let reason = outcome.error.map { String(describing: $0) } ?? "unknown error"
                await deliver(.backupFailed(plan: plan.name, source: outcome.source, reason: reason, at: now()))
            }
        }
    }
}
