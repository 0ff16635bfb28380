public import BackupModels
public import Foundation

extension ArchiveConfig {
    /// The prefix of the table's index and snapshot names: the table id with `.` replaced by `_`,
    /// lowercased (`2_bklog.nginx_access` → `2_bklog_nginx_access`).
    public var indexPrefix: String { tableID.replacingOccurrences(of: ".", with: "_").lowercased() }

    /// The pattern of the table's snapshots: `<prefix>_snapshot_*`.
    public var snapshotPattern: String { indexPrefix + "_snapshot_*" }

    /// The day of a daily index of this table, `<prefix>_<YYYYMMDD>` or `<prefix>_<YYYYMMDD>_<n>`, as the
    /// instant that day starts in the configuration's zone; `nil` for any other name (another table
    /// whose name extends this one's, a restored index, an alias).
    public func indexDay(of name: String) -> Date? {
        day(in: name, after: indexPrefix + "_", allowingSequence: true)
    }

    /// The day of one of this table's snapshots (`<prefix>_snapshot_<YYYYMMDD>`), or `nil`.
    public func snapshotDay(of name: String) -> Date? {
        day(in: name, after: indexPrefix + "_snapshot_", allowingSequence: false)
    }

    /// Whether the index that starts on `day` is due for archiving at `now`: its data expired
    /// (`index_retention_days` after the day ended) and one more day passed.
    public func isDue(indexDay day: Date, now: Date) -> Bool {
        guard let due = adding(days: indexRetentionDays + 1, to: day) else { return false }
        return now >= due
    }

    /// Whether the snapshot taken on `day` is past `snapshot_days` at `now` (never when 0).
    public func isExpired(snapshotDay day: Date, now: Date) -> Bool {
        guard !keepsForever, let expiry = adding(days: snapshotDays, to: day) else { return false }
        return now >= expiry
    }

    /// The zone of this configuration (UTC if the identifier is unknown; ``validate()`` refuses those).
    package var zone: TimeZone { TimeZone(identifier: timeZoneIdentifier) ?? .utc }

    private func adding(days: Int, to day: Date) -> Date? {
        Calendar.gregorian(in: zone).date(byAdding: .day, value: days, to: day)
    }

    private func day(in name: String, after prefix: String, allowingSequence: Bool) -> Date? {
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count)
        let digits = rest.prefix(8)
        guard digits.count == 8, digits.allSatisfy(\.isASCIIDigit) else { return nil }
        let tail = rest.dropFirst(8)
        if !tail.isEmpty {
            guard allowingSequence, tail.first == "_", tail.count > 1, tail.dropFirst().allSatisfy(\.isASCIIDigit) else {
                return nil
            }
        }
        guard let value = Int(digits) else { return nil }
        return CalendarTime(year: value / 10_000, month: value / 100 % 100, day: value % 100).date(in: zone)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
