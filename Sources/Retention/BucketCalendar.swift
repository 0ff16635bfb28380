import BackupModels
import Foundation

/// The calendar buckets of restic's keep rules, computed in one time zone.
///
/// Keys follow restic's `forget`: the local hour (year, month, day, hour), the local day, the ISO-8601
/// week (Monday–Sunday, week-numbering year), the month and the year. Keys are plain integers that
/// differ exactly when the buckets differ.
///
/// Records are fed newest first, so consecutive records usually share a local day; the day's fields
/// are taken from `Calendar.gregorian(in:)` once per day and reused, and the hour is derived from the
/// zone's offset at the instant. That keeps a million records well under a second.
struct BucketCalendar {
    /// One bucket kind.
    enum Unit: Int, CaseIterable {
        case hour, day, week, month, year
    }

    /// The keys of one instant.
    struct Keys {
        var hour: Int
        var day: Int
        var week: Int
        var month: Int
        var year: Int

        subscript(unit: Unit) -> Int {
            switch unit {
            case .hour: hour
            case .day: day
            case .week: week
            case .month: month
            case .year: year
            }
        }
    }

    let calendar: Calendar
    private let timeZone: TimeZone
    private var cachedDayNumber = Int.min
    private var cachedDay = Keys(hour: 0, day: 0, week: 0, month: 0, year: 0)

    init(timeZone: TimeZone) {
        self.calendar = Calendar.gregorian(in: timeZone)
        self.timeZone = timeZone
    }

    /// The bucket keys of `date`.
    mutating func keys(for date: Date) -> Keys {
        let local = date.timeIntervalSince1970 + Double(timeZone.secondsFromGMT(for: date))
        let hourNumber = Int((local / 3600).rounded(.down))
        let dayNumber = Int((local / 86_400).rounded(.down))
        if dayNumber != cachedDayNumber {
            let parts = calendar.dateComponents([.year, .month, .day, .yearForWeekOfYear, .weekOfYear], from: date)
            let year = parts.year ?? 0
            let month = parts.month ?? 0
            cachedDay = Keys(
                hour: 0,
                day: year * 10_000 + month * 100 + (parts.day ?? 0),
                week: (parts.yearForWeekOfYear ?? 0) * 100 + (parts.weekOfYear ?? 0),
                month: year * 100 + month,
                year: year)
            cachedDayNumber = dayNumber
        }
        var keys = cachedDay
        keys.hour = hourNumber
        return keys
    }
}
