import ArchiveLifecycle
public import BackupCatalog
import BackupEngine
public import BackupModels
import BackupSources
import BackupSupport
public import Foundation

/// What a ``BackupScheduler`` needs from a catalog: per-plan leases and the plan's latest record.
///
/// ``SQLiteCatalog`` conforms; a fleet can conform a store of its own (see
/// `Documentation/Automation.md` for leases kept in an object store).
public protocol SchedulerCatalog: Sendable {
    /// Takes the lease `name` if it is free or expired at `now`.
    func acquireLease(_ name: String, owner: LeaseOwner, duration: Duration, now: Date) async throws -> LeaseAcquisition
    /// Extends a held lease to `now + duration`; throws when the lease was lost.
    func renewLease(_ lease: Lease, duration: Duration, now: Date) async throws -> Lease
    /// Gives a lease up; `false` when it was not the caller's any more.
    @discardableResult
    func releaseLease(_ lease: Lease) async throws -> Bool
    /// Backup records matching `query`.
    func records(_ query: RecordQuery) async throws -> [BackupRecord]
}

extension SQLiteCatalog: SchedulerCatalog {}

extension SchedulerCatalog {
    /// The newest record of `plan`, whatever its state.
    package func latestRecord(of plan: String) async throws -> BackupRecord? {
        try await records(RecordQuery(plan: plan, newestFirst: true, limit: 1)).first
    }
}
