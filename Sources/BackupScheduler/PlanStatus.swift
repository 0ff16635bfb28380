import ArchiveLifecycle
public import BackupCatalog
public import BackupEngine
public import BackupModels
import BackupSources
import BackupSupport
public import Foundation

/// Where a plan stands: the latest backup of each source, whether it runs right now, and when it runs
/// next. What `backup status` prints.
public struct PlanStatus: Sendable {
    /// The latest record of one source.
    public struct SourceStatus: Sendable {
        /// The source's name.
        public var source: String
        /// The source's newest record in any state (running, committed, failed, expired), if any.
        public var latest: BackupRecord?
        /// The source's newest committed backup, if any.
        public var latestCommitted: BackupRecord?
        /// Whether ``latest`` is a `running` record that no live process is working on: neither the plan's
        /// lock on this host nor an unexpired lease is held. The next run marks it failed and removes
        /// what it stored.
        public var isStale: Bool
    }

    /// The plan's name.
    public var plan: String
    /// One entry per source of the plan, in the plan's order.
    public var sources: [SourceStatus]
    /// Who runs the plan now, on any host sharing the catalog: the holder of its unexpired run lease, else
    /// of a scheduler's plan lease (a lease of a process of this host that no longer exists does not count).
    public var runningOn: LeaseOwner?
    /// Whether a process on this host holds the plan's lock: a run is alive here now.
    public var lockHeld: Bool
    /// The plan's schedule, when it has one.
    public var schedule: ScheduledPlan?
    /// The schedule's zone as the plan names it (`UTC`, `Asia/Shanghai`).
    public var timeZoneIdentifier: String?
    /// The next due instant (without jitter), when the plan has a schedule.
    public var nextRun: Date?

    /// Reads the status of `engine`'s plan from its catalog.
    /// - Parameters:
    ///   - engine: The engine of the plan.
    ///   - now: The current time.
    /// - Returns: The plan's status.
    /// - Throws: ``ScheduleError`` for an invalid schedule, or a catalog error.
    public static func read(for engine: Engine, now: Date) async throws -> PlanStatus {
        let plan = engine.plan
        var runningOn: LeaseOwner?
        // The run lease names whoever works on the plan now (a scheduler, `backup run`, a host's own
        // call); a scheduler's plan lease, whoever is about to. A lease of a dead process of this host is
        // no live run, whatever its expiry says.
        for name in [Lease.name(forRun: plan.name), Lease.name(forPlan: plan.name)] {
            if let lease = try await engine.catalog.lease(named: name), !lease.isExpired(at: now),
                !lease.owner.isGoneFromThisHost
            {
                runningOn = lease.owner
                break
            }
        }
        let lockHeld = engine.planLockIsHeld
        var sources: [SourceStatus] = []
        for source in plan.sources {
            let latest = try await engine.catalog.records(
                RecordQuery(plan: plan.name, source: source.name, newestFirst: true, limit: 1)
            ).first
            let committed = try await engine.catalog.records(
                RecordQuery(plan: plan.name, source: source.name, states: [.committed], newestFirst: true, limit: 1)
            ).first
            let stale = latest?.state == .running && !lockHeld && runningOn == nil
            sources.append(SourceStatus(source: source.name, latest: latest, latestCommitted: committed, isStale: stale))
        }
        let schedule = try plan.schedule.map { try ScheduledPlan(name: plan.name, config: $0) }
        return PlanStatus(
            plan: plan.name, sources: sources, runningOn: runningOn, lockHeld: lockHeld, schedule: schedule,
            timeZoneIdentifier: plan.schedule?.timeZoneIdentifier, nextRun: schedule?.next(after: now))
    }
}
