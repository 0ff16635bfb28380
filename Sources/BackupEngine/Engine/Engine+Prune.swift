import ArtifactFormat
import BackupCatalog
public import BackupModels
import BackupSources
import BackupSupport
import Foundation
import Logging
import RemoteStorage
public import Retention

/// The result of applying retention.
public struct PruneReport: Sendable {
    /// Every decision with its reasons.
    public var plan: RetentionPlan
    /// Whether anything was removed (false for a dry run).
    public var dryRun: Bool
    /// Records removed from storage and marked expired.
    public var removed: [BackupID]
    /// Records whose removal failed, with the reason.
    public var failures: [BackupID: String]
}

extension Engine {
    /// Applies the plan's retention policy at the engine's current time (`now`).
    ///
    /// Removal order is safe against interruption: a record is first marked `expired` in the catalog
    /// (so nothing claims it any more), then its artifacts and manifest are deleted. An interruption
    /// can leave unreferenced objects, never a catalog entry without its data. Dependants are removed
    /// before the backups they depend on.
    ///
    /// A pass that removes backups holds the plan's run (``withPlanLock(_:)``): it never races a backup
    /// run of the plan on any host sharing the catalog. Inside a backup run it holds it already.
    ///
    /// - Parameter dryRun: plan only; nothing is changed.
    /// - Throws: ``EngineError`` `locked` when a run of the plan works elsewhere, or a catalog error.
    public func applyRetention(dryRun: Bool) async throws -> PruneReport {
        if dryRun { return try await prune(dryRun: true) }
        return try await withPlanLock { try await prune(dryRun: false) }
    }

    private func prune(dryRun: Bool) async throws -> PruneReport {
        let policy = plan.retention ?? RetentionPolicy()
        let now = self.now()
        let records = try await catalog.records(RecordQuery(plan: plan.name))
        let retention = policy.plan(for: records, now: now)
        guard !dryRun else { return PruneReport(plan: retention, dryRun: true, removed: [], failures: [:]) }

        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        // Newest first, so an incremental goes before the backup it applies on.
        let removals = retention.removals.sorted { $0.startedAt > $1.startedAt }
        var removed: [BackupID] = []
        var failures: [BackupID: String] = [:]
        for decision in removals {
            guard let record = byID[decision.id] else { continue }
            do {
                if record.state == .running { continue }
                try await catalog.markExpired([record.id], at: now)
                for artifact in record.artifacts { try await storage.delete(artifact.key) }
                // One manifest per backup, beside its data artifact (not one per artifact: the file index has none).
                if let data = Self.dataArtifact(of: record) { try await storage.delete(Self.manifestKey(forArtifact: data.key)) }
                removed.append(record.id)
                logger.info(
                    "retention removed backup",
                    metadata: [
                        "backup": "\(record.id)", "label": "\(record.label)", "reasons": "\(decision.reasons.joined(separator: "; "))",
                    ])
            } catch {
                failures[record.id] = String(describing: error)
                logger.error("retention could not remove backup", metadata: ["backup": "\(record.id)", "error": "\(error)"])
            }
        }
        if !removed.isEmpty {
            await deliver(
                .retentionRemoved(
                    plan: plan.name, removedCount: removed.count, keptCount: retention.kept.count, at: self.now()))
        }
        return PruneReport(plan: retention, dryRun: false, removed: removed, failures: failures)
    }
}
