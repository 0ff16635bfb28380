package import Foundation

/// Parses the two date formats S3 sends: ISO 8601 in XML (`2026-11-25T01:30:00.000Z`) and HTTP dates
/// in headers (`Wed, 25 Nov 2026 01:30:00 GMT`).
package enum S3Timestamp {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z` (UTC only, as S3 writes it).
    package static func parseISO8601(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "-T:Z".contains($0) })
        guard parts.count >= 6, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            let hour = Int(parts[3]), let minute = Int(parts[4]), let second = Double(parts[5])
        else { return nil }
        return date(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// `Wed, 25 Nov 2026 01:30:00 GMT` (RFC 7231 IMF-fixdate).
    package static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "," })
        guard parts.count >= 7, let day = Int(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
            let year = Int(parts[3]), let hour = Int(parts[4]), let minute = Int(parts[5]), let second = Double(parts[6])
        else { return nil }
        return date(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second)
    }

    /// Days-from-civil (proleptic Gregorian) to seconds since 1970, UTC.
    private static func date(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Double) -> Date? {
        // Four-digit years only: larger ones would overflow the seconds below.
        guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour),
            (0...59).contains(minute),
            second >= 0, second < 61
        else { return nil }
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60) + second
        return Date(timeIntervalSince1970: seconds)
    }
}
