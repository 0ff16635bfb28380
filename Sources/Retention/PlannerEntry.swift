import BackupModels
import Foundation

/// A record as the planner first reads it, gathered in one sequential pass over the input.
struct PlannerEntry {
    /// ``parentHint`` when the parent was not found next to the record.
    static let unknown = -1
    /// ``parentHint`` when the record names no parent.
    static let noParent = -2

    var time: Date
    /// The record's index in the input.
    var index: Int
    var state: BackupState
    var isIncremental: Bool
    /// The input index of the parent when it was the record just before or after this one among the
    /// group's records in input order (catalogs list a source's backups by time), else ``unknown`` or
    /// ``noParent``.
    var parentHint = PlannerEntry.unknown
}

/// The records of one (plan, source) group, gathered while grouping.
struct PlannerGroup {
    var key: GroupKey
    /// Non-expired records, in input order.
    var entries: [PlannerEntry] = []
    /// Labels of expired records, to name an expired parent.
    var expiredLabels: [BackupID: BackupLabel] = [:]

    init(key: GroupKey) { self.key = key }

    /// Adds the record at `index` of `records`.
    mutating func add(_ index: Int, of records: [BackupRecord]) {
        if records[index].state == .expired {
            expiredLabels[records[index].id] = records[index].label
            return
        }
        var entry = PlannerEntry(
            time: records[index].startedAt, index: index, state: records[index].state,
            isIncremental: records[index].kind == .incremental)
        if entry.isIncremental {
            if records[index].parentID == nil {
                entry.parentHint = PlannerEntry.noParent
            } else if let previous = entries.last, records[index].parentID == records[previous.index].id {
                entry.parentHint = previous.index
            }
        }
        if let previous = entries.last, previous.isIncremental, previous.parentHint == PlannerEntry.unknown,
            records[previous.index].parentID == records[index].id
        {
            entries[entries.count - 1].parentHint = index
        }
        entries.append(entry)
    }
}
