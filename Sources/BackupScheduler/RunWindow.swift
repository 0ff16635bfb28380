import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
public import Foundation

/// An off-peak window of wall-clock time, such as `01:00-05:00`, in which scheduled runs may start.
///
/// The window is read in its ``timeZone`` every day: it contains an instant when the wall clock there
/// shows a time from ``start`` (included) to ``end`` (excluded). A window whose end is not after its
/// start wraps midnight: `22:00-02:00` is open from 22:00 to 02:00 the next morning. `24:00` is accepted
/// as an end and means midnight.
///
/// Daylight-saving time follows the wall clock: on a spring-forward day `01:00-03:00` in New York is
/// open one hour of elapsed time (02:00 does not exist), on a fall-back day three hours.
///
/// ```swift
/// let window = try RunWindow("01:00-05:00", timeZone: shanghai)
/// window.contains(now)          // may a run start now?
/// window.closing(after: now)    // when the open window ends, for jitter bounds
/// ```
public struct RunWindow: Hashable, Sendable, CustomStringConvertible {
    /// Minutes after midnight at which the window opens (0–1439).
    public let start: Int
    /// Minutes after midnight at which the window closes (1–1440); not after ``start`` when it wraps.
    public let end: Int
    /// The zone whose wall clock the window is read in.
    public let timeZone: TimeZone

    /// Parses `HH:MM-HH:MM`.
    ///
    /// - Parameters:
    ///   - text: The window, such as `01:00-05:00` or `22:30-02:00`.
    ///   - timeZone: The zone whose wall clock the window is read in.
    ///   - field: The setting's name for errors.
    ///   - plan: The plan's name for errors, if any.
    /// - Throws: ``ScheduleError`` with code ``ScheduleError/Code-swift.struct/invalidWindow`` naming the
    ///   setting and quoting the text.
    public init(_ text: String, timeZone: TimeZone, field: String = "schedule.window", plan: String? = nil) throws {
        func failure(_ reason: String) -> ScheduleError {
            ScheduleError(code: .invalidWindow, field: field, plan: plan, message: "'\(text)': \(reason)")
        }
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw failure("expected HH:MM-HH:MM, such as 01:00-05:00") }
        let start = try Self.minutes(String(parts[0]), allowMidnightEnd: false, failure: failure)
        let end = try Self.minutes(String(parts[1]), allowMidnightEnd: true, failure: failure)
        guard start != end % 1440 else {
            throw failure("start and end are equal; leave the window out to allow runs at any time")
        }
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }

    private static func minutes(
        _ text: String, allowMidnightEnd: Bool, failure: (String) -> ScheduleError
    ) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let pieces = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count == 2, (1...2).contains(pieces[0].count), pieces[1].count == 2,
            pieces.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let hour = Int(pieces[0]), let minute = Int(pieces[1])
        else { throw failure("'\(trimmed)' is not a time HH:MM") }
        guard minute < 60 else { throw failure("minute \(minute) in '\(trimmed)' is out of range 0–59") }
        let highest = allowMidnightEnd ? 24 : 23
        guard hour <= highest, hour < 24 || minute == 0 else {
            throw failure("hour \(hour) in '\(trimmed)' is out of range 0–\(highest)")
        }
        return hour * 60 + minute
    }

    /// Whether the window closes on the day after it opens.
    public var wrapsMidnight: Bool { start + span > 1440 }

    /// How long the window lasts on a day without a daylight-saving change.
    public var length: Duration { .seconds(span * 60) }

    /// The window's length in minutes (1–1439).
    package var span: Int { ((end - start) % 1440 + 1440) % 1440 }

    /// `01:00-05:00`.
    public var description: String { "\(Self.format(start))-\(Self.format(end))" }

    /// Whether a run may start at `date`: the wall clock in ``timeZone`` shows a time in the window.
    /// - Parameter date: The instant to judge.
    /// - Returns: `true` from the start (included) to the end (excluded) of the window.
    public func contains(_ date: Date) -> Bool { containsWallSecond(wallSecondOfDay(date)) }

    /// The first instant after `date` at which the window is closed, when `date` is inside it.
    ///
    /// On days without a daylight-saving change this is the end time on the wall clock; across a change
    /// it is the instant the wall clock leaves the window.
    /// - Parameter date: An instant inside the window.
    /// - Returns: When the window closes, or `nil` when `date` is outside the window.
    public func closing(after date: Date) -> Date? {
        guard contains(date) else { return nil }
        var inside = date.timeIntervalSince1970
        // Jump by the remaining wall time; a daylight-saving change makes a jump land before the end
        // (fall back: jump again) or past it (spring forward: search back).
        for _ in 0..<4 {
            let wall = wallSecondOfDay(Date(timeIntervalSince1970: inside))
            let remaining = ((end * 60 - wall) % 86_400 + 86_400) % 86_400
            let landing = inside + Double(remaining == 0 ? 86_400 : remaining)
            let landed = wallSecondOfDay(Date(timeIntervalSince1970: landing))
            if landed == (end * 60) % 86_400 { return Date(timeIntervalSince1970: landing) }
            guard containsWallSecond(landed) else {
                var low = inside
                var high = landing
                while high - low > 1 {
                    let middle = ((low + high) / 2).rounded(.down)
                    if containsWallSecond(wallSecondOfDay(Date(timeIntervalSince1970: middle))) {
                        low = middle
                    } else {
                        high = middle
                    }
                }
                return Date(timeIntervalSince1970: high)
            }
            inside = landing
        }
        return Date(timeIntervalSince1970: inside)
    }

    /// The minutes of the day, in UTC at the zone's offset at `date`, during which the window is open.
    package func utcMinutes(at date: Date) -> [Int] {
        let offset = timeZone.secondsFromGMT(for: date) / 60
        return (0..<span).map { ((start + $0 - offset) % 1440 + 1440) % 1440 }
    }

    package func containsWallSecond(_ wall: Int) -> Bool {
        ((wall - start * 60) % 86_400 + 86_400) % 86_400 < span * 60
    }

    /// Seconds since wall-clock midnight in ``timeZone``.
    package func wallSecondOfDay(_ date: Date) -> Int {
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + timeZone.secondsFromGMT(for: date)
        return (local % 86_400 + 86_400) % 86_400
    }

    package static func format(_ minutes: Int) -> String {
        let hour = minutes / 60
        let minute = minutes % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }
}
