import ArchiveLifecycle
public import BackupCatalog
public import BackupEngine
public import BackupModels
import BackupSources
package import BackupSupport
public import Foundation
public import Logging
public import ServiceLifecycle

/// Runs plans on their cron schedules until graceful shutdown: a swift-service-lifecycle `Service`.
///
/// For every due instant of a plan the scheduler waits a random jitter (never past the window's end),
/// takes a run slot (at most ``Configuration-swift.struct/maxConcurrentRuns`` at once), checks that the
/// run may still start inside the plan's window (otherwise it is skipped and a
/// ``BackupEvent/Kind-swift.struct/runSkipped`` event is sent), takes the plan's lease in the catalog
/// (another process holding it runs the plan instead), checks that nobody ran that instant already,
/// and runs the plan while renewing the lease every third of its duration.
///
/// ```swift
/// let scheduler = try BackupScheduler(engines: engines, logger: logger, notifier: notifier)
/// let group = ServiceGroup(services: [scheduler], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
///
/// Graceful shutdown stops waiting at once; a run in progress finishes
/// (``ShutdownBehavior-swift.enum/finishRunning``, the default) or is cancelled
/// (``ShutdownBehavior-swift.enum/cancelRunning``), in which case the engine marks its record failed and
/// removes what it stored. Leases are released either way.
public struct BackupScheduler: Service {
    /// What graceful shutdown does to a run in progress.
    public enum ShutdownBehavior: Sendable, Hashable {
        /// Let the run finish (the service group's own shutdown timeout may still cancel it).
        case finishRunning
        /// Cancel the run: the engine marks it failed and removes its partial artifacts.
        case cancelRunning
    }

    /// Settings of a scheduler.
    public struct Configuration: Sendable, Hashable {
        /// How many plans may run at once (at least 1).
        public var maxConcurrentRuns: Int
        /// How long a plan's lease lasts without renewal; it is renewed every third of it while a run lasts.
        public var leaseDuration: Duration
        /// What graceful shutdown does to a run in progress.
        public var shutdown: ShutdownBehavior

        /// The smallest `limits.max_concurrent_runs` among `plans`, or `nil` when none sets it: how many
        /// runs a scheduler of these plans allows unless told otherwise.
        /// - Parameter plans: The plans of one scheduler.
        /// - Returns: The limit the plans ask for.
        public static func maxConcurrentRuns(of plans: [BackupPlan]) -> Int? {
            plans.compactMap { $0.limits?.maxConcurrentRuns }.min()
        }

        /// Creates settings.
        /// - Parameters:
        ///   - maxConcurrentRuns: How many plans may run at once.
        ///   - leaseDuration: How long a lease lasts without renewal (at least 3 seconds).
        ///   - shutdown: What graceful shutdown does to a run in progress.
        public init(maxConcurrentRuns: Int = 1, leaseDuration: Duration = .seconds(120), shutdown: ShutdownBehavior = .finishRunning) {
            self.maxConcurrentRuns = maxConcurrentRuns
            self.leaseDuration = leaseDuration
            self.shutdown = shutdown
        }
    }

    /// The notifier of a scheduled engine: the plan's own (`notify:`) plus a log notifier, so that every
    /// scheduled run is logged as well as sent where the plan says.
    /// - Parameters:
    ///   - plan: The notifier the plan's `notify:` section built, if any.
    ///   - logger: Where the log notifier writes.
    ///   - logsAlready: Whether `plan` already logs events (`notify.log: true`).
    /// - Returns: The combined notifier.
    public static func scheduledNotifier(plan: (any Notifier)?, logger: Logger, logsAlready: Bool) -> any Notifier {
        guard let plan else { return LogNotifier(logger: logger) }
        return logsAlready ? plan : MultiNotifier([plan, LogNotifier(logger: logger)])
    }

    /// One plan with the catalog its leases and records live in.
    package struct Job: Sendable {
        package var plan: ScheduledPlan
        package var catalog: any SchedulerCatalog
    }

