import BackupModels
import Foundation

/// The keep rules of a ``RetentionPolicy``, normalised and evaluated exactly as restic's `forget` does.
///
/// A count of `0` (or `nil`) and a zero duration mean "not set", as in restic; a negative count means
/// unlimited (restic's `-1`). Evaluation walks committed records newest first:
///
/// - keep-within D keeps a record strictly newer than the anchor minus D;
/// - each count rule keeps a record whose bucket differs from the bucket of the last record that
///   rule kept, while the rule has count left; the oldest record is also kept when the rule still has
///   count left at the end (restic ≥ 0.16: "oldest" snapshot);
/// - each keep-within-bucket rule does the same with an unlimited count, for records inside its window.
///
/// The anchor is the newest record not after `now` (restic ignores snapshots in the future); with no
/// such record every record counts as inside every window, as in restic.
struct KeepRules {
    struct CountRule {
        let name: String
        /// `nil` for keep-last, whose every record is a bucket of its own.
        let unit: BucketCalendar.Unit?
        /// Positive, or `-1` for unlimited.
        let count: Int
    }

    struct WithinBucketRule {
        let name: String
        let unit: BucketCalendar.Unit
        let duration: RetentionDuration
    }

    let within: RetentionDuration?
    let counts: [CountRule]
    let withinBuckets: [WithinBucketRule]

    init(policy: RetentionPolicy) {
        func count(_ value: Int?) -> Int? {
            guard let value, value != 0 else { return nil }
            return value < 0 ? -1 : value
        }
        func duration(_ value: RetentionDuration?) -> RetentionDuration? {
            guard let value, value.years != 0 || value.months != 0 || value.days != 0 || value.hours != 0 else {
                return nil
            }
            return value
        }
        let countSpecs: [(String, BucketCalendar.Unit?, Int?)] = [
            ("last", nil, policy.keepLast), ("hourly", .hour, policy.keepHourly), ("daily", .day, policy.keepDaily),
            ("weekly", .week, policy.keepWeekly), ("monthly", .month, policy.keepMonthly),
            ("yearly", .year, policy.keepYearly),
        ]
        counts = countSpecs.compactMap { name, unit, value in
            count(value).map { CountRule(name: name, unit: unit, count: $0) }
        }
        let withinSpecs: [(String, BucketCalendar.Unit, RetentionDuration?)] = [
            ("within-hourly", .hour, policy.keepWithinHourly), ("within-daily", .day, policy.keepWithinDaily),
            ("within-weekly", .week, policy.keepWithinWeekly), ("within-monthly", .month, policy.keepWithinMonthly),
            ("within-yearly", .year, policy.keepWithinYearly),
        ]
        withinBuckets = withinSpecs.compactMap { name, unit, value in
            duration(value).map { WithinBucketRule(name: "\(name) \($0)", unit: unit, duration: $0) }
        }
        within = duration(policy.keepWithin)
    }

    /// Whether no rule is set: such a policy keeps every committed record (restic refuses to act on it).
    var isEmpty: Bool { within == nil && counts.isEmpty && withinBuckets.isEmpty }

    /// The keep reasons of each record; an empty list means no rule keeps it.
    ///
    /// - Parameters:
    ///   - times: Start times of the committed records of one group, newest first.
    ///   - now: The planning instant; records after it are "in the future".
    ///   - buckets: The calendar buckets are computed with.
    /// - Returns: One list per entry of `times`, in the same order.
    func evaluate(times: [Date], now: Date, buckets: inout BucketCalendar) -> [[String]] {
        let total = times.count
        var reasons = [[String]](repeating: [], count: total)
        guard total > 0, !isEmpty else { return reasons }

        let anchor = times.first { $0 <= now }
        let calendar = buckets.calendar
        // `nil` cut-off: every record is inside the window.
        let withinCutoff = within.flatMap { duration in anchor.map { duration.subtracted(from: $0, in: calendar) } }
        let withinText = within.map { RetentionReason.within($0) }
        let bucketCutoffs = withinBuckets.map { rule in anchor.map { rule.duration.subtracted(from: $0, in: calendar) } }

        var remaining = counts.map(\.count)
        var lastKey = [Int?](repeating: nil, count: counts.count)
        var used = [Int](repeating: 0, count: counts.count)
        var bucketLastKey = [Int?](repeating: nil, count: withinBuckets.count)
        var bucketUsed = [Int](repeating: 0, count: withinBuckets.count)

        for position in 0..<total {
            let time = times[position]
            let isOldest = position == total - 1
            var keys: BucketCalendar.Keys?
            var anyRuleLeft = false
            var list: [String] = []

            if let withinText {
                if let withinCutoff, time <= withinCutoff {
                    // outside; nothing newer is left either (times are sorted)
                } else {
                    list.append(withinText)
                    anyRuleLeft = true
                }
            }

            for rule in counts.indices where remaining[rule] != 0 {
                anyRuleLeft = true
                let key: Int
                if let unit = counts[rule].unit {
                    if keys == nil { keys = buckets.keys(for: time) }
                    key = keys![unit]
                } else {
                    key = position
                }
                if key != lastKey[rule] || isOldest {
                    let oldest = key == lastKey[rule]
                    lastKey[rule] = key
                    if remaining[rule] > 0 { remaining[rule] -= 1 }
                    used[rule] += 1
                    list.append(RetentionReason.bucket(counts[rule].name, number: used[rule], oldest: oldest))
                }
            }

            for rule in withinBuckets.indices {
                if let cutoff = bucketCutoffs[rule], time <= cutoff { continue }
                anyRuleLeft = true
                if keys == nil { keys = buckets.keys(for: time) }
                let key = keys![withinBuckets[rule].unit]
                if key != bucketLastKey[rule] || isOldest {
                    let oldest = key == bucketLastKey[rule]
                    bucketLastKey[rule] = key
                    bucketUsed[rule] += 1
                    list.append(
                        RetentionReason.bucket(withinBuckets[rule].name, number: bucketUsed[rule], oldest: oldest))
                }
            }

            reasons[position] = list
            // Every count is spent and every window lies behind: no older record can match.
            if !anyRuleLeft { break }
        }
        return reasons
    }
}
