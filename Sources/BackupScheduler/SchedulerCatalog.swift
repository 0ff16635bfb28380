public import BackupCatalog
package import BackupModels

/// What a ``BackupScheduler`` needs from a catalog: per-plan leases and the plan's latest record.
///
/// ``SQLiteCatalog`` conforms; a fleet can conform a store of its own (see
/// `Documentation/Automation.md` for leases kept in an object store).
public typealias SchedulerCatalog = LeaseCatalog & BackupRecordCatalog

extension BackupRecordCatalog {
    /// The newest record of `plan`, whatever its state.
    package func latestRecord(of plan: String) async throws -> BackupRecord? {
        try await records(RecordQuery(plan: plan, newestFirst: true, limit: 1)).first
    }
}