    /// The plans, in the order given.
    public var plans: [ScheduledPlan] { jobs.map(\.plan) }
    /// The scheduler's settings.
    public let configuration: Configuration
    /// Where scheduler logs go.
    public var logger: Logger
    /// Where skipped runs and failures the run closure throws are reported; `nil` sends none.
    public var notifier: (any Notifier)?
    /// The scheduler's time source.
    public var clock: SchedulerClock
    /// A random number in `0..<1` for each jitter.
    public var randomFraction: @Sendable () -> Double
    /// The owner presented for each lease acquisition: this host and process with a new token.
    public var leaseOwner: @Sendable () -> LeaseOwner

    package let jobs: [Job]
    /// Runs one plan for the due instant it is given.
    package let runPlan: @Sendable (ScheduledPlan, Date) async throws -> ScheduledRunResult
    package let slots: RunSlots
    /// How many plan loops are doing something other than waiting for their next due instant (tests
    /// move a manual clock only when this is zero).
    package let busyLoops = Shared(0)

    /// Creates a scheduler whose plans keep their leases and records in one catalog.
    ///
    /// - Parameters:
    ///   - plans: The plans to run.
    ///   - catalog: Where leases are taken and the plans' latest records are read.
    ///   - configuration: Concurrency, lease duration, shutdown behaviour.
    ///   - logger: Where scheduler logs go.
    ///   - notifier: Where skipped runs are reported.
    ///   - clock: The time source; the system clock by default.
    ///   - randomFraction: Random numbers for jitter.
    ///   - run: Runs one plan once; it is cancelled on shutdown with ``ShutdownBehavior-swift.enum/cancelRunning``
    ///     or when the lease is lost.
    /// - Throws: ``ScheduleError`` for duplicate plans, overlapping windows or invalid limits.
    public init(
        plans: [ScheduledPlan], catalog: any SchedulerCatalog, configuration: Configuration = Configuration(),
        logger: Logger, notifier: (any Notifier)? = nil, clock: SchedulerClock = .system,
        randomFraction: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        run: @escaping @Sendable (ScheduledPlan) async throws -> ScheduledRunResult
    ) throws {
        try self.init(
            jobs: plans.map { Job(plan: $0, catalog: catalog) }, configuration: configuration, logger: logger,
            notifier: notifier, clock: clock, randomFraction: randomFraction, run: { plan, _ in try await run(plan) })
    }

    /// Creates a scheduler whose run closure also receives the due instant, so that it can take a full
    /// backup at the instants of the plan's `schedule.full` (`plan.backupKind(at: instant)`).
    ///
    /// - Parameters:
    ///   - plans: The plans to run.
    ///   - catalog: Where leases are taken and the plans' latest records are read.
    ///   - configuration: Concurrency, lease duration, shutdown behaviour.
    ///   - logger: Where scheduler logs go.
    ///   - notifier: Where skipped runs are reported.
    ///   - clock: The time source; the system clock by default.
    ///   - randomFraction: Random numbers for jitter.
    ///   - runAt: Runs one plan once for the given due instant (for a catch-up run, the missed instant); it
    ///     is cancelled on shutdown with ``ShutdownBehavior-swift.enum/cancelRunning`` or when the lease is lost.
    /// - Throws: ``ScheduleError`` for duplicate plans, overlapping windows or invalid limits.
    public init(
        plans: [ScheduledPlan], catalog: any SchedulerCatalog, configuration: Configuration = Configuration(),
        logger: Logger, notifier: (any Notifier)? = nil, clock: SchedulerClock = .system,
        randomFraction: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        runAt: @escaping @Sendable (ScheduledPlan, Date) async throws -> ScheduledRunResult
    ) throws {
        try self.init(
            jobs: plans.map { Job(plan: $0, catalog: catalog) }, configuration: configuration, logger: logger,
            notifier: notifier, clock: clock, randomFraction: randomFraction, run: runAt)
    }

