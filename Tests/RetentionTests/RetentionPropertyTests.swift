import BackupModels
import Foundation
import PropertyBased
import Retention
import Testing

/// Invariants of the planner over random chains of fulls and incrementals, random states and times,
/// and random policies.
@Suite("Retention properties")
struct RetentionPropertyTests {
    /// One generated backup: hours since the previous one, kind code, state code, source, parent pick.
    typealias Step = (gap: Int, kind: Int, state: Int, source: Int, pick: Int)

    static let steps = zip(
        Gen.int(in: 0...30), Gen.int(in: 0...10), Gen.int(in: 0...19), Gen.int(in: 0...1), Gen.int(in: 0...1_000)
    ).array(of: 0...40)
    static let policyCodes = Gen.int(in: 0...9).array(of: 16)
    /// Where `now` lies, in hours after the last backup (negative: some backups are in the future).
    static let nowOffsets = Gen.int(in: -30...3_000)

    static let zones = [
        "UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Santiago", "Australia/Lord_Howe",
    ]

    /// A policy from sixteen codes in 0...9: counts unset, unlimited, zero or 1...7; durations unset
    /// or a few days; max age, min-count, deletion cap and zone.
    static func policy(_ c: [Int]) -> RetentionPolicy {
        func count(_ code: Int) -> Int? { code == 0 ? nil : code == 1 ? -1 : code - 2 }
        func duration(_ code: Int) -> RetentionDuration? {
            code < 6 ? nil : code == 9 ? RetentionDuration(hours: 36) : RetentionDuration(days: code - 5)
        }
        return RetentionPolicy(
            keepLast: count(c[0]), keepHourly: count(c[1]), keepDaily: count(c[2]), keepWeekly: count(c[3]),
            keepMonthly: count(c[4]), keepYearly: count(c[5]), keepWithin: duration(c[6]),
            keepWithinHourly: duration(c[7]), keepWithinDaily: duration(c[8]), keepWithinWeekly: duration(c[9]),
            keepWithinMonthly: duration(c[10]), keepWithinYearly: duration(c[11]),
            maxAgeDays: c[12] < 5 ? nil : (c[12] - 4) * 10, minCount: c[13] % 4,
            maxDeletions: c[14] < 5 ? nil : c[14] - 5, timeZoneIdentifier: zones[c[15] % zones.count])
    }

    /// Records from steps: mostly chains (an incremental on the source's latest backup), some on an
    /// arbitrary earlier backup, some with a missing parent; mostly committed.
    static func records(_ steps: [Step]) -> [BackupRecord] {
        // Early March: New York and Berlin change to daylight time within the first few weeks.
        var time = RecordFactory.date("2026-03-05 00:00")
        var records: [BackupRecord] = []
        var latest: [Int: Int] = [:]
        for (number, step) in steps.enumerated() {
            // Gaps of 0–24 hours, or 5–30 days, plus some minutes.
            let hours = step.gap <= 24 ? step.gap : (step.gap - 24) * 5 * 24
            time = time.addingTimeInterval(Double(hours * 3600 + step.pick % 60 * 60))
            let source = "s\(step.source)"
            let state: BackupState =
                switch step.state {
                case 0...13: .committed
                case 14, 15: .running
                case 16, 17: .failed
                default: .expired
                }
            var parent: BackupRecord?
            var missingParent = false
            switch step.kind {
            case 4...8: parent = latest[step.source].map { records[$0] }
            case 9: parent = records.isEmpty ? nil : records[step.pick % records.count]
            case 10: missingParent = true
            default: break
            }
            let id = BackupID(rawValue: String(format: "%016x", number + 1))
            let isIncremental = parent != nil || missingParent
            let label =
                if let parent {
                    BackupLabel.incremental(on: parent.label, at: time, in: .utc)
                } else if missingParent {
                    BackupLabel.incremental(on: .full(at: time.addingTimeInterval(-60), in: .utc), at: time, in: .utc)
                } else {
                    BackupLabel.full(at: time, in: .utc)
                }
            records.append(
                BackupRecord(
                    id: id, plan: "p", source: source, kind: isIncremental ? .incremental : .full,
                    parentID: missingParent ? BackupID(rawValue: "ffffffffffffffff") : parent?.id, label: label,
                    state: state, startedAt: time))
            latest[step.source] = records.count - 1
        }
        return records
    }

    static func now(after records: [BackupRecord], offsetHours: Int) -> Date {
        (records.last?.startedAt ?? RecordFactory.date("2026-03-05 00:00")).addingTimeInterval(Double(offsetHours) * 3600)
    }

