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

private let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? .utc
private let newYork = TimeZone(identifier: "America/New_York") ?? .utc

private func date(_ iso: String) -> Date { SchedulerFixture.date(iso) }

@Suite("RunWindow")
struct RunWindowTests {
    @Test("a window is open from its start (included) to its end (excluded), in its zone")
    func containsInZone() throws {
        let window = try RunWindow("01:00-05:00", timeZone: shanghai)
        #expect(!window.wrapsMidnight)
        #expect(window.length == .seconds(4 * 3600))
        #expect(!window.contains(date("2026-11-25T00:59:59+08:00")))
        #expect(window.contains(date("2026-11-25T01:00:00+08:00")))
        #expect(window.contains(date("2026-11-25T04:59:59+08:00")))
        #expect(!window.contains(date("2026-11-25T05:00:00+08:00")))
        // 01:30 Shanghai is 17:30Z the day before.
        #expect(window.contains(date("2026-11-24T17:30:00Z")))
        #expect(window.description == "01:00-05:00")
    }

    @Test("a window whose end is not after its start wraps midnight")
    func wrapsMidnight() throws {
        let window = try RunWindow("22:30-02:00", timeZone: .utc)
        #expect(window.wrapsMidnight)
        #expect(window.contains(date("2026-11-25T22:30:00Z")))
        #expect(window.contains(date("2026-11-25T23:59:00Z")))
        #expect(window.contains(date("2026-11-26T01:59:59Z")))
        #expect(!window.contains(date("2026-11-26T02:00:00Z")))
        #expect(!window.contains(date("2026-11-26T12:00:00Z")))
        #expect(window.closing(after: date("2026-11-25T23:00:00Z")) == date("2026-11-26T02:00:00Z"))
        let untilMidnight = try RunWindow("20:00-24:00", timeZone: .utc)
        #expect(untilMidnight.contains(date("2026-11-25T23:59:59Z")))
        #expect(!untilMidnight.contains(date("2026-11-26T00:00:00Z")))
        #expect(untilMidnight.closing(after: date("2026-11-25T21:00:00Z")) == date("2026-11-26T00:00:00Z"))
    }

    @Test("closing(after:) is the end on the wall clock, and nil outside the window")
    func closing() throws {
        let window = try RunWindow("01:00-05:00", timeZone: shanghai)
        #expect(window.closing(after: date("2026-11-25T01:30:00+08:00")) == date("2026-11-25T05:00:00+08:00"))
        #expect(window.closing(after: date("2026-11-25T06:00:00+08:00")) == nil)
    }

    @Test("daylight-saving days follow the wall clock: a shorter window in spring, a longer one in autumn")
    func daylightSaving() throws {
        let window = try RunWindow("01:00-03:00", timeZone: newYork)
        // 2026-03-08: 02:00 EST jumps to 03:00 EDT, so the window closes one elapsed hour after 01:00 EST.
        let spring = date("2026-03-08T01:00:00-05:00")
        #expect(window.contains(spring))
        #expect(window.closing(after: spring) == date("2026-03-08T03:00:00-04:00"))
        #expect(window.closing(after: spring) == spring.addingTimeInterval(3600), "one elapsed hour")
        #expect(!window.contains(date("2026-03-08T03:00:00-04:00")))
        // 2026-11-01: 02:00 EDT falls back to 01:00 EST; the window stays open through both 01:xx hours.
        let autumn = date("2026-11-01T01:00:00-04:00")
        #expect(window.contains(date("2026-11-01T01:30:00-05:00")))
        #expect(window.closing(after: autumn) == date("2026-11-01T03:00:00-05:00"))
        #expect(window.closing(after: autumn) == autumn.addingTimeInterval(3 * 3600), "three elapsed hours")
    }

    @Test(
        "bad windows are errors naming the setting and the text",
        arguments: [
            ("01:00", "expected HH:MM-HH:MM"), ("25:00-05:00", "hour 25"), ("01:60-05:00", "minute 60"),
            ("1am-5am", "is not a time"), ("03:00-03:00", "start and end are equal"), ("24:00-05:00", "hour 24"),
            ("00:00-24:00", "start and end are equal"), ("01:00-05:00-06:00", "expected HH:MM-HH:MM"),
        ])
    func badWindows(text: String, fragment: String) throws {
        let error = try #require(throws: ScheduleError.self) { try RunWindow(text, timeZone: .utc, plan: "nightly") }
        #expect(error.code == .invalidWindow)
        #expect(error.field == "schedule.window")
        #expect(error.description.hasPrefix("schedule.window of plan 'nightly': '\(text)'"), "\(error)")
        #expect(error.description.contains(fragment), "\(error)")
    }
}

@Suite("Schedule validation")
struct ScheduleValidationTests {
    private let now = date("2026-11-25T00:00:00Z")