    /// Creates a scheduler that runs `engine.backup` for each engine's plan, on the plan's `schedule:`.
    ///
    /// Each plan's lease and records live in its engine's catalog (an ``BackupEngine/EngineCatalog``,
    /// which keeps leases).
    /// - Parameters:
    ///   - engines: One engine per plan; every plan must have a schedule.
    ///   - configuration: Concurrency, lease duration, shutdown behaviour.
    ///   - logger: Where scheduler logs go.
    ///   - notifier: Where skipped runs are reported (set the engines' own notifier for backup events).
    ///   - clock: The time source; the system clock by default.
    ///   - request: What each run does; an automatic full or incremental with retention by default. A run
    ///     due at an instant of the plan's `schedule.full` expression takes full backups instead of `.auto`.
    ///   - drills: Restore drill requests by plan name. A plan with a `drill.cron` and a request here is
    ///     also drilled on that schedule, as a plan of its own named `<plan>.drill` (its own lease, skipped
    ///     when missed); a drill run succeeds when every drill passed.
    /// - Throws: ``ScheduleError`` for a plan without a schedule or with an invalid one, duplicate plans,
    ///   overlapping windows or invalid limits.
    public init(
        engines: [Engine], configuration: Configuration = Configuration(), logger: Logger,
        notifier: (any Notifier)? = nil, clock: SchedulerClock = .system, request: BackupRequest = BackupRequest(),
        drills: [String: DrillRequest] = [:]
    ) throws {
        var jobs: [Job] = []
        var byName: [String: Engine] = [:]
        var drillsByName: [String: (Engine, DrillRequest)] = [:]
        for var engine in engines {
            // A run's lease lasts as long as the scheduler's own, so a process that dies frees both together.
            engine.runLeaseDuration = configuration.leaseDuration
            let plan = try ScheduledPlan(engine.plan)
            jobs.append(Job(plan: plan, catalog: engine.catalog))
            byName[plan.name] = engine
            if let drillRequest = drills[engine.plan.name], let drill = try ScheduledPlan.drill(of: engine.plan) {
                jobs.append(Job(plan: drill, catalog: engine.catalog))
                drillsByName[drill.name] = (engine, drillRequest)
            }
        }
        let engineByName = byName
        let drillByName = drillsByName
        try self.init(
            jobs: jobs, configuration: configuration, logger: logger, notifier: notifier, clock: clock,
            randomFraction: { Double.random(in: 0..<1) },
            run: { plan, instant in
                if let (engine, drillRequest) = drillByName[plan.name] {
                    let drills = try await engine.drill(drillRequest)
                    let failed = drills.filter { !$0.passed }.count
                    return ScheduledRunResult(
                        succeeded: failed == 0, summary: "\(drills.count - failed) drills passed, \(failed) failed")
                }
                guard let engine = engineByName[plan.name] else {
                    return ScheduledRunResult(succeeded: false, summary: "no engine for plan '\(plan.name)'")
                }
                var request = request
                if request.kind == .auto { request.kind = plan.backupKind(at: instant) }
                return ScheduledRunResult(try await engine.backup(request))
            })
    }

    private init(
        jobs: [Job], configuration: Configuration, logger: Logger, notifier: (any Notifier)?, clock: SchedulerClock,
        randomFraction: @escaping @Sendable () -> Double,
        run: @escaping @Sendable (ScheduledPlan, Date) async throws -> ScheduledRunResult
    ) throws {
        guard configuration.maxConcurrentRuns >= 1 else {
            throw ScheduleError(
                code: .invalidLimit, field: "max_concurrent_runs",
                message: "\(configuration.maxConcurrentRuns): at least one run must be allowed")
        }
        guard configuration.leaseDuration >= .seconds(3) else {
            throw ScheduleError(
                code: .invalidLimit, field: "lease_duration",
                message: "\(configuration.leaseDuration): a lease must last at least 3 seconds")
        }
        try ScheduledPlan.validate(jobs.map(\.plan), maxConcurrentRuns: configuration.maxConcurrentRuns, at: clock.now())
        self.jobs = jobs
        self.configuration = configuration
        self.logger = logger
        self.notifier = notifier
        self.clock = clock
        self.randomFraction = randomFraction
        self.leaseOwner = { LeaseOwner.current() }
        self.runPlan = run
        self.slots = RunSlots(configuration.maxConcurrentRuns)
    }
}
