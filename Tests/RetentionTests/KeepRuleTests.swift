import BackupModels
import Foundation
import Retention
import Testing

/// Each keep rule on its own, with the reason strings it produces. `minCount` is 0 here so that only
/// the rule under test keeps anything.
@Suite("Keep rules")
struct KeepRuleTests {
    let make = RecordFactory()

    @Test("keep-last keeps the N newest, numbered")
    func keepLast() {
        let records = ["21", "22", "23", "24", "25"].map { make.full("2026-11-\($0) 01:00") }
        let plan = RetentionPolicy(keepLast: 3, minCount: 0).plan(for: records, now: Instants.now)
        #expect(plan.reasons(of: records[4]) == ["last #1"])
        #expect(plan.reasons(of: records[3]) == ["last #2"])
        #expect(plan.reasons(of: records[2]) == ["last #3"])
        #expect(plan.reasons(of: records[1]) == ["no rule keeps it"])
        #expect(plan.action(of: records[0]) == .remove)
        #expect(plan.kept.count == 3)
    }

    @Test("keep-hourly keeps the newest backup of each of the last N hours that have one")
    func keepHourly() {
        let times = ["09:30", "10:05", "10:40", "11:10", "11:50"]
        let records = times.map { make.full("2026-11-25 \($0)") }
        let plan = RetentionPolicy(keepHourly: 2, minCount: 0).plan(for: records, now: Instants.now)
        #expect(plan.reasons(of: records[4]) == ["hourly #1"])
        #expect(plan.reasons(of: records[2]) == ["hourly #2"])
        #expect(plan.keptIDs == [records[4].id, records[2].id])
    }

    @Test("keep-daily keeps the newest backup of each day, counting only days that have one")
    func keepDaily() {
        let records = [
            make.full("2026-11-20 07:00"), make.full("2026-11-24 07:00"), make.full("2026-11-24 20:00"),
            make.full("2026-11-25 08:00"), make.full("2026-11-25 10:00"),
        ]
        let plan = RetentionPolicy(keepDaily: 3, minCount: 0).plan(for: records, now: Instants.now)
        #expect(plan.reasons(of: records[4]) == ["daily #1"])
        #expect(plan.reasons(of: records[2]) == ["daily #2"])
        // Four empty days in between do not count: the 20th is the third day that has a backup.
        #expect(plan.reasons(of: records[0]) == ["daily #3"])
        #expect(plan.action(of: records[1]) == .remove)
        #expect(plan.action(of: records[3]) == .remove)
    }

    @Test("a rule with count left at the end also keeps the oldest backup (restic ≥ 0.16)")
    func oldestWhenCountsAreLeft() {
        let records = [make.full("2026-11-24 07:00"), make.full("2026-11-24 20:00"), make.full("2026-11-25 10:00")]
        let plan = RetentionPolicy(keepDaily: 3, minCount: 0).plan(for: records, now: Instants.now)
        #expect(plan.reasons(of: records[0]) == ["oldest daily #3"])
        #expect(plan.removals.isEmpty)

        let spent = RetentionPolicy(keepDaily: 2, minCount: 0).plan(for: records, now: Instants.now)
        #expect(spent.reasons(of: records[0]) == ["no rule keeps it"])
    }

    @Test("an unlimited count (-1) keeps the newest of every day and the oldest backup")
    func unlimitedDaily() {
        let records = [
            make.full("2026-11-24 08:00"), make.full("2026-11-24 10:00"), make.full("2026-11-25 08:00"),
            make.full("2026-11-25 10:00"),
        ]
        let plan = RetentionPolicy(keepDaily: -1, minCount: 0).plan(for: records, now: Instants.now)
        #expect(plan.reasons(of: records[3]) == ["daily #1"])
        #expect(plan.reasons(of: records[1]) == ["daily #2"])
        #expect(plan.reasons(of: records[0]) == ["oldest daily #3"])
        #expect(plan.removals.map(\.id) == [records[2].id])
    }

    @Test("keep-weekly uses ISO weeks, Monday to Sunday")
    func keepWeekly() {
        let monday = make.full("2026-11-23 00:30")
        let sunday = make.full("2026-11-22 23:30")
        let earlierMonday = make.full("2026-11-16 09:00")
        let sundayBefore = make.full("2026-11-15 12:00")
        let plan = RetentionPolicy(keepWeekly: 3, minCount: 0).plan(
            for: [sundayBefore, earlierMonday, sunday, monday], now: Instants.now)
        #expect(plan.reasons(of: monday) == ["weekly #1"])
        #expect(plan.reasons(of: sunday) == ["weekly #2"])
        #expect(plan.action(of: earlierMonday) == .remove)
        #expect(plan.reasons(of: sundayBefore) == ["weekly #3"])
    }

    @Test("keep-monthly and keep-yearly keep the newest backup of each month and year")
    func keepMonthlyAndYearly() {
        let monthly = ["2026-09-30 12:00", "2026-10-02 12:00", "2026-10-31 12:00", "2026-11-01 12:00", "2026-11-25 09:00"]
            .map { make.full($0) }
        let months = RetentionPolicy(keepMonthly: 2, minCount: 0).plan(for: monthly, now: Instants.now)
        #expect(months.reasons(of: monthly[4]) == ["monthly #1"])
        #expect(months.reasons(of: monthly[2]) == ["monthly #2"])
        #expect(months.keptIDs == [monthly[4].id, monthly[2].id])

        let yearly = ["2024-12-31 12:00", "2025-12-31 12:00", "2026-01-01 12:00", "2026-11-25 09:00"].map { make.full($0) }
        let years = RetentionPolicy(keepYearly: 2, minCount: 0).plan(for: yearly, now: Instants.now)
        #expect(years.reasons(of: yearly[3]) == ["yearly #1"])
        #expect(years.reasons(of: yearly[1]) == ["yearly #2"])
        #expect(years.keptIDs == [yearly[3].id, yearly[1].id])
    }