    @Test("two plans whose windows overlap, with one run at a time, are an error naming both plans")
    func overlapWithOneSlot() throws {
        let archive = try SchedulerFixture.plan("es-archive", window: "01:00-05:00")
        let mysql = try SchedulerFixture.plan("mysql-full", cron: "0 4 * * *", window: "04:00-06:00")
        let error = try #require(throws: ScheduleError.self) {
            try ScheduledPlan.validate([archive, mysql], maxConcurrentRuns: 1, at: now)
        }
        #expect(error.code == .overlappingWindows)
        #expect(error.field == "schedule.window")
        #expect(error.description.contains("'es-archive' (01:00-05:00 Asia/Shanghai)"), "\(error)")
        #expect(error.description.contains("'mysql-full' (04:00-06:00 Asia/Shanghai)"), "\(error)")
        #expect(error.description.contains("20:00 UTC"), "04:00 Shanghai is 20:00 UTC: \(error)")
        #expect(error.description.contains("max_concurrent_runs is 1"))
        // Two slots let both run; windows that touch without overlapping are fine with one slot.
        try ScheduledPlan.validate([archive, mysql], maxConcurrentRuns: 2, at: now)
        let later = try SchedulerFixture.plan("mysql-full", cron: "0 5 * * *", window: "05:00-06:00")
        try ScheduledPlan.validate([archive, later], maxConcurrentRuns: 1, at: now)
    }

    @Test("windows in different zones are compared on the same timeline")
    func zones() throws {
        let shanghaiNight = try SchedulerFixture.plan("a", window: "01:00-02:00")
        let utcEvening = try SchedulerFixture.plan("b", cron: "0 17 * * *", zone: "UTC", window: "17:30-18:30")
        let error = try #require(throws: ScheduleError.self) {
            try ScheduledPlan.validate([shanghaiNight, utcEvening], maxConcurrentRuns: 1, at: now)
        }
        #expect(error.description.contains("'a'") && error.description.contains("'b'"))
        let utcMorning = try SchedulerFixture.plan("b", cron: "0 6 * * *", zone: "UTC", window: "06:00-07:00")
        try ScheduledPlan.validate([shanghaiNight, utcMorning], maxConcurrentRuns: 1, at: now)
    }

    @Test("plans without a window do not count; the same plan twice is an error")
    func noWindowAndDuplicates() throws {
        let anyTime = try SchedulerFixture.plan("binlogs", cron: "*/15 * * * *")
        let night = try SchedulerFixture.plan("nightly", window: "01:00-05:00")
        try ScheduledPlan.validate([anyTime, night], maxConcurrentRuns: 1, at: now)
        let error = try #require(throws: ScheduleError.self) {
            try ScheduledPlan.validate([night, night], maxConcurrentRuns: 2, at: now)
        }
        #expect(error.code == .duplicatePlan)
        #expect(error.description.contains("'nightly'"))
    }

    @Test("an invalid cron expression, time zone or jitter names its setting")
    func badSchedule() throws {
        let cron = try #require(throws: ScheduleError.self) { try SchedulerFixture.plan(cron: "61 * * * *") }
        #expect(cron.code == .invalidCron)
        #expect(cron.underlying?.code == .outOfRange)
        #expect(cron.description == "schedule.cron of plan 'nightly': cron \"61 * * * *\": minute: 61 is out of range 0–59")
        let zone = try #require(throws: ScheduleError.self) { try SchedulerFixture.plan(zone: "Mars/Olympus") }
        #expect(zone.code == .invalidTimeZone)
        #expect(zone.description.hasPrefix("schedule.time_zone of plan 'nightly': 'Mars/Olympus'"))
        let jitter = try #require(throws: ScheduleError.self) { try SchedulerFixture.plan(jitterSeconds: -5) }
        #expect(jitter.code == .invalidJitter)
        #expect(jitter.field == "schedule.jitter")
        let plan = BackupPlan(
            name: "adhoc", catalogPath: "/tmp/c.sqlite", storage: .local(LocalStorageConfig(path: "/tmp/s")), sources: [])
        let missing = try #require(throws: ScheduleError.self) { try ScheduledPlan(plan) }
        #expect(missing.code == .missingSchedule)
    }

    @Test("jitter never pushes a start past a minute before the window's end")
    func jitterBound() throws {
        let plan = try SchedulerFixture.plan(cron: "30 1 * * *", window: "01:00-01:40", jitterSeconds: 3600)
        let due = date("2026-11-25T01:30:00+08:00")
        #expect(plan.jitterDelay(for: due, fraction: 0.999_999) <= .seconds(9 * 60))
        #expect(plan.jitterDelay(for: due, fraction: 0.5) == .seconds(270))
        #expect(plan.jitterDelay(for: due, fraction: 0) == .zero)
        let open = try SchedulerFixture.plan(jitterSeconds: 300)
        #expect(open.jitterDelay(for: due, fraction: 0.5) == .seconds(150))
        // Outside the window there is nothing to delay: the run is skipped when it comes.
        let outside = try SchedulerFixture.plan(cron: "0 6 * * *", window: "01:00-05:00", jitterSeconds: 300)
        #expect(outside.jitterDelay(for: date("2026-11-25T06:00:00+08:00"), fraction: 0.5) == .zero)
    }

    @Test("the previous due instant is the latest one at or before the date")
    func previousRun() throws {
        let plan = try SchedulerFixture.plan(cron: "30 1 * * *")
        #expect(plan.previousRun(atOrBefore: date("2026-11-25T10:00:00+08:00")) == date("2026-11-25T01:30:00+08:00"))
        #expect(plan.previousRun(atOrBefore: date("2026-11-25T01:30:00+08:00")) == date("2026-11-25T01:30:00+08:00"))
        #expect(plan.previousRun(atOrBefore: date("2026-11-25T01:29:59+08:00")) == date("2026-11-24T01:30:00+08:00"))
        let yearly = try SchedulerFixture.plan(cron: "@yearly", zone: "UTC")
        #expect(yearly.previousRun(atOrBefore: date("2026-11-25T00:00:00Z")) == date("2026-01-01T00:00:00Z"))
    }
}
