public import Foundation

/// A pgBackRest-style backup label: `20261125-013000F` for a full backup and
/// `20261125-013000F_20261125-020000I` for an incremental on it.
///
/// The first part always names the full backup that roots the chain, so the label alone tells which
/// full an incremental needs; labels of one source sort by time.
public struct BackupLabel: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The label text.
    public let rawValue: String

    /// Parses a label, or throws ``ModelError/Code-swift.struct/invalidLabel``.
    public init(_ text: String) throws {
        guard Self.isWellFormed(text) else {
            throw ModelError(
                code: .invalidLabel, subject: text,
                message: "expected YYYYMMDD-HHMMSSF or YYYYMMDD-HHMMSSF_YYYYMMDD-HHMMSSI")
        }
        rawValue = text
    }

    private init(unchecked: String) { rawValue = unchecked }

    /// The label of a full backup started at `date`, with its time written in `timeZone`.
    public static func full(at date: Date, in timeZone: TimeZone) -> BackupLabel {
        BackupLabel(unchecked: stamp(date, timeZone) + "F")
    }

    /// The label of an incremental backup started at `date` on the chain rooted at `parent`'s full.
    public static func incremental(on parent: BackupLabel, at date: Date, in timeZone: TimeZone) -> BackupLabel {
        BackupLabel(unchecked: parent.fullPart + "_" + stamp(date, timeZone) + "I")
    }

    /// The kind this label denotes.
    public var kind: BackupKind { rawValue.hasSuffix("I") ? .incremental : .full }

    /// The label of the full backup that roots this chain (`20261125-013000F`).
    public var fullPart: String { String(rawValue.prefix(16)) }

    /// This backup's own time stamp, `YYYYMMDD-HHMMSS`.
    public var stamp: String { String(rawValue.suffix(16).prefix(15)) }

    /// The instant of this backup's own time stamp, read in `timeZone`.
    public func date(in timeZone: TimeZone) -> Date? {
        let s = Array(stamp.utf8)
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(s[$1] - 48) } }
        return CalendarTime(
            year: number(0..<4), month: number(4..<6), day: number(6..<8),
            hour: number(9..<11), minute: number(11..<13), second: number(13..<15)
        ).date(in: timeZone)
    }

    public var description: String { rawValue }

    public static func < (lhs: BackupLabel, rhs: BackupLabel) -> Bool {
        (lhs.stamp, lhs.rawValue) < (rhs.stamp, rhs.rawValue)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static func stamp(_ date: Date, _ timeZone: TimeZone) -> String {
        let t = CalendarTime(date, in: timeZone)
        return pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2) + "-" + pad(t.hour, 2) + pad(t.minute, 2)
            + pad(t.second, 2)
    }

    private static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func isStamp(_ offset: Int) -> Bool {
            (0..<15).allSatisfy { i in
                i == 8 ? bytes[offset + i] == UInt8(ascii: "-") : (48...57).contains(bytes[offset + i])
            }
        }
        switch bytes.count {
        case 16: return isStamp(0) && bytes[15] == UInt8(ascii: "F")
        case 33:
            return isStamp(0) && bytes[15] == UInt8(ascii: "F") && bytes[16] == UInt8(ascii: "_")
                && isStamp(17) && bytes[32] == UInt8(ascii: "I")
        default: return false
        }
    }
}
