import BackupCatalog
import BackupModels
import Foundation
import Testing

@testable import BackupEngine
@testable import BackupScheduler

/// `backup schedule` drills a plan on its `drill.cron`, as a plan of its own.
@Suite("Scheduled drills")
struct ScheduledDrillTests {
    @Test("a plan with drill.cron gets a '<plan>.drill' schedule whose run drills the newest backups and reports failures")
    func scheduledDrill() async throws {
        let scratch = Scratch("scheduled-drill")
        try scratch.write("src/a.txt", "a\n")
        var plan = Fixture.plan(scratch)
        plan.schedule = ScheduleConfig(cron: "30 1 * * *", timeZoneIdentifier: "Asia/Shanghai")
        plan.drill = DrillConfig(cron: "0 5 * * 0", sample: 0)
        let clock = TestClock("2026-11-25T01:30:00Z")
        let engine = try Fixture.engine(plan, clock: clock)
        let record = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)

        let request = DrillRequest(sample: .newest(plusOlder: 0), scratchDirectory: scratch.sub("drills"))
        let scheduler = try BackupScheduler(engines: [engine], logger: Fixture.logger, drills: ["test": request])
        #expect(scheduler.plans.map(\.name) == ["test", "test.drill"])
        let drillPlan = scheduler.plans[1]
        // Sundays at 05:00 in the schedule's zone (Asia/Shanghai): 2026-11-29T05:00+08:00.
        #expect(drillPlan.nextRuns(1, after: clock.now) == [ISO8601.date(from: "2026-11-28T21:00:00Z")!])
        let passed = try await scheduler.runPlan(drillPlan, clock.now)
        #expect(passed == ScheduledRunResult(succeeded: true, summary: "1 drills passed, 0 failed"))
        #expect(try await engine.catalog.lastDrills(plan: "test")[record.id]?.passed == true)

        let artifact = scratch.sub("store/" + record.artifacts[0].key)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: artifact)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: artifact))
        clock.advance(60)
        let failed = try await scheduler.runPlan(drillPlan, clock.now)
        #expect(failed == ScheduledRunResult(succeeded: false, summary: "0 drills passed, 1 failed"))

        let withoutRequest = try BackupScheduler(engines: [engine], logger: Fixture.logger)
        #expect(withoutRequest.plans.map(\.name) == ["test"], "no drill request, no drill schedule")
        plan.drill?.cron = "61 * * * *"
        let badCron = try Fixture.engine(plan, clock: clock)
        let error = #expect(throws: ScheduleError.self) {
            _ = try BackupScheduler(engines: [badCron], logger: Fixture.logger, drills: ["test": request])
        }
        #expect(error?.field == "drill.cron")
    }
}
