import BackupModels
import Foundation
import Retention
import Testing

/// `maxDeletions` bounds one pass: oldest first, dependants before what they depend on.
@Suite("Deletion cap")
struct DeletionCapTests {
    let make = RecordFactory()

    @Test("removes only the oldest N and keeps the rest with a cap reason")
    func oldestFirst() {
        let records = (1...6).map { make.full("2026-11-0\($0) 01:00") }
        let plan = RetentionPolicy(keepLast: 1, minCount: 0, maxDeletions: 2).plan(for: records, now: Instants.now)
        #expect(plan.removals.map(\.id) == [records[1].id, records[0].id])
        for record in records[2...4] {
            #expect(plan.reasons(of: record) == ["no rule keeps it", "deletion cap 2"])
        }
        #expect(plan.reasons(of: records[5]) == ["last #1"])
    }

    /// Chain F ← I1 ← I2, a lone full G, and a newest full that keep-last keeps.
    func chainRecords() -> (full: BackupRecord, first: BackupRecord, second: BackupRecord, lone: BackupRecord, all: [BackupRecord]) {
        let full = make.full("2026-11-01 01:00")
        let first = make.incremental(on: full, "2026-11-02 01:00")
        let second = make.incremental(on: first, "2026-11-03 01:00")
        let lone = make.full("2026-11-04 01:00")
        return (full, first, second, lone, [full, first, second, lone, make.full("2026-11-25 01:00")])
    }

    @Test("never removes a parent while keeping its dependant: the chain's tail goes first")
    func chainTailFirst() {
        let chain = chainRecords()
        let plan = RetentionPolicy(keepLast: 1, minCount: 0, maxDeletions: 2).plan(for: chain.all, now: Instants.now)
        #expect(Set(plan.removals.map(\.id)) == [chain.first.id, chain.second.id])
        #expect(plan.reasons(of: chain.full) == ["no rule keeps it", "deletion cap 2"])
        #expect(plan.reasons(of: chain.lone) == ["no rule keeps it", "deletion cap 2"])
    }

    @Test("held-back chain members say only the cap; a parent kept for its own reasons names its held-back dependant")
    func capKeptChain() {
        let chain = chainRecords()
        let plan = RetentionPolicy(keepLast: 1, minCount: 0, maxDeletions: 1).plan(for: chain.all, now: Instants.now)
        #expect(plan.removals.map(\.id) == [chain.second.id])
        #expect(plan.reasons(of: chain.first) == ["no rule keeps it", "deletion cap 1"])
        #expect(plan.reasons(of: chain.full) == ["no rule keeps it", "deletion cap 1"])

        // Without the lone full, keep-monthly 2 keeps the newest backup and, with a count left, the
        // oldest one (the chain's full). Its incrementals would go; the cap holds the first back.
        let records = chain.all.filter { $0.id != chain.lone.id }
        let monthly = RetentionPolicy(keepMonthly: 2, minCount: 0, maxDeletions: 1).plan(for: records, now: Instants.now)
        #expect(monthly.removals.map(\.id) == [chain.second.id])
        #expect(monthly.reasons(of: chain.first) == ["no rule keeps it", "deletion cap 1"])
        #expect(monthly.reasons(of: chain.full) == ["oldest monthly #2", "parent of \(chain.first.label)"])
    }

    @Test("a whole chain goes when it fits")
    func wholeChain() {
        let chain = chainRecords()
        let plan = RetentionPolicy(keepLast: 1, minCount: 0, maxDeletions: 3).plan(for: chain.all, now: Instants.now)
        #expect(Set(plan.removals.map(\.id)) == [chain.full.id, chain.first.id, chain.second.id])
        #expect(plan.reasons(of: chain.lone) == ["no rule keeps it", "deletion cap 3"])
    }

    @Test("a cap of 0 removes nothing; failed backups count toward the cap")
    func zeroCapAndFailures() {
        let failed = make.full("2026-11-01 01:00", state: .failed)
        let old = make.full("2026-11-02 01:00")
        let newest = make.full("2026-11-25 01:00")
        let none = RetentionPolicy(keepLast: 1, minCount: 0, maxDeletions: 0).plan(for: [failed, old, newest], now: Instants.now)
        #expect(none.removals.isEmpty)
        #expect(none.reasons(of: failed) == ["failed, older than 1d", "deletion cap 0"])

        let one = RetentionPolicy(keepLast: 1, minCount: 0, maxDeletions: 1).plan(for: [failed, old, newest], now: Instants.now)
        #expect(one.removals.map(\.id) == [failed.id])
    }

    @Test("the cap bounds the whole pass, oldest first across plans and sources")
    func capAcrossGroups() {
        let config = RecordFactory(plan: "nightly", source: "config")
        let database = RecordFactory(plan: "nightly", source: "app-db")
        let records = [
            config.full("2026-11-01 01:00"), config.full("2026-11-03 01:00"), config.full("2026-11-25 01:00"),
            database.full("2026-11-02 01:00"), database.full("2026-11-04 01:00"), database.full("2026-11-25 01:00"),
        ]
        let plan = RetentionPolicy(keepLast: 1, minCount: 0, maxDeletions: 2).plan(for: records, now: Instants.now)
        #expect(Set(plan.removals.map(\.id)) == [records[0].id, records[3].id])
        #expect(plan.reasons(of: records[1]) == ["no rule keeps it", "deletion cap 2"])
        #expect(plan.reasons(of: records[4]) == ["no rule keeps it", "deletion cap 2"])
    }

    @Test("no cap reason appears when the removals fit")
    func underCap() {
        let records = (1...3).map { make.full("2026-11-0\($0) 01:00") }
        let plan = RetentionPolicy(keepLast: 1, minCount: 0, maxDeletions: 2).plan(for: records, now: Instants.now)
        #expect(plan.removals.count == 2)
        #expect(!plan.decisions.contains { $0.reasons.contains { $0.hasPrefix("deletion cap") } })
    }
}
