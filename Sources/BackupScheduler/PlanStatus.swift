import ArchiveLifecycle
public import BackupCatalog
public import BackupEngine
public import BackupModels
import BackupSources
import BackupSupport
public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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
    /// The holder of the plan's unexpired lease: a scheduler running the plan now (a lease of a process
    /// of this host that no longer exists does not count).
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
        if let lease = try await engine.catalog.lease(named: Lease.name(forPlan: plan.name)), !lease.isExpired(at: now) {
            runningOn = lease.owner
        }
        // A lease of a process of this host that is gone is no live run, whatever its expiry says.
        if let owner = runningOn, owner.host == LeaseOwner.current().host, kill(pid_t(owner.pid), 0) != 0, errno == ESRCH {
            runningOn = nil
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
