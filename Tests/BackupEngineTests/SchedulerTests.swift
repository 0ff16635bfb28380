import BackupCatalog
import BackupModels
import Foundation
import Logging
import RemoteStorage
import ServiceLifecycle
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

private func date(_ iso: String) -> Date { SchedulerFixture.date(iso) }

@Suite("BackupScheduler")
struct SchedulerTests {
    let logger = SchedulerFixture.logger

    @Test("a daily plan runs once at each due instant, and not in between")
    func runsAtEachInstant() async throws {
        let clock = ManualClock("2026-11-25T00:00:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan()], catalog: catalog, logger: logger, clock: clock.schedulerClock,
            run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog))
        try await SchedulerFixture.running(scheduler) { _ in
            await SchedulerFixture.drive(clock, to: date("2026-11-28T00:00:00+08:00"), schedulers: [scheduler])
        }
        #expect(
            await log.starts["nightly"] == [
                date("2026-11-25T01:30:00+08:00"), date("2026-11-26T01:30:00+08:00"), date("2026-11-27T01:30:00+08:00"),
            ])
        #expect(try await catalog.lease(named: Lease.name(forPlan: "nightly")) == nil, "the lease is released after each run")
    }

    @Test("jitter delays a run by the injected random fraction, and never past the window")
    func jitter() async throws {
        let clock = ManualClock("2026-11-25T00:00:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        let plans = [
            try SchedulerFixture.plan("open", jitterSeconds: 600),
            try SchedulerFixture.plan("tight", window: "01:00-01:34", jitterSeconds: 3600),
        ]
        let scheduler = try BackupScheduler(
            plans: plans, catalog: catalog, configuration: .init(maxConcurrentRuns: 2), logger: logger,
            clock: clock.schedulerClock, randomFraction: { 0.5 },
            run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog))
        try await SchedulerFixture.running(scheduler) { _ in
            await SchedulerFixture.drive(clock, to: date("2026-11-25T03:00:00+08:00"), schedulers: [scheduler])
        }
        #expect(await log.starts["open"] == [date("2026-11-25T01:35:00+08:00")])
        // Room before the window closes: 4 minutes less a minute of margin; half of it is 90 seconds.
        #expect(await log.starts["tight"] == [date("2026-11-25T01:31:30+08:00")])
    }

    @Test("a run that cannot start inside its window is skipped and reported")
    func windowSkip() async throws {
        let clock = ManualClock("2026-11-25T00:00:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        let events = EventRecorder()
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan(cron: "0 6 * * *", window: "01:00-05:00")], catalog: catalog, logger: logger,
            notifier: events, clock: clock.schedulerClock, run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog))
        try await SchedulerFixture.running(scheduler) { _ in
            await SchedulerFixture.drive(clock, to: date("2026-11-25T12:00:00+08:00"), schedulers: [scheduler])
        }
        #expect(await log.total == 0)
        let skipped = events.received.filter { $0.kind == .runSkipped }
        #expect(skipped.count == 1)
        #expect(skipped.first?.details["plan"] == "nightly")
        #expect(skipped.first?.details["scheduled_at"] == "2026-11-24T22:00:00.000Z")
        #expect(skipped.first?.details["reason"]?.contains("01:00-05:00 Asia/Shanghai") == true)
    }

    @Test("missed: run_once runs at start when the last record is older than the last due instant")
    func missedRunOnce() async throws {
        let clock = ManualClock("2026-11-25T10:00:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        // The last run was two days ago: this morning's 01:30 was missed.
        let old = SchedulerFixture.recordingRun(RunLog(), clock: ManualClock("2026-11-23T01:30:00+08:00"), catalog: catalog)
        _ = try await old(try SchedulerFixture.plan())
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan(missed: .runOnce)], catalog: catalog, logger: logger, clock: clock.schedulerClock,
            run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog))
        try await SchedulerFixture.running(scheduler) { _ in
            await SchedulerFixture.drive(clock, to: date("2026-11-26T10:00:00+08:00"), schedulers: [scheduler])
        }
        #expect(await log.starts["nightly"] == [date("2026-11-25T10:00:00+08:00"), date("2026-11-26T01:30:00+08:00")])
    }

    @Test("missed: skip waits for the next instant; run_once does nothing when the last run is recent")
    func missedSkipAndRecent() async throws {
        for (policy, lastRun) in [
            (ScheduleConfig.MissedRunPolicy.skip, "2026-11-23T01:30:00+08:00"), (.runOnce, "2026-11-25T01:31:00+08:00"),
        ] {
            let clock = ManualClock("2026-11-25T10:00:00+08:00")
            let catalog = try SQLiteCatalog.inMemory()
            let log = RunLog()
            _ = try await SchedulerFixture.recordingRun(RunLog(), clock: ManualClock(lastRun), catalog: catalog)(
                try SchedulerFixture.plan())
            let scheduler = try BackupScheduler(
                plans: [try SchedulerFixture.plan(missed: policy)], catalog: catalog, logger: logger, clock: clock.schedulerClock,
                run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog))
            try await SchedulerFixture.running(scheduler) { _ in
                await SchedulerFixture.drive(clock, to: date("2026-11-26T10:00:00+08:00"), schedulers: [scheduler])
            }
            #expect(await log.starts["nightly"] == [date("2026-11-26T01:30:00+08:00")], "\(policy)")
        }
    }

    @Test("a missed run outside its window is skipped and reported, not run at peak time")
    func missedOutsideWindow() async throws {
        let clock = ManualClock("2026-11-25T10:00:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        let events = EventRecorder()
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan(window: "01:00-05:00", missed: .runOnce)], catalog: catalog, logger: logger,
            notifier: events, clock: clock.schedulerClock, run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog))
        try await SchedulerFixture.running(scheduler) { _ in
            await SchedulerFixture.drive(clock, to: date("2026-11-25T12:00:00+08:00"), schedulers: [scheduler])
        }
        #expect(await log.total == 0)
        #expect(events.received.map(\.kind) == [.runSkipped])
        #expect(events.received.first?.details["scheduled_at"] == "2026-11-24T17:30:00.000Z")
    }

    @Test("max_concurrent_runs 1: the second plan waits for the first to finish", arguments: [1, 2])
    func concurrencyLimit(limit: Int) async throws {
        let clock = ManualClock("2026-11-25T00:00:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        let gate = Gate()
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan("a"), try SchedulerFixture.plan("b")], catalog: catalog,
            configuration: .init(maxConcurrentRuns: limit, leaseDuration: .seconds(3600)), logger: logger,
            clock: clock.schedulerClock, run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog, gate: gate))
        try await SchedulerFixture.running(scheduler) { _ in
            #expect(await eventually { clock.sleeperCount == 2 })
            clock.advance(to: date("2026-11-25T01:30:00+08:00"))
            if limit == 1 {
                #expect(await eventually { await log.total == 1 && scheduler.slots.waitingCount == 1 })
                #expect(await log.active == 1)
            } else {
                #expect(await eventually { await log.active == 2 })
            }
            gate.open()
            #expect(
                await eventually {
                    let (total, active) = (await log.total, await log.active)
                    return total == 2 && active == 0
                })
        }
        #expect(await log.maxActive == limit)
    }

    @Test("the lease is renewed every third of its duration while a run lasts")
    func heartbeat() async throws {
        let clock = ManualClock("2026-11-25T01:29:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        let gate = Gate()
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan()], catalog: catalog, configuration: .init(leaseDuration: .seconds(30)),
            logger: logger, clock: clock.schedulerClock,
            run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog, gate: gate))
        let name = Lease.name(forPlan: "nightly")
        try await SchedulerFixture.running(scheduler) { _ in
            #expect(await eventually { clock.sleeperCount == 1 })
            clock.advance(to: date("2026-11-25T01:30:00+08:00"))
            #expect(await eventually { await log.active == 1 && clock.sleeperCount == 1 })
            let first = try #require(try await catalog.lease(named: name))
            #expect(first.expiresAt == date("2026-11-25T01:30:30+08:00"))
            #expect(first.owner.pid == ProcessInfo.processInfo.processIdentifier)
            clock.advance(by: 10)
            #expect(try await eventually { try await catalog.lease(named: name)?.expiresAt == date("2026-11-25T01:30:40+08:00") })
            #expect(await eventually { clock.sleeperCount == 1 })
            clock.advance(by: 10)
            #expect(try await eventually { try await catalog.lease(named: name)?.expiresAt == date("2026-11-25T01:30:50+08:00") })
            #expect(try await catalog.lease(named: name)?.acquiredAt == first.acquiredAt)
            gate.open()
            #expect(await eventually { await log.active == 0 })
            #expect(try await eventually { try await catalog.lease(named: name) == nil })
        }
    }

    @Test("graceful shutdown lets a running backup finish, then releases the lease")
    func shutdownFinishes() async throws {
        let clock = ManualClock("2026-11-25T01:29:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        let gate = Gate()
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan()], catalog: catalog, logger: logger, clock: clock.schedulerClock,
            run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog, gate: gate))
        let group = ServiceGroup(services: [scheduler], logger: logger)
        let task = Task { try await group.run() }
        #expect(await eventually { clock.sleeperCount == 1 })
        clock.advance(to: date("2026-11-25T01:30:00+08:00"))
        #expect(await eventually { await log.active == 1 })
        await group.triggerGracefulShutdown()
        gate.open()
        try await task.value
        #expect(await log.cancelled == 0)
        let records = try await catalog.records(RecordQuery(plan: "nightly"))
        #expect(records.map(\.state) == [.committed])
        #expect(try await catalog.lease(named: Lease.name(forPlan: "nightly")) == nil)
    }

    @Test("graceful shutdown with cancelRunning cancels the run, reports it and releases the lease")
    func shutdownCancels() async throws {
        let clock = ManualClock("2026-11-25T01:29:00+08:00")
        let catalog = try SQLiteCatalog.inMemory()
        let log = RunLog()
        let events = EventRecorder()
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan()], catalog: catalog,
            configuration: .init(leaseDuration: .seconds(3600), shutdown: .cancelRunning), logger: logger, notifier: events,
            clock: clock.schedulerClock,
            run: { plan in
                await log.begin(plan.name, at: clock.now)
                do {
                    try await clock.sleep(until: .distantFuture)
                } catch {
                    await log.end(plan.name, cancelled: true)
                    throw error
                }
                return ScheduledRunResult(succeeded: true)
            })
        let group = ServiceGroup(services: [scheduler], logger: logger)
        let task = Task { try await group.run() }
        #expect(await eventually { clock.sleeperCount == 1 })
        clock.advance(to: date("2026-11-25T01:30:00+08:00"))
        #expect(await eventually { await log.active == 1 })
        await group.triggerGracefulShutdown()
        try await task.value
        #expect(await log.cancelled == 1)
        #expect(events.received.map(\.kind) == [.backupFailed])
        #expect(events.received.first?.details["reason"] == "cancelled")
        #expect(try await catalog.lease(named: Lease.name(forPlan: "nightly")) == nil)
    }

    @Test("with a real engine, a due run commits a backup labelled with its instant")
    func realEngine() async throws {
        let scratch = Scratch("scheduler")
        try scratch.write("src/app.yaml", "port: 8080\n")
        let clock = ManualClock("2026-11-25T01:29:00+08:00")
        var plan = Fixture.plan(scratch)
        plan.schedule = ScheduleConfig(
            cron: "30 1 * * *", timeZoneIdentifier: "Asia/Shanghai", window: "01:00-05:00", missed: .skip)
        let engine = Engine(
            plan: plan, catalog: try SQLiteCatalog(path: plan.catalogPath), storage: try LocalStorage(root: scratch.sub("store")),
            logger: logger, host: "test-host", now: { clock.now })
        let scheduler = try BackupScheduler(engines: [engine], logger: logger, clock: clock.schedulerClock)
        try await SchedulerFixture.running(scheduler) { _ in
            await SchedulerFixture.drive(clock, to: date("2026-11-25T02:00:00+08:00"), schedulers: [scheduler])
        }
        let records = try await engine.list()
        #expect(records.map(\.state) == [.committed], "\(records.map { "\($0.label) \($0.startedAt) \($0.source)" })")
        #expect(records.first?.label.rawValue == "20261125-013000F")
    }
}
