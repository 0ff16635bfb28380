public import Foundation

/// Calendar fields of an instant in an explicit time zone.
///
/// BackupKit never compares day-of-month numbers across zones: every date in a label, key or bucket is
/// computed from an instant and a named zone with this type.
public struct CalendarTime: Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The calendar fields of `date` in `timeZone` (Gregorian calendar).
    public init(_ date: Date, in timeZone: TimeZone) {
        let parts = Calendar.gregorian(in: timeZone).dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: date)
        self.init(
            year: parts.year!, month: parts.month!, day: parts.day!,
            hour: parts.hour!, minute: parts.minute!, second: parts.second!)
    }

    /// The instant these fields denote in `timeZone`, or `nil` if they do not form a valid date.
    public func date(in timeZone: TimeZone) -> Date? {
        let components = DateComponents(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        let calendar = Calendar.gregorian(in: timeZone)
        guard let date = calendar.date(from: components) else { return nil }
        // Reject overflowed fields such as month 13 or day 32.
        return CalendarTime(date, in: timeZone) == self ? date : nil
    }
}

extension Calendar {
    /// A Gregorian calendar fixed to `timeZone`, with ISO-8601 week rules (weeks start Monday,
    /// the first week has four days).
    public static func gregorian(in timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        return calendar
    }
}

extension TimeZone {
    /// Coordinated Universal Time.
    public static let utc = TimeZone(identifier: "UTC")!

    /// The zone with the IANA `identifier`, or a ``ModelError`` naming `field`.
    public static func named(_ identifier: String, field: String) throws -> TimeZone {
        guard let zone = TimeZone(identifier: identifier) else {
            throw ModelError(
                code: .invalidValue, subject: field,
                message: "unknown time zone '\(identifier)' (use an IANA name such as Asia/Shanghai or UTC)")
        }
        return zone
    }
}

func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
