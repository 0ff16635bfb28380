import BackupCatalog
import BackupModels
import Foundation
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

private func date(_ iso: String) -> Date { SchedulerFixture.date(iso) }

@Suite("BackupScheduler leases")
struct SchedulerLeaseTests {
    let logger = SchedulerFixture.logger

    @Test("two schedulers on one catalog file run each instant once, never at the same time", arguments: [0.0, 120.0])
    func twoSchedulers(jitterSeconds: Double) async throws {
        let scratch = Scratch("lease")
        let path = scratch.sub("catalog.sqlite")
        let clock = ManualClock("2026-11-25T00:00:00Z")
        let log = RunLog()
        var fraction = 0.0
        var schedulers: [BackupScheduler] = []
        for _ in 0..<2 {
            // Each scheduler has its own connection to the file, as two processes would.
            let catalog = try SQLiteCatalog(path: path)
            let plan = try SchedulerFixture.plan(cron: "*/10 * * * *", zone: "UTC", jitterSeconds: jitterSeconds)
            let share = fraction
            schedulers.append(
                try BackupScheduler(
                    plans: [plan], catalog: catalog, logger: logger, clock: clock.schedulerClock, randomFraction: { share },
                    run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog)))
            fraction = 0.9
        }
        try await SchedulerFixture.running(schedulers[0], schedulers[1]) { _ in
            await SchedulerFixture.drive(clock, to: date("2026-11-25T01:00:00Z"), schedulers: schedulers)
        }
        let starts = await log.starts["nightly"] ?? []
        #expect(starts.count == 6, "\(starts)")
        #expect(Set(starts.map { Int($0.timeIntervalSince1970) / 600 }).count == 6, "one run per instant: \(starts)")
        #expect(await log.maxActivePerPlan == 1)
        let records = try await SQLiteCatalog(path: path).records(RecordQuery(plan: "nightly"))
        #expect(records.count == 6)
    }

    @Test("a lease held by another process blocks the run; once expired it is taken over")
    func staleLeaseTakeover() async throws {
        let scratch = Scratch("lease")
        let catalog = try SQLiteCatalog(path: scratch.sub("catalog.sqlite"))
        let clock = ManualClock("2026-11-25T00:00:00Z")
        let log = RunLog()
        // A process on another host took the lease at 00:00 for 15 minutes, then died.
        let crashed = LeaseOwner(host: "db-backup-2", pid: 4242)
        let held = try await catalog.acquireLease(
            Lease.name(forPlan: "nightly"), owner: crashed, duration: .seconds(900), now: clock.now)
        #expect(held.lease != nil)
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan(cron: "*/10 * * * *", zone: "UTC")], catalog: catalog, logger: logger,
            clock: clock.schedulerClock, run: SchedulerFixture.recordingRun(log, clock: clock, catalog: catalog))
        try await SchedulerFixture.running(scheduler) { _ in
            await SchedulerFixture.drive(clock, to: date("2026-11-25T00:35:00Z"), schedulers: [scheduler])
        }
        #expect(await log.starts["nightly"] == [date("2026-11-25T00:20:00Z"), date("2026-11-25T00:30:00Z")])
        #expect(try await catalog.lease(named: Lease.name(forPlan: "nightly")) == nil)
    }

    @Test("a run whose lease is taken over by someone else is cancelled and reported")
    func leaseLost() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        let clock = ManualClock("2026-11-25T00:09:00Z")
        let log = RunLog()
        let events = EventRecorder()
        let scheduler = try BackupScheduler(
            plans: [try SchedulerFixture.plan(cron: "*/10 * * * *", zone: "UTC")], catalog: catalog,
            configuration: .init(leaseDuration: .seconds(30)), logger: logger, notifier: events, clock: clock.schedulerClock,
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
        try await SchedulerFixture.running(scheduler) { _ in
            #expect(await eventually { clock.sleeperCount == 1 })
            clock.advance(to: date("2026-11-25T00:10:00Z"))
            #expect(await eventually { await log.active == 1 && clock.sleeperCount == 2 })
            // The lease expires unrenewed (a stalled heartbeat) and another host takes it over.
            let name = Lease.name(forPlan: "nightly")
            let lease = try #require(try await catalog.lease(named: name))
            let other = try await catalog.acquireLease(
                name, owner: LeaseOwner(host: "other", pid: 1), duration: .seconds(600), now: lease.expiresAt)
            #expect(other.lease != nil)
            clock.advance(by: 10)
            #expect(await eventually { await log.cancelled == 1 })
            #expect(await eventually { events.received.count == 1 })
            #expect(try await catalog.lease(named: name)?.owner.host == "other", "the new holder's lease stays")
        }
        #expect(events.received.first?.kind == .backupFailed)
        #expect(events.received.first?.details["reason"]?.hasPrefix("lease lost") == true)
    }
}
