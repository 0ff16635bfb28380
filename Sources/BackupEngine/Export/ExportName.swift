import ArtifactFormat
import BackupModels
import BackupSources
import BackupSupport
public import Foundation
import RemoteStorage

/// The file name of an export: `<app>_<index_set_id>_<YYYYMMDDHHmmss>_<10 × [a-z0-9]>.tar.gz`, or for an
/// export that is not tied to one index set (a union export) `<app>_<YYYYMMDDHHmmss>_<random>.tar.gz`.
///
/// App names hold letters, digits, `.` and `-` (no `_`, which separates the fields), so a name parses
/// back unambiguously; the time is written in the exporter's time zone.
public struct ExportName: Hashable, Sendable {
    /// The application the export belongs to.
    public var app: String
    /// The index set the export was made for; `nil` for a union export.
    public var indexSetID: Int?
    /// When the export was made, to the second.
    public var date: Date
    /// Ten random characters from `a`–`z` and `0`–`9`.
    public var suffix: String

    /// The file name's ending.
    public static let fileExtension = ".tar.gz"

    /// Creates a name after checking its parts.
    ///
    /// - Throws: ``ExportError`` `invalidRequest` naming the app or suffix at fault.
    public init(app: String, indexSetID: Int?, date: Date, suffix: String) throws {
        guard Self.isValidApp(app) else {
            throw ExportError(
                code: .invalidRequest,
                message: "the app name '\(app)' must be 1 to 64 letters, digits, '.' or '-', not starting with '.' or '-'")
        }
        guard Self.isValidSuffix(suffix) else {
            throw ExportError(code: .invalidRequest, message: "the random suffix must be 10 characters from a-z and 0-9")
        }
        if let indexSetID, indexSetID < 0 {
            throw ExportError(code: .invalidRequest, message: "the index set id must not be negative")
        }
        self.app = app
        self.indexSetID = indexSetID
        self.date = date
        self.suffix = suffix
    }

    /// Parses a file name made by ``fileName(in:)``; `nil` for anything else.
    public init?(parsing name: String, timeZone: TimeZone) {
        guard name.hasSuffix(Self.fileExtension) else { return nil }
        let fields = name.dropLast(Self.fileExtension.count).split(separator: "_", omittingEmptySubsequences: false)
        guard fields.count == 3 || fields.count == 4 else { return nil }
        let app = String(fields[0])
        let indexSetID: Int?
        if fields.count == 4 {
            guard fields[1].allSatisfy(\.isASCII), fields[1].allSatisfy(\.isNumber), let value = Int(fields[1]) else { return nil }
            indexSetID = value
        } else {
            indexSetID = nil
        }
        guard let date = Self.date(from: String(fields[fields.count - 2]), timeZone: timeZone) else { return nil }
        try? self.init(app: app, indexSetID: indexSetID, date: date, suffix: String(fields[fields.count - 1]))
    }

    /// The file name, with the time written in `timeZone`.
    public func fileName(in timeZone: TimeZone) -> String {
        var fields = [app]
        if let indexSetID { fields.append(String(indexSetID)) }
        fields.append(Self.stamp(date, timeZone: timeZone))
        fields.append(suffix)
        return fields.joined(separator: "_") + Self.fileExtension
    }

    /// Ten random characters from `a`–`z` and `0`–`9`, drawn from `generator`.
    public static func randomSuffix(using generator: inout some RandomNumberGenerator) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<10).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// `YYYYMMDDHHmmss` of `date` in `timeZone`.
    package static func stamp(_ date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2) + pad(parts.hour, 2) + pad(parts.minute, 2)
            + pad(parts.second, 2)
    }

    /// The date of a `YYYYMMDDHHmmss` stamp in `timeZone`, or `nil` if it is not one.
    package static func date(from stamp: String, timeZone: TimeZone) -> Date? {
        let digits = Array(stamp.utf8)
        guard digits.count == 14, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        func number(_ start: Int, _ length: Int) -> Int {
            digits[start..<(start + length)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(
            year: number(0, 4), month: number(4, 2), day: number(6, 2), hour: number(8, 2), minute: number(10, 2),
            second: number(12, 2))
        guard let date = calendar.date(from: components) else { return nil }
        // Reject stamps that do not name a real time (month 13, 31 February).
        return Self.stamp(date, timeZone: timeZone) == stamp ? date : nil
    }

    package static func isValidApp(_ app: String) -> Bool {
        guard let first = app.unicodeScalars.first, app.unicodeScalars.count <= 64, first != ".", first != "-" else {
            return false
        }
        return app.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-"
        }
    }

    package static func isValidSuffix(_ suffix: String) -> Bool {
        suffix.unicodeScalars.count == 10 && suffix.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }
}