    @Test("floors, caps, chains and coverage hold for any input")
    func invariants() async {
        await propertyCheck(count: 300, input: Self.steps, Self.policyCodes, Self.nowOffsets) { steps, codes, offset in
            let records = Self.records(steps)
            let policy = Self.policy(codes)
            let plan = policy.plan(for: records, now: Self.now(after: records, offsetHours: offset))
            let byID = Dictionary(uniqueKeysWithValues: plan.decisions.map { ($0.id, $0) })

            // One decision per non-expired record, each with a reason.
            #expect(Set(byID.keys) == Set(records.filter { $0.state != .expired }.map(\.id)))
            #expect(plan.decisions.count == byID.count)
            #expect(plan.decisions.allSatisfy { !$0.reasons.isEmpty })

            // The deletion cap.
            if let cap = policy.maxDeletions { #expect(plan.removals.count <= cap) }

            // The min-count floor, per group; failed backups never count.
            for source in ["s0", "s1"] {
                let committed = records.filter { $0.source == source && $0.state == .committed }
                let kept = committed.filter { byID[$0.id]?.action == .keep }
                #expect(kept.count >= min(policy.minCount, committed.count))
            }

            // No kept committed or running record loses its parent. A parent in another source is not
            // part of the chain: groups are planned independently, and such an incremental is an orphan.
            for record in records where record.state == .committed || record.state == .running {
                guard let decision = byID[record.id], record.kind == .incremental, let parentID = record.parentID,
                    let parent = byID[parentID]
                else { continue }
                if parent.source != record.source {
                    if record.state == .committed {
                        #expect(
                            decision.reasons.contains { $0.hasPrefix("orphan: parent") && $0.hasSuffix("belongs to p/\(parent.source))") })
                    }
                } else if decision.action == .keep {
                    #expect(parent.action == .keep, "\(record.label) is kept but its parent \(parent.label) is removed")
                }
            }

            // Removals never carry a reason that keeps.
            for removal in plan.removals {
                #expect(!removal.reasons.contains { $0 == "min-count" || $0 == "running" || $0.hasPrefix("parent of") })
            }

            // Newest first within each group.
            for source in ["s0", "s1"] {
                let times = plan.decisions.filter { $0.source == source }.map(\.startedAt)
                #expect(times == times.sorted(by: >))
            }
        }
    }

    @Test("planning again after applying a plan removes nothing more (unless the cap held some back)")
    func idempotent() async {
        await propertyCheck(count: 300, input: Self.steps, Self.policyCodes, Self.nowOffsets, Gen.bool) {
            steps, codes, offset, markExpired in
            let records = Self.records(steps)
            let policy = Self.policy(codes)
            let now = Self.now(after: records, offsetHours: offset)
            let first = policy.plan(for: records, now: now)
            let removed = first.removedIDs
            let applied: [BackupRecord] =
                markExpired
                ? records.map { record in
                    var record = record
                    if removed.contains(record.id) { record.state = .expired }
                    return record
                }
                : records.filter { !removed.contains($0.id) }
            let second = policy.plan(for: applied, now: now)
            let heldBack = Set(first.kept.filter { $0.reasons.contains { $0.hasPrefix("deletion cap") } }.map(\.id))
            #expect(second.removedIDs.isSubset(of: heldBack), "second pass removed \(second.removals.map(\.label))")
        }
    }

    @Test("the plan does not depend on the order of the input")
    func orderIndependent() async {
        await propertyCheck(count: 200, input: Self.steps, Self.policyCodes, Self.nowOffsets) { steps, codes, offset in
            let records = Self.records(steps)
            let policy = Self.policy(codes)
            let now = Self.now(after: records, offsetHours: offset)
            let ascending = policy.plan(for: records, now: now)
            #expect(policy.plan(for: records.reversed(), now: now) == ascending)
            // A fixed shuffle: by the ids' reversed text.
            let shuffled = records.sorted { String($0.id.rawValue.reversed()) < String($1.id.rawValue.reversed()) }
            #expect(policy.plan(for: shuffled, now: now) == ascending)
        }
    }

    @Test("keep rules match a straightforward port of restic's algorithm")
    func matchesReference() async {
        await propertyCheck(count: 300, input: Self.steps, Self.policyCodes, Self.nowOffsets) { steps, codes, offset in
            // Committed fulls of one source only; no floor, age limit or cap, so only keep rules decide.
            let records = Self.records(steps).filter { $0.source == "s0" }.map { record in
                var record = record
                record.state = .committed
                record.kind = .full
                record.parentID = nil
                return record
            }
            var policy = Self.policy(codes)
            policy.minCount = 0
            policy.maxAgeDays = nil
            policy.maxDeletions = nil
            let now = Self.now(after: records, offsetHours: offset)
            let plan = policy.plan(for: records, now: now)
            let expected = ResticReference.reasons(policy: policy, records: records, now: now)
            for decision in plan.decisions {
                let want = expected[decision.id] ?? []
                if want.isEmpty {
                    #expect(decision.action == .remove)
                } else {
                    #expect(decision.action == .keep)
                    #expect(decision.reasons == want)
                }
            }
        }
    }
}

