public import Foundation

/// The digits-only datetime format the log platform writes into index and alias names (its table's
/// `date_format`): `%Y%m%d%H` by default (`2026112508`), often `%Y%m%d` (`20261125`).
///
/// Only fixed-width numeric fields are allowed, so the width of a name's datetime is known and a name
/// parses exactly: `%Y` (4 digits), `%m`, `%d`, `%H`, `%M`, `%S` (2 digits each). Year, month and day are
/// required; fields may come in any order, but each at most once.
public struct ArchiveDateFormat: Hashable, Sendable, CustomStringConvertible {
    /// One field of the format.
    enum Field: Character, Hashable, Sendable {
        case year = "Y"
        case month = "m"
        case day = "d"
        case hour = "H"
        case minute = "M"
        case second = "S"

        var width: Int { self == .year ? 4 : 2 }
    }

    /// The platform's default, `%Y%m%d%H`.
    public static let platformDefault = ArchiveDateFormat(fields: [.year, .month, .day, .hour])

    /// Days, `%Y%m%d` (snapshot names).
    public static let days = ArchiveDateFormat(fields: [.year, .month, .day])

    /// The format as written (`%Y%m%d%H`).
    public let pattern: String
    let fields: [Field]

    /// A format from fields known to be valid.
    init(fields: [Field]) {
        self.fields = fields
        self.pattern = fields.map { "%\($0.rawValue)" }.joined()
    }

    /// The number of digits a datetime in this format has (10 for `%Y%m%d%H`).
    public var digitCount: Int { fields.reduce(0) { $0 + $1.width } }

    /// Parses a format.
    /// - Parameters:
    ///   - pattern: The format, e.g. `%Y%m%d%H`.
    ///   - field: The configuration field to name in an error.
    /// - Throws: ``ModelError`` naming `field` when the format holds anything but the allowed fields, repeats
    ///   one, or lacks year, month or day.
    public init(_ pattern: String, field: String = "date_format") throws {
        func refuse(_ why: String) -> ModelError {
            ModelError(
                code: .invalidValue, subject: field,
                message: "'\(pattern)' \(why) (allowed: %Y %m %d %H %M %S, digits only, e.g. %Y%m%d%H or %Y%m%d)")
        }
        var fields: [Field] = []
        var characters = pattern.makeIterator()
        while let character = characters.next() {
            guard character == "%" else { throw refuse("holds '\(character)', which is not a field") }
            guard let letter = characters.next(), let parsed = Field(rawValue: letter) else {
                throw refuse("holds an unsupported field")
            }
            guard !fields.contains(parsed) else { throw refuse("repeats %\(letter)") }
            fields.append(parsed)
        }
        guard fields.contains(.year), fields.contains(.month), fields.contains(.day) else {
            throw refuse("needs %Y, %m and %d")
        }
        self.pattern = pattern
        self.fields = fields
    }

    /// The instant `digits` denotes in `zone`, or `nil` when it is not exactly ``digitCount`` ASCII digits
    /// forming a valid date.
    public func date(from digits: some StringProtocol, in zone: TimeZone) -> Date? {
        let bytes = Array(digits.utf8)
        guard bytes.count == digitCount, bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var time = CalendarTime(year: 0, month: 0, day: 0)
        var offset = 0
        for field in fields {
            let value = bytes[offset..<offset + field.width].reduce(0) { $0 * 10 + Int($1 - 48) }
            offset += field.width
            switch field {
            case .year: time.year = value
            case .month: time.month = value
            case .day: time.day = value
            case .hour: time.hour = value
            case .minute: time.minute = value
            case .second: time.second = value
            }
        }
        return time.date(in: zone)
    }

    /// `date` written in this format in `zone` (`2026112508`).
    public func string(from date: Date, in zone: TimeZone) -> String {
        let time = CalendarTime(date, in: zone)
        return fields.map { field in
            switch field {
            case .year: pad(time.year, 4)
            case .month: pad(time.month, 2)
            case .day: pad(time.day, 2)
            case .hour: pad(time.hour, 2)
            case .minute: pad(time.minute, 2)
            case .second: pad(time.second, 2)
            }
        }.joined()
    }

    public var description: String { pattern }
}
