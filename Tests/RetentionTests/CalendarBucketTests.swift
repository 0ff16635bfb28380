import BackupModels
import Foundation
import Retention
import Testing

/// Buckets are calendar hours, days, ISO weeks, months and years in the policy's time zone.
@Suite("Calendar buckets and time zones")
struct CalendarBucketTests {
    @Test("23:30 UTC is the next day in Asia/Shanghai")
    func shanghaiDay() {
        let make = RecordFactory()
        let late = make.full("2026-11-24 23:30")  // 2026-11-25 07:30 in Shanghai
        let next = make.full("2026-11-25 10:00")  // 2026-11-25 18:00 in Shanghai
        let older = make.full("2026-11-23 10:00")
        let records = [older, late, next]

        let utc = RetentionPolicy(keepDaily: 2, minCount: 0).plan(for: records, now: Instants.now)
        #expect(utc.keptIDs == [next.id, late.id])

        let shanghai = RetentionPolicy(keepDaily: 2, minCount: 0, timeZoneIdentifier: "Asia/Shanghai")
            .plan(for: records, now: Instants.now)
        #expect(shanghai.keptIDs == [next.id, older.id])
        #expect(shanghai.reasons(of: late) == ["no rule keeps it"])
    }

    @Test("a Sunday evening in UTC is Monday in Shanghai, so it starts a new ISO week there")
    func shanghaiWeek() {
        let make = RecordFactory()
        let sundayNight = make.full("2026-11-22 20:00")  // Monday 04:00 in Shanghai
        let sundayMorning = make.full("2026-11-22 08:00")  // Sunday 16:00 in Shanghai
        let records = [sundayMorning, sundayNight]
        let utc = RetentionPolicy(keepWeekly: 2, minCount: 0).plan(for: records, now: Instants.now)
        #expect(utc.reasons(of: sundayMorning) == ["oldest weekly #2"])
        let shanghai = RetentionPolicy(keepWeekly: 2, minCount: 0, timeZoneIdentifier: "Asia/Shanghai")
            .plan(for: records, now: Instants.now)
        #expect(shanghai.reasons(of: sundayMorning) == ["weekly #2"])
    }

    @Test("2026-12-31 and 2027-01-01 share ISO week 2026-W53 but not a year")
    func isoWeekAcrossYearBoundary() {
        let make = RecordFactory()
        let newYear = make.full("2027-01-01 12:00")  // Friday
        let newYearsEve = make.full("2026-12-31 12:00")  // Thursday, same ISO week
        let weekBefore = make.full("2026-12-27 12:00")  // Sunday of 2026-W52
        let records = [weekBefore, newYearsEve, newYear]
        let now = RecordFactory.date("2027-01-02 00:00")

        let weekly = RetentionPolicy(keepWeekly: 2, minCount: 0).plan(for: records, now: now)
        #expect(weekly.reasons(of: newYear) == ["weekly #1"])
        #expect(weekly.reasons(of: newYearsEve) == ["no rule keeps it"])
        #expect(weekly.reasons(of: weekBefore) == ["weekly #2"])

        let yearly = RetentionPolicy(keepYearly: 2, minCount: 0).plan(for: records, now: now)
        #expect(yearly.keptIDs == [newYear.id, newYearsEve.id])
    }

    @Test("the repeated hour when New York leaves daylight time is one hourly bucket")
    func dstFallBackHour() {
        let zone = TimeZone(identifier: "America/New_York")!
        let make = RecordFactory(zone: zone)
        // 2026-11-01: 01:30 EDT (05:30 UTC), then clocks go back and 01:30 EST (06:30 UTC) follows.
        // Both are labelled 20261101-013000F, so they get explicit ids.
        let firstPass = make.full(at: RecordFactory.date("2026-11-01 05:30"), id: "first-pass")
        let secondPass = make.full(at: RecordFactory.date("2026-11-01 06:30"), id: "second-pass")
        let midnight = make.full(at: RecordFactory.date("2026-11-01 04:10"), id: "midnight")  // 00:10 EDT
        let records = [midnight, firstPass, secondPass]
        let now = RecordFactory.date("2026-11-02 00:00")

        let local = RetentionPolicy(keepHourly: 2, minCount: 0, timeZoneIdentifier: "America/New_York")
            .plan(for: records, now: now)
        #expect(local.reasons(of: secondPass) == ["hourly #1"])
        #expect(local.reasons(of: firstPass) == ["no rule keeps it"])
        #expect(local.reasons(of: midnight) == ["hourly #2"])

        let utc = RetentionPolicy(keepHourly: 2, minCount: 0).plan(for: records, now: now)
        #expect(utc.keptIDs == [secondPass.id, firstPass.id])
    }

    @Test("the 23-hour day when New York enters daylight time is one daily bucket")
    func dstSpringForwardDay() {
        let zone = TimeZone(identifier: "America/New_York")!
        let make = RecordFactory(zone: zone)
        // 2026-03-08 runs from 05:00 UTC to 04:00 UTC the next day.
        let early = make.full("2026-03-08 00:30")
        let late = make.full("2026-03-08 23:30")
        let dayBefore = make.full("2026-03-07 23:30")
        let policy = RetentionPolicy(keepDaily: 2, minCount: 0, timeZoneIdentifier: "America/New_York")
        let plan = policy.plan(for: [dayBefore, early, late], now: make.date("2026-03-09 12:00"))
        #expect(plan.keptIDs == [late.id, dayBefore.id])
    }

    @Test("keep-within 1d across a daylight change is one calendar day (23 hours), not 24 hours")
    func withinAcrossDST() {
        let zone = TimeZone(identifier: "America/New_York")!
        let make = RecordFactory(zone: zone)
        // 1d before 2026-03-08 12:00 EDT is 2026-03-07 12:00 EST: 23 hours earlier.
        let newest = make.full("2026-03-08 12:00")
        let twentyThreeHalf = make.full(at: newest.startedAt.addingTimeInterval(-23.5 * 3600))
        let twentyTwoHalf = make.full(at: newest.startedAt.addingTimeInterval(-22.5 * 3600))
        let policy = RetentionPolicy(
            keepWithin: RetentionDuration(days: 1), minCount: 0, timeZoneIdentifier: "America/New_York")
        let plan = policy.plan(for: [twentyThreeHalf, twentyTwoHalf, newest], now: make.date("2026-03-09 00:00"))
        #expect(plan.keptIDs == [newest.id, twentyTwoHalf.id])
    }

    @Test("a zone with a half-hour offset buckets hours on its own half hours")
    func halfHourZone() {
        let make = RecordFactory()
        // Asia/Kolkata is UTC+05:30: 04:20 and 04:40 UTC are 09:50 and 10:10 local, two hours there.
        let first = make.full("2026-11-25 04:20")
        let second = make.full("2026-11-25 04:40")
        let utc = RetentionPolicy(keepHourly: 1, keepWithinHourly: RetentionDuration(hours: 3), minCount: 0)
            .plan(for: [first, second], now: Instants.now)
        #expect(utc.reasons(of: first) == ["oldest within-hourly 3h #2"])
        let kolkata = RetentionPolicy(
            keepHourly: 1, keepWithinHourly: RetentionDuration(hours: 3), minCount: 0,
            timeZoneIdentifier: "Asia/Kolkata"
        ).plan(for: [first, second], now: Instants.now)
        #expect(kolkata.reasons(of: first) == ["within-hourly 3h #2"])
    }
}