    @Test("keep-within counts back from the newest backup, not from now, and excludes the boundary")
    func keepWithinIsRelativeToNewest() {
        let records = ["2026-11-17 12:00", "2026-11-18 12:00", "2026-11-19 00:00", "2026-11-20 12:00"].map {
            make.full($0)
        }
        // The newest backup is five days old: relative to now nothing would be within 2d.
        let plan = RetentionPolicy(keepWithin: RetentionDuration(days: 2), minCount: 0).plan(for: records, now: Instants.now)
        #expect(plan.reasons(of: records[3]) == ["within 2d"])
        #expect(plan.reasons(of: records[2]) == ["within 2d"])
        #expect(plan.action(of: records[1]) == .remove)  // exactly 2d before the newest
        #expect(plan.action(of: records[0]) == .remove)
    }

    @Test("keep-within ignores backups in the future when finding the newest one")
    func keepWithinIgnoresFuture() {
        let future = make.full("2026-11-26 12:00")
        let newest = make.full("2026-11-25 06:00")
        let dayBefore = make.full("2026-11-24 12:00")
        let old = make.full("2026-11-23 07:00")
        let plan = RetentionPolicy(keepWithin: RetentionDuration(days: 1), minCount: 0).plan(
            for: [old, dayBefore, newest, future], now: Instants.now)
        #expect(plan.reasons(of: future) == ["within 1d"])
        #expect(plan.reasons(of: dayBefore) == ["within 1d"])
        #expect(plan.action(of: old) == .remove)
    }

    @Test("keep-within-daily keeps one backup per day inside the window only")
    func keepWithinDaily() {
        let records = [
            "2026-11-21 09:00", "2026-11-22 09:00", "2026-11-22 11:00", "2026-11-23 09:00", "2026-11-24 09:00",
            "2026-11-25 08:00", "2026-11-25 10:00",
        ].map { make.full($0) }
        let plan = RetentionPolicy(keepWithinDaily: RetentionDuration(days: 3), minCount: 0).plan(
            for: records, now: Instants.now)
        #expect(plan.reasons(of: records[6]) == ["within-daily 3d #1"])
        #expect(plan.reasons(of: records[4]) == ["within-daily 3d #2"])
        #expect(plan.reasons(of: records[3]) == ["within-daily 3d #3"])
        #expect(plan.reasons(of: records[2]) == ["within-daily 3d #4"])
        #expect(plan.removals.map(\.id) == [records[5].id, records[1].id, records[0].id])
    }

    @Test("keep-within-hourly, -weekly, -monthly and -yearly name their rule and window")
    func otherWithinBuckets() {
        let records = [make.full("2025-06-01 08:00"), make.full("2026-11-25 08:00"), make.full("2026-11-25 09:00")]
        let policy = RetentionPolicy(
            keepWithinHourly: RetentionDuration(hours: 6), keepWithinWeekly: RetentionDuration(days: 14),
            keepWithinMonthly: RetentionDuration(months: 2), keepWithinYearly: RetentionDuration(years: 2), minCount: 0)
        let plan = policy.plan(for: records, now: Instants.now)
        #expect(
            plan.reasons(of: records[2])
                == ["within-hourly 6h #1", "within-weekly 14d #1", "within-monthly 2m #1", "within-yearly 2y #1"])
        #expect(plan.reasons(of: records[1]) == ["within-hourly 6h #2"])
        #expect(plan.reasons(of: records[0]) == ["within-yearly 2y #2"])
    }

    @Test("every matching rule is listed, in restic's order")
    func allReasonsInOrder() {
        let newest = make.full("2026-11-25 09:00")
        let yearAgo = make.full("2025-11-25 09:00")
        let policy = RetentionPolicy(
            keepLast: 1, keepHourly: 1, keepDaily: 1, keepWeekly: 1, keepMonthly: 1, keepYearly: 1,
            keepWithin: RetentionDuration(days: 1), keepWithinDaily: RetentionDuration(days: 1), minCount: 0)
        let plan = policy.plan(for: [yearAgo, newest], now: Instants.now)
        #expect(
            plan.reasons(of: newest) == [
                "within 1d", "last #1", "hourly #1", "daily #1", "weekly #1", "monthly #1", "yearly #1",
                "within-daily 1d #1",
            ])
        #expect(plan.reasons(of: yearAgo) == ["no rule keeps it"])
    }

    @Test(
        "without a keep rule every committed backup is kept",
        arguments: [
            RetentionPolicy(minCount: 0),
            // Zero counts and zero durations are "not set", as in restic (which refuses such a policy).
            RetentionPolicy(keepLast: 0, keepDaily: 0, keepWithin: RetentionDuration(hours: 0), minCount: 0),
        ])
    func noKeepRule(policy: RetentionPolicy) {
        let records = ["2020-01-01 00:00", "2026-11-20 00:00", "2026-11-25 00:00"].map { make.full($0) }
        let plan = policy.plan(for: records, now: Instants.now)
        #expect(plan.removals.isEmpty)
        #expect(plan.decisions.allSatisfy { $0.reasons == ["no keep rule"] })
    }
}
