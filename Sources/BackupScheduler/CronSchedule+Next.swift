import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
public import Foundation

extension CronSchedule {
    /// How many calendar years past the start the search looks before giving up. Nine years cover the
    /// longest wait for February 29 (2096 → 2104).
    package static let horizonYears = 9

    /// The first run instant strictly after `date`.
    ///
    /// The search jumps field by field (month, day, hour, minute) through wall-clock times in
    /// ``timeZone``. A wall time skipped by a daylight-saving change runs once at the first instant after
    /// the gap (02:30 on a spring-forward day in New York runs at 03:00); a wall time that occurs twice
    /// runs once, at its first occurrence. Several skipped times collapse into a single run.
    ///
    /// - Parameter date: The instant to start after.
    /// - Returns: The next run, always later than `date`, or `nil` if the expression never matches within
    ///   nine years (such as `0 0 30 2 *`).
    public func next(after date: Date) -> Date? {
        let instant = date.timeIntervalSince1970
        // Stay well inside the range of Int minutes and of the zone database.
        guard instant.isFinite, abs(instant) < 200_000_000_000 else { return nil }
        let local = instant + Double(timeZone.secondsFromGMT(for: date))
        // Every wall minute up to the current one has already happened (its first instant is <= date).
        var start = Int((local / 60).rounded(.down)) + 1
        let limitYear = CivilDate(days: start.floorDivided(by: 1440)).year + Self.horizonYears
        while let wall = firstMatchingWallMinute(atOrAfter: start, throughYear: limitYear) {
            let run = firstInstant(atOrAfterWallSecond: wall * 60)
            if Double(run) > instant { return Date(timeIntervalSince1970: Double(run)) }
            // A repeated wall time already run (its first occurrence is past), or a skipped one that
            // collapsed onto an instant already returned: look further.
            start = wall + 1
        }
        return nil
    }

    /// The first wall minute (minutes since 1970-01-01 00:00 wall time) at or after `start` whose fields
    /// match, or `nil` past the end of `throughYear`.
    private func firstMatchingWallMinute(atOrAfter start: Int, throughYear limitYear: Int) -> Int? {
        let startDay = start.floorDivided(by: 1440)
        let minuteOfDay = start - startDay * 1440
        var date = CivilDate(days: startDay)
        var hour = minuteOfDay / 60
        var minute = minuteOfDay % 60
        while date.year <= limitYear {
            if months & (1 << UInt64(date.month)) == 0 {
                if let month = Self.lowestBit(of: months, from: date.month + 1) {
                    date.month = month
                } else {
                    date.year += 1
                    date.month = Self.lowestBit(of: months, from: 0) ?? 1
                }
                date.day = 1
                hour = 0
                minute = 0
                continue
            }
            if date.day > CivilDate.daysIn(month: date.month, year: date.year) {
                date.month += 1
                if date.month > 12 {
                    date.month = 1
                    date.year += 1
                }
                date.day = 1
                hour = 0
                minute = 0
                continue
            }
            if !dayMatches(date) {
                date.day += 1
                hour = 0
                minute = 0
                continue
            }
            if hours & (1 << UInt64(hour)) == 0 {
                guard let next = Self.lowestBit(of: hours, from: hour + 1) else {
                    date.day += 1
                    hour = 0
                    minute = 0
                    continue
                }
                hour = next
                minute = 0
            }
            if minutes & (1 << UInt64(minute)) == 0 {
                guard let next = Self.lowestBit(of: minutes, from: minute + 1) else {
                    hour += 1
                    minute = 0
                    if hour > 23 {
                        date.day += 1
                        hour = 0
                    }
                    continue
                }
                minute = next
            }
            return date.daysSinceEpoch * 1440 + hour * 60 + minute
        }
        return nil
    }

    /// Whether the day fields accept `date`: both restricted → either matches; otherwise both must (an
    /// unrestricted `*` field accepts every day).
    private func dayMatches(_ date: CivilDate) -> Bool {
        let dayOfMonth = days & (1 << UInt64(date.day)) != 0
        let dayOfWeek = weekdays & (1 << UInt64(date.weekday)) != 0
        return dayFieldsCombineWithOr ? (dayOfMonth || dayOfWeek) : (dayOfMonth && dayOfWeek)
    }

    private static func lowestBit(of mask: UInt64, from position: Int) -> Int? {
        guard position < 64 else { return nil }
        let shifted = mask >> UInt64(position)
        return shifted == 0 ? nil : position + shifted.trailingZeroBitCount
    }

    /// The first instant (seconds since 1970) whose wall-clock time in ``timeZone`` is at or after the wall
    /// time `wall` (seconds since 1970-01-01 00:00 wall time): the wall time's first occurrence, or the end
    /// of the daylight-saving gap that skips it.
    private func firstInstant(atOrAfterWallSecond wall: Int) -> Int {
        let earlier = offset(at: wall - 86_400)
        let later = offset(at: wall + 86_400)
        var best: Int?
        for candidate in earlier == later ? [earlier] : [earlier, later] {
            let instant = wall - candidate
            if offset(at: instant) == candidate, best.map({ instant < $0 }) ?? true {
                best = instant
            }
        }
        if let best { return best }
        if earlier < later {
            // A forward gap: local time jumps from below `wall` to above it at the transition.
            var low = wall - later  // before the transition: local time < wall
            var high = wall - earlier  // after the transition: local time > wall
            while high - low > 1 {
                let middle = low + (high - low) / 2
                if middle + offset(at: middle) >= wall { high = middle } else { low = middle }
            }
            return high
        }
        // Several transitions within a day (not seen in real zones): scan minute by minute.
        var instant = wall - 14 * 3600
        while instant + offset(at: instant) < wall, instant < wall + 14 * 3600 { instant += 60 }
        return instant
    }

    private func offset(at instant: Int) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))
    }
}

/// A proleptic Gregorian calendar date with day arithmetic that does not depend on Foundation.
private struct CivilDate: Hashable {
    var year: Int
    var month: Int
    var day: Int

    /// The date `days` days after 1970-01-01.
    init(days: Int) {
        // Shift to an era starting on 0000-03-01 so that leap days fall at the end of a year.
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Days since 1970-01-01 (negative before it).
    var daysSinceEpoch: Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear.floorDivided(by: 400)
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday).
    var weekday: Int { (daysSinceEpoch + 4).floorModulo(7) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    fileprivate func floorModulo(_ divisor: Int) -> Int {
        self - floorDivided(by: divisor) * divisor
    }
}
