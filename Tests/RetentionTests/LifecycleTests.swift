import BackupModels
import Foundation
import Retention
import Testing

/// Record states, max age, the min-count floor and grouping.
@Suite("States, max age, min-count and groups")
struct LifecycleTests {
    let make = RecordFactory()

    @Test("max age removes a backup a keep rule matched, and says both")
    func maxAgeOverridesRules() {
        let recent = make.full("2026-11-25 01:00")
        let old = make.full("2026-10-01 01:00")
        let plan = RetentionPolicy(keepMonthly: 3, maxAgeDays: 30, minCount: 0).plan(for: [old, recent], now: Instants.now)
        #expect(plan.reasons(of: recent) == ["monthly #1"])
        #expect(plan.action(of: old) == .remove)
        #expect(plan.reasons(of: old) == ["monthly #2", "older than max age 30d"])
    }

    @Test("max age counts whole days back from now; the boundary itself is kept")
    func maxAgeBoundary() {
        let boundary = make.full("2026-10-26 12:00")  // exactly 30 days before now
        let justOlder = make.full("2026-10-26 11:59")
        let plan = RetentionPolicy(keepDaily: -1, maxAgeDays: 30, minCount: 0).plan(
            for: [justOlder, boundary], now: Instants.now)
        #expect(plan.action(of: boundary) == .keep)
        #expect(plan.action(of: justOlder) == .remove)
    }

    @Test("max age 0 or nil keeps forever", arguments: [0, nil] as [Int?])
    func maxAgeForever(days: Int?) {
        let ancient = make.full("2001-01-01 00:00")
        let plan = RetentionPolicy(keepYearly: 5, maxAgeDays: days, minCount: 0).plan(
            for: [ancient, make.full("2026-11-25 01:00")], now: Instants.now)
        #expect(plan.reasons(of: ancient) == ["yearly #2"])
    }

    @Test("the min-count floor keeps the newest backups even past max age")
    func minCountBeatsMaxAge() {
        let records = ["2026-08-01 01:00", "2026-09-01 01:00", "2026-10-01 01:00"].map { make.full($0) }
        let plan = RetentionPolicy(keepMonthly: 5, maxAgeDays: 30, minCount: 2).plan(for: records, now: Instants.now)
        #expect(plan.reasons(of: records[2]) == ["monthly #1", "older than max age 30d", "min-count"])
        #expect(plan.reasons(of: records[1]) == ["monthly #2", "older than max age 30d", "min-count"])
        #expect(plan.reasons(of: records[0]) == ["monthly #3", "older than max age 30d"])
        #expect(plan.action(of: records[0]) == .remove)
    }

    @Test("with no keep rule, max age alone decides")
    func noKeepRuleWithMaxAge() {
        let recent = make.full("2026-11-20 01:00")
        let old = make.full("2026-10-01 01:00")
        let plan = RetentionPolicy(maxAgeDays: 30, minCount: 0).plan(for: [old, recent], now: Instants.now)
        #expect(plan.reasons(of: recent) == ["no keep rule"])
        #expect(plan.reasons(of: old) == ["older than max age 30d"])
        #expect(plan.action(of: old) == .remove)
    }

    @Test("failed backups go once older than the grace period, and never count as backups")
    func failedBackups() {
        let recentFailure = make.full("2026-11-25 10:00", state: .failed)
        let graceBoundary = make.full("2026-11-24 12:00", state: .failed)
        let oldFailure = make.full("2026-11-24 11:59", state: .failed)
        let committed = make.full("2026-11-23 01:00")
        let older = make.full("2026-11-22 01:00")
        let plan = RetentionPolicy(keepLast: 1, minCount: 1).plan(
            for: [older, committed, oldFailure, graceBoundary, recentFailure], now: Instants.now)
        #expect(plan.reasons(of: recentFailure) == ["failed, within grace 1d"])
        #expect(plan.reasons(of: graceBoundary) == ["failed, within grace 1d"])
        #expect(plan.reasons(of: oldFailure) == ["failed, older than 1d"])
        #expect(plan.action(of: oldFailure) == .remove)
        // The newest committed backup is the one keep-last and min-count see.
        #expect(plan.reasons(of: committed) == ["last #1", "min-count"])
        #expect(plan.action(of: older) == .remove)
    }

