import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
public import Foundation

/// A five-field cron schedule evaluated in an explicit time zone.
///
/// The fields are minute, hour, day of month, month and day of week, with `*`, lists (`1,5,9`), ranges
/// (`1-5`, `MON-FRI`), steps (`*/15`, `10-50/10`, `5/10`), month names `JAN`–`DEC`, weekday names
/// `SUN`–`SAT` (day of week `0` and `7` both mean Sunday) and the macros `@yearly`, `@annually`,
/// `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly`. When both day of month and day of week are
/// restricted (neither starts with `*`), a day matches when either matches, as in Vixie cron.
///
/// ```swift
/// let nightly = try CronSchedule("30 1 * * *", timeZone: TimeZone(identifier: "Asia/Shanghai")!)
/// let run = nightly.next(after: now)   // 01:30 Shanghai time = 17:30Z the day before
/// ```
///
/// Daylight-saving time: a wall time that does not exist (skipped in spring) runs once, at the first
/// instant after the gap; a wall time that occurs twice (autumn) runs once, at its first occurrence.
/// The type is pure: it never reads a clock.
///
/// Two schedules are equal when their normalized text (``description``) and time zone are equal.
public struct CronSchedule: Hashable, Sendable, CustomStringConvertible {
    /// The zone whose wall-clock time the fields describe.
    public let timeZone: TimeZone
    /// The normalized expression: five fields separated by single spaces, names in upper case, macros
    /// expanded (`@daily` becomes `0 0 * * *`).
    public let description: String

    package let minutes: UInt64
    package let hours: UInt64
    /// Bits 1...31.
    package let days: UInt64
    /// Bits 1...12.
    package let months: UInt64
    /// Bits 0...6, Sunday = 0.
    package let weekdays: UInt64
    /// Whether both day fields are restricted, so that a day matches when either matches.
    package let dayFieldsCombineWithOr: Bool

    /// Parses a cron expression.
    ///
    /// - Parameters:
    ///   - expression: Five whitespace-separated fields (minute hour day-of-month month day-of-week) or a
    ///     macro such as `@daily`.
    ///   - timeZone: The zone whose wall-clock time the fields describe.
    /// - Throws: ``CronError`` naming the field and the offending text.
    public init(_ expression: String, timeZone: TimeZone) throws {
        let parsed = try Self.parse(expression)
        self.timeZone = timeZone
        self.description = parsed.normalizedText
        self.minutes = parsed.masks[0]
        self.hours = parsed.masks[1]
        self.days = parsed.masks[2]
        self.months = parsed.masks[3]
        self.weekdays = parsed.masks[4]
        self.dayFieldsCombineWithOr = parsed.dayOfMonthRestricted && parsed.dayOfWeekRestricted
    }

    /// The first `count` run instants strictly after `date`, in increasing order.
    ///
    /// - Parameters:
    ///   - count: How many instants to return at most.
    ///   - date: The instant to start after.
    /// - Returns: Up to `count` instants; fewer when the schedule stops matching within the search horizon.
    public func next(_ count: Int, after date: Date) -> [Date] {
        var result: [Date] = []
        result.reserveCapacity(max(0, count))
        var cursor = date
        while result.count < count, let run = next(after: cursor) {
            result.append(run)
            cursor = run
        }
        return result
    }
}
