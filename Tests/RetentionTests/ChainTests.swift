import BackupModels
import Foundation
import Retention
import Testing

/// Incrementals depend on their parents: kept records keep their chain, orphans go.
@Suite("Chains of full and incremental backups")
struct ChainTests {
    let make = RecordFactory()

    @Test("a kept incremental keeps every ancestor, each naming its kept dependant")
    func keptChain() {
        let full = make.full("2026-11-22 01:30")
        let first = make.incremental(on: full, "2026-11-23 01:30")
        let second = make.incremental(on: first, "2026-11-24 01:30")
        let third = make.incremental(on: second, "2026-11-25 01:30")
        let plan = RetentionPolicy(keepLast: 1, minCount: 0).plan(for: [full, first, second, third], now: Instants.now)
        #expect(plan.removals.isEmpty)
        #expect(plan.reasons(of: third) == ["last #1"])
        #expect(plan.reasons(of: second) == ["parent of \(third.label)"])
        #expect(plan.reasons(of: first) == ["parent of \(second.label)"])
        #expect(plan.reasons(of: full) == ["parent of \(first.label)"])
    }

    @Test("a parent lists its own rule matches before the parent link")
    func ruleAndParentReasons() {
        let full = make.full("2026-11-22 01:30")  // Sunday, ISO week 47
        let incremental = make.incremental(on: full, "2026-11-23 02:00")  // Monday, week 48
        let records = [full, incremental, make.full("2026-11-24 01:30"), make.full("2026-11-25 01:30")]
        let plan = RetentionPolicy(keepDaily: 4, keepWeekly: 2, minCount: 0).plan(for: records, now: Instants.now)
        #expect(plan.reasons(of: incremental) == ["daily #3"])
        #expect(plan.reasons(of: full) == ["daily #4", "weekly #2", "parent of 20261122-013000F_20261123-020000I"])
    }

    @Test("a full with nothing keeping it goes together with its incrementals")
    func removedChain() {
        let full = make.full("2026-11-01 01:30")
        let first = make.incremental(on: full, "2026-11-02 01:30")
        let second = make.incremental(on: first, "2026-11-03 01:30")
        let newest = make.full("2026-11-25 01:30")
        let plan = RetentionPolicy(keepLast: 1, minCount: 0).plan(for: [full, first, second, newest], now: Instants.now)
        #expect(plan.removals.map(\.id) == [second.id, first.id, full.id])
        #expect(plan.removals.allSatisfy { $0.reasons == ["no rule keeps it"] })
    }

    @Test("a dependency keeps a parent past max age")
    func parentBeatsMaxAge() {
        let full = make.full("2026-11-01 01:30")
        let incremental = make.incremental(on: full, "2026-11-20 01:30")
        let plan = RetentionPolicy(keepLast: 1, maxAgeDays: 10, minCount: 0).plan(
            for: [full, incremental], now: Instants.now)
        #expect(plan.action(of: full) == .keep)
        #expect(plan.reasons(of: full) == ["older than max age 10d", "parent of \(incremental.label)"])
    }

    @Test("an incremental whose parent is missing is an orphan, and so are its dependants")
    func orphans() {
        let root = make.full("2026-11-22 01:30")
        let orphan = make.incremental(missingParent: "deadbeefdeadbeef", "2026-11-23 01:30")
        let onOrphan = make.incremental(on: orphan, "2026-11-24 01:30")
        let plan = RetentionPolicy(keepLast: 3, minCount: 0).plan(for: [root, orphan, onOrphan], now: Instants.now)
        #expect(plan.reasons(of: onOrphan) == ["last #1", "orphan: ancestor deadbeefdeadbeef missing"])
        #expect(plan.reasons(of: orphan) == ["last #2", "orphan: parent deadbeefdeadbeef missing"])
        #expect(plan.action(of: onOrphan) == .remove)
        #expect(plan.action(of: orphan) == .remove)
        #expect(plan.reasons(of: root) == ["last #3"])
    }

    @Test("a parent that failed or expired leaves its incremental an orphan", arguments: [BackupState.failed, .expired])
    func uncommittedParent(state: BackupState) {
        let parent = make.full("2026-11-23 01:30", state: state)
        let incremental = make.incremental(on: parent, "2026-11-24 01:30")
        let plan = RetentionPolicy(keepLast: 1, minCount: 0).plan(for: [parent, incremental], now: Instants.now)
        #expect(plan.action(of: incremental) == .remove)
        #expect(plan.reasons(of: incremental) == ["last #1", "orphan: parent \(parent.label) missing (\(state))"])
        if state == .expired {
            #expect(plan.decision(for: parent.id) == nil)
        } else {
            #expect(plan.reasons(of: parent) == ["failed, older than 1d"])
        }
    }

    @Test("min-count keeps an orphan, and keeping it keeps its ancestors")
    func minCountKeepsOrphanAndAncestors() {
        let orphan = make.incremental(missingParent: "deadbeefdeadbeef", "2026-11-23 01:30")
        let onOrphan = make.incremental(on: orphan, "2026-11-24 01:30")
        let plan = RetentionPolicy(keepLast: 1, minCount: 1).plan(for: [orphan, onOrphan], now: Instants.now)
        #expect(plan.removals.isEmpty)
        #expect(plan.reasons(of: onOrphan) == ["last #1", "orphan: ancestor deadbeefdeadbeef missing", "min-count"])
        #expect(plan.reasons(of: orphan) == ["orphan: parent deadbeefdeadbeef missing", "parent of \(onOrphan.label)"])
    }

    @Test("a running incremental keeps its parent")
    func runningKeepsParent() {
        let full = make.full("2026-11-20 01:30")
        let newerFull = make.full("2026-11-24 01:30")
        let running = make.incremental(on: full, "2026-11-25 11:00", state: .running)
        let plan = RetentionPolicy(keepLast: 1, minCount: 0).plan(for: [full, newerFull, running], now: Instants.now)
        #expect(plan.reasons(of: running) == ["running"])
        #expect(plan.reasons(of: newerFull) == ["last #1"])
        #expect(plan.reasons(of: full) == ["parent of \(running.label)"])
        #expect(plan.removals.isEmpty)
    }

    @Test("a parent loop is an orphan chain and does not hang the planner")
    func parentLoop() {
        var first = make.incremental(missingParent: "placeholder", "2026-11-23 01:30")
        let second = make.incremental(on: first, "2026-11-24 01:30")
        first.parentID = second.id
        let plan = RetentionPolicy(keepLast: 2, minCount: 0).plan(for: [first, second], now: Instants.now)
        #expect(plan.removals.count == 2)
        #expect(plan.decisions.allSatisfy { $0.reasons.contains("orphan: parent chain loops") })
    }
}