    @Test("the failed grace period is configurable")
    func customGrace() {
        let failure = make.full("2026-11-20 12:00", state: .failed)
        let plan = RetentionPolicy(keepLast: 1, failedGrace: RetentionDuration(days: 7)).plan(
            for: [failure], now: Instants.now)
        #expect(plan.reasons(of: failure) == ["failed, within grace 7d"])
    }

    @Test("running backups are kept and not counted; expired ones are left out")
    func runningAndExpired() {
        let running = make.full("2026-11-25 11:00", state: .running)
        let expired = make.full("2026-11-24 01:00", state: .expired)
        let committed = make.full("2026-11-23 01:00")
        let plan = RetentionPolicy(keepLast: 1, minCount: 0).plan(for: [committed, expired, running], now: Instants.now)
        #expect(plan.reasons(of: running) == ["running"])
        #expect(plan.reasons(of: committed) == ["last #1"])
        #expect(plan.decision(for: expired.id) == nil)
        #expect(plan.decisions.count == 2)
    }

    @Test("each (plan, source) is planned on its own and decisions are grouped, newest first")
    func groups() {
        let database = RecordFactory(plan: "nightly", source: "app-db")
        let config = RecordFactory(plan: "nightly", source: "config")
        let hourly = RecordFactory(plan: "hourly", source: "app-db")
        let records = [
            database.full("2026-11-24 01:00"), config.full("2026-11-23 01:00"), hourly.full("2026-11-25 01:00"),
            database.full("2026-11-25 01:00"), config.full("2026-11-25 02:00"), hourly.full("2026-11-24 01:00"),
        ]
        let plan = RetentionPolicy(keepLast: 1, minCount: 0).plan(for: records, now: Instants.now)
        #expect(
            plan.decisions.map { "\($0.plan)/\($0.source)" } == [
                "hourly/app-db", "hourly/app-db", "nightly/app-db", "nightly/app-db", "nightly/config", "nightly/config",
            ])
        #expect(plan.decisions.map(\.action) == [.keep, .remove, .keep, .remove, .keep, .remove])
        #expect(plan.kept.map(\.startedAt) == [records[2], records[3], records[4]].map(\.startedAt))
    }

    @Test("min-count never lets a group drop below the floor")
    func minCountFloor() {
        let records = ["2026-01-01 01:00", "2026-02-01 01:00", "2026-03-01 01:00"].map { make.full($0) }
        let plan = RetentionPolicy(keepLast: 1, maxAgeDays: 1, minCount: 5).plan(for: records, now: Instants.now)
        #expect(plan.removals.isEmpty)
        #expect(plan.decisions.allSatisfy { $0.reasons.last == "min-count" })
    }

    @Test("a decision encodes with snake_case keys and keep/remove actions")
    func decisionCoding() throws {
        let old = make.full("2026-11-01 01:00")
        let plan = RetentionPolicy(keepLast: 1, minCount: 0).plan(for: [old, make.full("2026-11-25 01:00")], now: Instants.now)
        let removal = try #require(plan.removals.first)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = try #require(String(data: try encoder.encode(removal), encoding: .utf8))
        #expect(json.contains(#""action":"remove""#))
        #expect(json.contains(#""started_at":"#))
        #expect(json.contains(#""label":"20261101-010000F""#))
        let decoded = try JSONDecoder().decode(RetentionDecision.self, from: Data(json.utf8))
        #expect(decoded == removal)
        #expect(RetentionDecision.Action.allCases.map(\.rawValue) == ["keep", "remove"])
    }
}