/// restic's `ApplyPolicy` written out plainly: one calendar lookup per record, no caching, no early exit.
enum ResticReference {
    static func reasons(policy: RetentionPolicy, records: [BackupRecord], now: Date) -> [BackupID: [String]] {
        let calendar = Calendar.gregorian(in: policy.timeZone)
        let list = records.sorted { ($0.startedAt, $0.label, $0.id) > ($1.startedAt, $1.label, $1.id) }
        func isSet(_ d: RetentionDuration?) -> RetentionDuration? {
            guard let d, d != RetentionDuration() else { return nil }
            return d
        }
        let counts: [(String, Int?, (Date, Int) -> Int)] = [
            ("last", policy.keepLast, { _, n in n }),
            ("hourly", policy.keepHourly, { d, _ in key(calendar, d, [.year, .month, .day, .hour]) }),
            ("daily", policy.keepDaily, { d, _ in key(calendar, d, [.year, .month, .day]) }),
            ("weekly", policy.keepWeekly, { d, _ in key(calendar, d, [.yearForWeekOfYear, .weekOfYear]) }),
            ("monthly", policy.keepMonthly, { d, _ in key(calendar, d, [.year, .month]) }),
            ("yearly", policy.keepYearly, { d, _ in key(calendar, d, [.year]) }),
        ]
        let withins: [(String, RetentionDuration?, (Date) -> Int)] = [
            ("within-hourly", policy.keepWithinHourly, { key(calendar, $0, [.year, .month, .day, .hour]) }),
            ("within-daily", policy.keepWithinDaily, { key(calendar, $0, [.year, .month, .day]) }),
            ("within-weekly", policy.keepWithinWeekly, { key(calendar, $0, [.yearForWeekOfYear, .weekOfYear]) }),
            ("within-monthly", policy.keepWithinMonthly, { key(calendar, $0, [.year, .month]) }),
            ("within-yearly", policy.keepWithinYearly, { key(calendar, $0, [.year]) }),
        ]
        let active = counts.filter { ($0.1 ?? 0) != 0 }
        let activeWithins = withins.filter { isSet($0.1) != nil }
        guard !active.isEmpty || !activeWithins.isEmpty || isSet(policy.keepWithin) != nil else { return [:] }
        let latest = list.first { $0.startedAt <= now }?.startedAt
        func inside(_ d: RetentionDuration, _ t: Date) -> Bool {
            guard let latest else { return true }
            return t > d.subtracted(from: latest, in: calendar)
        }
        var left = active.map { $0.1! < 0 ? -1 : $0.1! }
        var last = [Int?](repeating: nil, count: active.count)
        var used = [Int](repeating: 0, count: active.count)
        var wLast = [Int?](repeating: nil, count: activeWithins.count)
        var wUsed = [Int](repeating: 0, count: activeWithins.count)
        var result: [BackupID: [String]] = [:]
        for (n, record) in list.enumerated() {
            let t = record.startedAt
            let oldest = n == list.count - 1
            var reasons: [String] = []
            if let d = isSet(policy.keepWithin), inside(d, t) { reasons.append("within \(d)") }
            for i in active.indices where left[i] != 0 {
                let value = active[i].2(t, n)
                if value != last[i] || oldest {
                    reasons.append((value == last[i] ? "oldest " : "") + "\(active[i].0) #\(used[i] + 1)")
                    last[i] = value
                    used[i] += 1
                    if left[i] > 0 { left[i] -= 1 }
                }
            }
            for i in activeWithins.indices {
                let d = activeWithins[i].1!
                guard inside(d, t) else { continue }
                let value = activeWithins[i].2(t)
                if value != wLast[i] || oldest {
                    reasons.append((value == wLast[i] ? "oldest " : "") + "\(activeWithins[i].0) \(d) #\(wUsed[i] + 1)")
                    wLast[i] = value
                    wUsed[i] += 1
                }
            }
            result[record.id] = reasons
        }
        return result
    }

    private static func key(_ calendar: Calendar, _ date: Date, _ units: [Calendar.Component]) -> Int {
        let parts = calendar.dateComponents(Set(units), from: date)
        return units.reduce(0) { $0 * 100_000 + (parts.value(for: $1) ?? 0) }
    }
}
