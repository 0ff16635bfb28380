import BackupModels
import Foundation

/// Plans one (plan, source) group: keep rules, max age, min-count and chains. The deletion cap applies
/// afterwards, to the whole pass (see ``DeletionCap``).
///
/// Works on positions into the group's records sorted newest first; see `Documentation/Retention.md`
/// for the order in which the rules apply.
struct GroupPlanner {
    private static let noRuleOnly = [RetentionReason.noRuleKeepsIt]
    private static let noKeepRuleOnly = [RetentionReason.noKeepRule]
    private static let runningOnly = [RetentionReason.running]

    let rules: KeepRules
    let now: Date
    let minCount: Int
    /// Whether ``plan(_:group:buckets:elsewhere:into:links:)`` reports parent links (for the deletion cap).
    let tracksLinks: Bool
    let maxAgeCutoff: Date?
    let maxAgeText: String
    /// Shared reason lists for the most common removals, so that they cost no allocation each.
    let maxAgeOnly: [String]
    let noRuleAndMaxAge: [String]
    let failedCutoff: Date
    let failedExpiredText: [String]
    let failedInGraceText: [String]
    let missingExpiredText: [String]
    let missingInGraceText: [String]

    init(policy: RetentionPolicy, now: Date, calendar: Calendar) {
        rules = KeepRules(policy: policy)
        self.now = now
        minCount = max(0, policy.minCount)
        tracksLinks = policy.maxDeletions != nil
        if let days = policy.maxAgeDays, days > 0 {
            maxAgeCutoff = RetentionDuration(days: days).subtracted(from: now, in: calendar)
            maxAgeText = RetentionReason.maxAge(days: days)
        } else {
            maxAgeCutoff = nil
            maxAgeText = ""
        }
        maxAgeOnly = [maxAgeText]
        noRuleAndMaxAge = [RetentionReason.noRuleKeepsIt, maxAgeText]
        failedCutoff = policy.failedGrace.subtracted(from: now, in: calendar)
        failedExpiredText = [RetentionReason.failedExpired(policy.failedGrace)]
        failedInGraceText = [RetentionReason.failedInGrace(policy.failedGrace)]
        missingExpiredText = [RetentionReason.missingExpired(policy.failedGrace)]
        missingInGraceText = [RetentionReason.missingInGrace(policy.failedGrace)]
    }

