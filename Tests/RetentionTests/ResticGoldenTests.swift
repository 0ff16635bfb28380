import BackupModels
import Foundation
import Retention
import Testing

/// Cases worked from restic's documentation, "Removing backup snapshots" → "Removing snapshots
/// according to a policy" (restic/restic `doc/060_forget.rst`). The dates, ids and expected outcomes
/// are the documentation's; restic shows times in the repository's local zone, taken as UTC here.
@Suite("restic documentation examples")
struct ResticGoldenTests {
    let make = RecordFactory(plan: "mopped", source: "/home/user/work")

    /// "Suppose you have only made one backup every Sunday for 12 weeks" (IDs and times from the doc).
    var sundays: [BackupRecord] {
        [
            ("0a1f9759", "2019-09-01 11:00"), ("46cfe4d5", "2019-09-08 11:00"), ("f6b1f037", "2019-09-15 11:00"),
            ("eb430a5d", "2019-09-22 11:00"), ("8cf1cb9a", "2019-09-29 11:00"), ("5d33b116", "2019-10-06 11:00"),
            ("b9553125", "2019-10-13 11:00"), ("e1a7b58b", "2019-10-20 11:00"), ("8f8018c0", "2019-10-27 11:00"),
            ("59403279", "2019-11-03 11:00"), ("dfee9fb4", "2019-11-10 11:00"), ("e1ae2f40", "2019-11-17 11:00"),
        ].map { make.full($0.1, id: $0.0) }
    }

    @Test("forget --keep-daily 4 keeps the last four Sundays and removes the other eight")
    func keepDailyFourOnTwelveSundays() {
        let now = RecordFactory.date("2019-11-18 09:00")
        let plan = RetentionPolicy(keepDaily: 4, minCount: 0).plan(for: sundays, now: now)
        // The doc's "keep 4 snapshots" table, each with reason "daily snapshot".
        #expect(plan.kept.map(\.id.rawValue) == ["e1ae2f40", "dfee9fb4", "59403279", "8f8018c0"])
        #expect(plan.kept.map(\.reasons) == [["daily #1"], ["daily #2"], ["daily #3"], ["daily #4"]])
        // The doc's "remove 8 snapshots" table.
        #expect(
            Set(plan.removals.map(\.id.rawValue))
                == ["0a1f9759", "46cfe4d5", "f6b1f037", "eb430a5d", "8cf1cb9a", "5d33b116", "b9553125", "e1a7b58b"])
    }

    @Test("when a rule has counts left, the oldest snapshot is kept additionally (the doc's 'oldest' note)")
    func oldestKeptWhenCountsRemain() {
        let now = RecordFactory.date("2019-11-18 09:00")
        // Three months have a snapshot; --keep-monthly 5 has counts left at the oldest.
        let plan = RetentionPolicy(keepMonthly: 5, minCount: 0).plan(for: sundays, now: now)
        #expect(plan.kept.map(\.id.rawValue) == ["e1ae2f40", "8f8018c0", "8cf1cb9a", "0a1f9759"])
        #expect(plan.reasons(of: sundays[0]) == ["oldest monthly #4"])
    }

    /// "Suppose you make one backup every day for 100 years. Then forget --keep-daily 7 --keep-weekly 5
    /// --keep-monthly 12 --keep-yearly 75 would keep the most recent 7 daily snapshots and 4
    /// last-day-of-the-week ones (since the 7 dailies already include 1 weekly). Additionally, 12 or 11
    /// last-day-of-the-month snapshots will be kept ... And finally 75 or 74 last-day-of-the-year
    /// snapshots are kept."
    @Test("a hundred years of daily backups under --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 75")
    func hundredYearsOfDailies() throws {
        let calendar = Calendar.gregorian(in: .utc)
        // The last backup is on a Sunday, so the 7 dailies are exactly one ISO week.
        let last = RecordFactory.date("2025-11-30 03:00")
        let first = RecordFactory.date("1925-12-01 03:00")
        var records: [BackupRecord] = []
        var day = first
        while day <= last {
            records.append(make.full(at: day))
            day = calendar.date(byAdding: .day, value: 1, to: day)!
        }
        #expect(records.count > 36_500)

        let policy = RetentionPolicy(keepDaily: 7, keepWeekly: 5, keepMonthly: 12, keepYearly: 75, minCount: 0)
        let plan = policy.plan(for: records, now: last.addingTimeInterval(3600))

        func kept(by rule: String) -> [Date] {
            plan.kept.filter { $0.reasons.contains { $0.hasPrefix(rule + " #") } }.map(\.startedAt)
        }
        func isLastDay(of unit: Calendar.Component, _ date: Date) -> Bool {
            let next = calendar.date(byAdding: .day, value: 1, to: date)!
            return calendar.component(unit, from: next) != calendar.component(unit, from: date)
        }

        let daily = kept(by: "daily")
        let weekly = kept(by: "weekly")
        let monthly = kept(by: "monthly")
        let yearly = kept(by: "yearly")
        #expect(daily == Array(records.suffix(7).map(\.startedAt).reversed()))
        #expect(weekly.count == 5 && yearly.count == 75 && monthly.count == 12)
        // Apart from the newest backup, each rule keeps last-day-of-the-period snapshots.
        #expect(weekly.dropFirst().allSatisfy { isLastDay(of: .weekOfYear, $0) })
        #expect(monthly.dropFirst().allSatisfy { isLastDay(of: .month, $0) })
        #expect(yearly.dropFirst().allSatisfy { isLastDay(of: .year, $0) })
        // "4 last-day-of-the-week ones" beyond the dailies; 11 month ends (the newest is November's);
        // the yearly ones add whatever the others did not already keep.
        #expect(Set(weekly).subtracting(daily).count == 4)
        #expect(Set(monthly).subtracting(daily).subtracting(weekly).count == 11)
        let expectedKept = Set(daily).union(weekly).union(monthly).union(yearly)
        #expect(Set(plan.kept.map(\.startedAt)) == expectedKept)
        #expect(plan.removals.count == records.count - expectedKept.count)
        // 7 dailies + 4 Sundays + 11 month ends + 73 year ends (2023 back to 1951; 2024's is a monthly).
        #expect(plan.kept.count == 7 + 4 + 11 + 73)
        // The oldest of the 75 years is 1951: 2025 back to 1951.
        let oldestYearly = try #require(yearly.last)
        #expect(calendar.component(.year, from: oldestYearly) == 1951)
    }
}
