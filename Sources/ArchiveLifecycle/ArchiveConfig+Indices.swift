public import BackupModels
public import Foundation

/// One of a table's indices, as its name says: layout, datetime and rotation counter.
public struct TableIndexName: Hashable, Sendable {
    /// Which of the platform's two index layouts the name follows.
    public enum Layout: String, Hashable, Sendable {
        /// `v2_<index name>_<datetime>_<n>`, the current layout.
        case v2
        /// `<index name>_<datetime>_<n>`, on clusters created long ago.
        case legacy
    }

    /// The full index name.
    public var name: String
    /// The layout.
    public var layout: Layout
    /// The datetime digits as written (`2026112508`).
    public var datetimeText: String
    /// The instant they denote in the table's index zone.
    public var datetime: Date
    /// The rotation counter `<n>`.
    public var rotation: Int
}

/// Why an index is, or is not, expired.
public enum IndexExpiry: Hashable, Sendable {
    /// Every alias on it is past retention (or it has none and the configuration expires such indices).
    case expired
    /// An alias on it is still within retention.
    case live
    /// Its name holds the current datetime: it is still written to.
    case current
    /// It is listed in the table's long-term storage.
    case longTerm
    /// No alias on it parses as a datetime and the configuration keeps such indices.
    case keptWithoutAlias
}

extension ArchiveConfig {
    /// The table's index name: the table id with `.` replaced by `_`, lowercased
    /// (`2_bklog.nginx_access` → `2_bklog_nginx_access`), as the platform derives it.
    public var indexPrefix: String { Self.indexPrefix(of: tableID) }

    /// The index name of a table id (see ``indexPrefix``).
    public static func indexPrefix(of tableID: String) -> String {
        tableID.replacingOccurrences(of: ".", with: "_").lowercased()
    }

    /// The patterns that list the table's indices in both layouts, in one request:
    /// `v2_<index name>_*` and `<index name>_*`.
    public var indexPatterns: [String] { ["v2_\(indexPrefix)_*", "\(indexPrefix)_*"] }

    /// The pattern of the table's snapshots: `<index name>_snapshot_*`.
    public var snapshotPattern: String { indexPrefix + "_snapshot_*" }

    /// The parsed ``dateFormat`` (the default when it does not parse; ``validate()`` refuses those).
    public var indexDateFormat: ArchiveDateFormat { (try? ArchiveDateFormat(dateFormat)) ?? .platformDefault }

    /// The zone index and alias datetimes are written in (UTC if unknown; ``validate()`` refuses those).
    package var indexZone: TimeZone { TimeZone(identifier: indexTimeZoneIdentifier) ?? .utc }

    /// The zone of snapshot names (UTC if unknown; ``validate()`` refuses those).
    package var zone: TimeZone { TimeZone(identifier: timeZoneIdentifier) ?? .utc }

    /// Parses one of this table's index names, `v2_<index name>_<datetime>_<n>` or
    /// `<index name>_<datetime>_<n>`, with exactly as many datetime digits as ``dateFormat`` writes; `nil`
    /// for anything else (another table whose name extends this one's, a restored index, a facts index).
    public func parseIndex(_ name: String) -> TableIndexName? {
        let layouts: [(TableIndexName.Layout, String)] = [(.v2, "v2_\(indexPrefix)_"), (.legacy, "\(indexPrefix)_")]
        let format = indexDateFormat
        for (layout, prefix) in layouts where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            let parts = rest.split(separator: "_", omittingEmptySubsequences: false)
            guard parts.count == 2, let rotation = Int(parts[1]), rotation >= 0, parts[1].allSatisfy(\.isASCIIDigit),
                let datetime = format.date(from: parts[0], in: indexZone)
            else { continue }
            return TableIndexName(name: name, layout: layout, datetimeText: String(parts[0]), datetime: datetime, rotation: rotation)
        }
        return nil
    }

    /// The datetime of one of this table's aliases — write `write_<datetime>_<index name>`, the older write
    /// `<index name>_<datetime>_write`, or read `<index name>_<datetime>_read` — or `nil` for any other alias.
    public func aliasDatetime(_ alias: String) -> Date? {
        let format = indexDateFormat
        let digits: Substring?
        if alias.hasPrefix("write_"), alias.hasSuffix("_" + indexPrefix) {
            digits = alias.dropFirst("write_".count).dropLast(indexPrefix.count + 1)
        } else if alias.hasPrefix(indexPrefix + "_"), alias.hasSuffix("_read") || alias.hasSuffix("_write") {
            let suffix = alias.hasSuffix("_read") ? "_read" : "_write"
            digits = alias.dropFirst(indexPrefix.count + 1).dropLast(suffix.count)
        } else {
            digits = nil
        }
        guard let digits, digits.count == format.digitCount else { return nil }
        return format.date(from: digits, in: indexZone)
    }

    /// Whether an alias dated `datetime` is past retention at `now`: older than
    /// `now − (index_retention_days + 1 day)`, counted in days of the index zone.
    public func isAliasExpired(_ datetime: Date, now: Date) -> Bool {
        guard let cutoff = Calendar.gregorian(in: indexZone).date(byAdding: .day, value: -(indexRetentionDays + 1), to: now) else {
            return false
        }
        return datetime < cutoff
    }

    /// Judges one index as the platform does: never expired while its name holds the current datetime
    /// or it is in long-term storage; expired when every alias on it is past retention; with no parsable
    /// alias, by ``indexWithoutAlias``.
    /// - Parameters:
    ///   - index: The parsed index name.
    ///   - aliases: Every alias on the index, as the cluster reports them.
    ///   - now: The current time.
    public func expiry(of index: TableIndexName, aliases: [String], now: Date) -> IndexExpiry {
        let current = indexDateFormat.string(from: now, in: indexZone)
        if index.name.contains(current) { return .current }
        if longTermIndices.contains(index.name) { return .longTerm }
        let dates = aliases.compactMap(aliasDatetime)
        guard !dates.isEmpty else { return indexWithoutAlias == .expire ? .expired : .keptWithoutAlias }
        return dates.allSatisfy { isAliasExpired($0, now: now) } ? .expired : .live
    }

    /// The day of one of this table's snapshots (`<index name>_snapshot_<YYYYMMDD>`) in the snapshot zone,
    /// or `nil`.
    public func snapshotDay(of name: String) -> Date? {
        let prefix = indexPrefix + "_snapshot_"
        guard name.hasPrefix(prefix) else { return nil }
        return ArchiveDateFormat.days.date(from: name.dropFirst(prefix.count), in: zone)
    }

    /// Whether the snapshot taken on `day` is past `snapshot_days` at `now` (never when 0).
    public func isExpired(snapshotDay day: Date, now: Date) -> Bool {
        guard !keepsForever, let expiry = Calendar.gregorian(in: zone).date(byAdding: .day, value: snapshotDays, to: day) else {
            return false
        }
        return now >= expiry
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
