public import BackupModels
public import Foundation

extension RetentionPolicy {
    /// Decides which backup records to keep and which to remove.
    ///
    /// The engine is pure: it reads no clock and touches no storage. Records are grouped by
    /// (plan, source) and each group is planned on its own. `expired` records are left out of the plan
    /// (but still resolve parent links); `running` records are kept; `failed` records are removed once
    /// older than ``failedGrace``; committed records follow restic's keep rules, then max age, the
    /// min-count floor, chain dependencies and the deletion cap. See `Documentation/Retention.md`.
    ///
    /// - Parameters:
    ///   - records: The catalog's records, in any order and of any plans and sources.
    ///   - now: The instant the plan is made for (max age and failed grace count back from it).
    /// - Returns: One decision per non-expired record, grouped by (plan, source), newest first.
    public func plan(for records: [BackupRecord], now: Date) -> RetentionPlan {
        // Group by (plan, source), reading each record once, in input order. Catalogs hold few groups,
        // so a short scan of the known ones (String equality of small or shared strings is cheap) beats
        // hashing two strings per record.
        var groups: [PlannerGroup] = []
        var slots: [GroupKey: Int] = [:]
        var last = -1
        for index in records.indices {
            let plan = records[index].plan
            let source = records[index].source
            if last < 0 || groups[last].key.plan != plan || groups[last].key.source != source {
                let key = GroupKey(plan: plan, source: source)
                if let found = groups.count <= 16 ? groups.firstIndex(where: { $0.key == key }) : slots[key] {
                    last = found
                } else {
                    last = groups.count
                    groups.append(PlannerGroup(key: key))
                    slots[key] = last
                }
            }
            groups[last].add(index, of: records)
        }

        var buckets = BucketCalendar(timeZone: timeZone)
        let planner = GroupPlanner(policy: self, now: now, calendar: buckets.calendar)
        let directory = RecordDirectory(records)
        var decisions: [RetentionDecision] = []
        decisions.reserveCapacity(records.count)
        var links: [Int] = []
        groups.sort { $0.key < $1.key }
        for slot in groups.indices {
            let group = groups[slot]
            groups[slot] = PlannerGroup(key: group.key)  // release the entries as soon as they are planned
            planner.plan(records, group: group, buckets: &buckets, elsewhere: directory, into: &decisions, links: &links)
        }
        if let cap = maxDeletions {
            DeletionCap(cap: max(0, cap)).apply(to: &decisions, links: links)
        }
        return RetentionPlan(decisions: decisions)
    }
}

/// The (plan, source) pair records are grouped by.
struct GroupKey: Hashable, Comparable {
    var plan: String
    var source: String

    static func < (lhs: GroupKey, rhs: GroupKey) -> Bool {
        (lhs.plan, lhs.source) < (rhs.plan, rhs.source)
    }
}

/// Looks records up by id across all groups; the index is built on first use (only when an
/// incremental's parent is not in its own group).
final class RecordDirectory {
    private let records: [BackupRecord]
    private var index: [BackupID: Int]?

    init(_ records: [BackupRecord]) { self.records = records }

    func record(_ id: BackupID) -> BackupRecord? {
        if index == nil {
            var built: [BackupID: Int] = [:]
            built.reserveCapacity(records.count)
            for position in records.indices where built[records[position].id] == nil {
                built[records[position].id] = position
            }
            index = built
        }
        return index![id].map { records[$0] }
    }
}