    /// Appends the decisions of one group, newest first.
    /// - Parameters:
    ///   - records: All input records.
    ///   - group: The group's records as gathered while grouping.
    ///   - buckets: The calendar buckets are computed in.
    ///   - elsewhere: Finds records of other groups, to name a parent that lives there.
    ///   - output: Receives one decision per non-expired record.
    ///   - links: When ``tracksLinks`` is set, receives for each appended decision the index in `output`
    ///     of the decision about its parent (committed and running incrementals only), or -1.
    func plan(
        _ records: [BackupRecord], group: consuming PlannerGroup, buckets: inout BucketCalendar,
        elsewhere: RecordDirectory, into output: inout [RetentionDecision], links: inout [Int]
    ) {
        // Non-expired records, newest first; ties broken by label, then id, newest/greatest first.
        let expiredLabels = group.expiredLabels
        var order: [PlannerEntry] = []
        swap(&order, &group.entries)  // sort in place, without a copy
        let hasIncremental = order.contains { $0.isIncremental }
        order.sort { a, b in
            if a.time != b.time { return a.time > b.time }
            let labelA = records[a.index].label
            let labelB = records[b.index].label
            if labelA != labelB { return labelB < labelA }
            return records[b.index].id < records[a.index].id
        }
        let count = order.count
        guard count > 0 else { return }
        let entries = order.map(\.index)
        let times = order.map(\.time)
        let states = order.map(\.state)
        let isIncremental = order.map(\.isIncremental)

        // Where each incremental's parent sits: -1 when it is not in the group, -2 when none is
        // recorded. Parents not found by the hint are looked up by id, with an index built on demand.
        var parentPosition = [Int](repeating: -1, count: count)
        var parent = [Int](repeating: -1, count: count)
        var positions: [BackupID: Int]?
        var positionOfIndex: [Int: Int]?
        for position in 0..<count where isIncremental[position] {
            let hint = order[position].parentHint
            if hint == PlannerEntry.noParent {
                parentPosition[position] = -2
                continue
            }
            if hint >= 0 {
                if position + 1 < count, entries[position + 1] == hint {
                    parentPosition[position] = position + 1
                } else {
                    if positionOfIndex == nil {
                        var built: [Int: Int] = [:]
                        built.reserveCapacity(count)
                        for other in 0..<count { built[entries[other]] = other }
                        positionOfIndex = built
                    }
                    parentPosition[position] = positionOfIndex![hint] ?? -1
                }
            } else if let parentID = records[entries[position]].parentID {
                if positions == nil {
                    var built: [BackupID: Int] = [:]
                    built.reserveCapacity(count)
                    for other in 0..<count where built[records[entries[other]].id] == nil {
                        built[records[entries[other]].id] = other
                    }
                    positions = built
                }
                parentPosition[position] = positions![parentID] ?? -1
            }
            // Edges that keeping pulls on: from committed and running incrementals.
            let state = states[position]
            if parentPosition[position] >= 0, parentPosition[position] != position,
                state == .committed || state == .running
            {
                parent[position] = parentPosition[position]
            }
        }

        // Committed records, newest first; their index in this list is their rank.
        var committed: [Int] = []
        committed.reserveCapacity(count)
        for position in 0..<count where states[position] == .committed { committed.append(position) }

        var orphanLinks = [OrphanLink?](repeating: nil, count: count)
        if hasIncremental {
            findOrphans(
                records, entries: entries, states: states, isIncremental: isIncremental, committed: committed,
                parentPosition: parentPosition, expiredLabels: expiredLabels, elsewhere: elsewhere, into: &orphanLinks)
        }

        // Keep rules over committed records.
        let ruleReasons = rules.evaluate(times: committed.map { times[$0] }, now: now, buckets: &buckets)

        var reasons = [[String]](repeating: [], count: count)
        var keep = [Bool](repeating: false, count: count)
        var matched = [Bool](repeating: false, count: count)

        for position in 0..<count {
            switch states[position] {
            case .running:
                keep[position] = true
                reasons[position] = Self.runningOnly
            case .failed:
                let isOld = times[position] < failedCutoff
                keep[position] = !isOld
                reasons[position] = isOld ? failedExpiredText : failedInGraceText
                matched[position] = true
            case .missing:
                // Not restorable: like a failed run, kept for the grace period (a rebuild may find its
                // artifacts again), then expired.
                let isOld = times[position] < failedCutoff
                keep[position] = !isOld
                reasons[position] = isOld ? missingExpiredText : missingInGraceText
                matched[position] = true
            case .committed, .expired:
                break
            }
        }
        for (rank, position) in committed.enumerated() {
            let isTooOld = maxAgeCutoff.map { times[position] < $0 } ?? false
            var list: [String]
            if rules.isEmpty {
                list = isTooOld ? [] : Self.noKeepRuleOnly
                matched[position] = true
            } else {
                list = ruleReasons[rank]
                matched[position] = !list.isEmpty
            }
            let orphan = orphanLinks[position]
            if let orphan { list.append(RetentionReason.orphan(orphan)) }
            if isTooOld {
                if list.isEmpty { list = maxAgeOnly } else { list.append(maxAgeText) }
            }
            if rank < minCount {
                list.append(RetentionReason.minCount)
                keep[position] = true
            } else {
                keep[position] = matched[position] && orphan == nil && !isTooOld
            }
            reasons[position] = list
        }

        // Whatever a kept record depends on is kept (the parent rule wins).
        var stack: [Int] = []
        for position in 0..<count where keep[position] && parent[position] >= 0 { stack.append(position) }
        while let child = stack.popLast() {
            let up = parent[child]
            if up >= 0, !keep[up] {
                keep[up] = true
                stack.append(up)
            }
        }
        for position in 0..<count where keep[position] && parent[position] >= 0 {
            reasons[parent[position]].append(RetentionReason.parent(of: records[entries[position]].label))
        }

        // Removals say why when nothing else does.
        for position in 0..<count where !keep[position] {
            if !matched[position] {
                if reasons[position].isEmpty {
                    reasons[position] = Self.noRuleOnly
                } else if reasons[position] == maxAgeOnly {
                    reasons[position] = noRuleAndMaxAge
                } else {
                    reasons[position].insert(RetentionReason.noRuleKeepsIt, at: 0)
                }
            }
        }

        let base = output.count
        if tracksLinks {
            for position in 0..<count { links.append(parent[position] >= 0 ? base + parent[position] : -1) }
        }
        for position in 0..<count {
            let index = entries[position]
            output.append(
                RetentionDecision(
                    id: records[index].id, plan: records[index].plan, source: records[index].source,
                    label: records[index].label, kind: records[index].kind, state: states[position],
                    startedAt: times[position], action: keep[position] ? .keep : .remove,
                    reasons: reasons[position]))
        }
    }

    /// Marks every committed incremental whose chain does not reach a committed full backup.
    private func findOrphans(
        _ records: [BackupRecord], entries: [Int], states: [BackupState], isIncremental: [Bool], committed: [Int],
        parentPosition: [Int], expiredLabels: [BackupID: BackupLabel], elsewhere: RecordDirectory,
        into links: inout [OrphanLink?]
    ) {
        enum Mark { case unknown, visiting, whole, orphan }
        var marks = [Mark](repeating: .unknown, count: entries.count)
        var path: [Int] = []
        for start in committed where isIncremental[start] && marks[start] == .unknown {
            path.removeAll(keepingCapacity: true)
            var current = start
            var link: OrphanLink?
            walk: while true {
                switch marks[current] {
                case .whole:
                    link = nil
                    break walk
                case .orphan:
                    link = links[current]?.inherited
                    break walk
                case .visiting:
                    link = .cycle
                    break walk
                case .unknown:
                    break
                }
                if !isIncremental[current] {
                    marks[current] = .whole
                    link = nil
                    break walk
                }
                marks[current] = .visiting
                path.append(current)
                let found = parentPosition[current]
                if found >= 0, states[found] == .committed {
                    current = found
                    continue walk
                }
                guard found != -2, let parentID = records[entries[current]].parentID else {
                    link = .parent("missing (none recorded)")
                    break walk
                }
                if found >= 0 {
                    link = .parent("\(records[entries[found]].label) missing (\(states[found].rawValue))")
                } else if let label = expiredLabels[parentID] {
                    link = .parent("\(label) missing (expired)")
                } else if let foreign = elsewhere.record(parentID) {
                    link = .parent("\(foreign.label) missing (it belongs to \(foreign.plan)/\(foreign.source))")
                } else {
                    link = .parent("\(parentID) missing")
                }
                break walk
            }
            for position in path.reversed() {
                if let current = link {
                    marks[position] = .orphan
                    links[position] = current
                    link = current.inherited
                } else {
                    marks[position] = .whole
                }
            }
        }
    }
}
