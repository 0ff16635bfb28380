public import Foundation

/// A calendar duration in restic's notation: `1y2m7d3h` (years, months, days, hours).
///
/// Months and years are calendar units, so `1m` before 31 March is 28 or 29 February's same time.
public struct RetentionDuration: Hashable, Codable, Sendable, CustomStringConvertible {
    public var years: Int
    public var months: Int
    public var days: Int
    public var hours: Int

    public init(years: Int = 0, months: Int = 0, days: Int = 0, hours: Int = 0) {
        self.years = years
        self.months = months
        self.days = days
        self.hours = hours
    }

    /// Parses `1y2m7d3h`, `7d`, `36h`; units may appear once each, in any order.
    public init(parsing text: String, field: String = "duration") throws {
        var values: [Character: Int] = [:]
        var digits = ""
        let fail = { (why: String) in
            ModelError(code: .invalidDuration, subject: field, message: "'\(text)': \(why); write e.g. 1y2m7d3h")
        }
        for character in text.trimmingCharacters(in: .whitespaces) {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if "ymdh".contains(character) {
                guard let value = Int(digits) else { throw fail("a number must precede '\(character)'") }
                guard values[character] == nil else { throw fail("'\(character)' appears twice") }
                values[character] = value
                digits = ""
            } else {
                throw fail("unexpected character '\(character)'")
            }
        }
        guard digits.isEmpty else { throw fail("'\(digits)' has no unit (y, m, d or h)") }
        guard !values.isEmpty else { throw fail("empty duration") }
        self.init(years: values["y"] ?? 0, months: values["m"] ?? 0, days: values["d"] ?? 0, hours: values["h"] ?? 0)
    }

    /// `date` moved back by this duration in `calendar` (years, months and days as calendar units first,
    /// then hours as elapsed time, as restic does).
    public func subtracted(from date: Date, in calendar: Calendar) -> Date {
        var components = DateComponents()
        components.year = -years
        components.month = -months
        components.day = -days
        let shifted = calendar.date(byAdding: components, to: date) ?? date
        return shifted.addingTimeInterval(-Double(hours) * 3600)
    }

    public var description: String {
        var text = ""
        if years != 0 { text += "\(years)y" }
        if months != 0 { text += "\(months)m" }
        if days != 0 { text += "\(days)d" }
        if hours != 0 || text.isEmpty { text += "\(hours)h" }
        return text
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Which backups to keep. Every rule is optional; a backup is kept if any rule keeps it.
///
/// Bucket counts follow restic's `forget`: `-1` means unlimited. See `Documentation/Retention.md`
/// for how the rules combine.
public struct RetentionPolicy: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case keepLast = "keep_last"
        case keepHourly = "keep_hourly"
        case keepDaily = "keep_daily"
        case keepWeekly = "keep_weekly"
        case keepMonthly = "keep_monthly"
        case keepYearly = "keep_yearly"
        case keepWithin = "keep_within"
        case keepWithinHourly = "keep_within_hourly"
        case keepWithinDaily = "keep_within_daily"
        case keepWithinWeekly = "keep_within_weekly"
        case keepWithinMonthly = "keep_within_monthly"
        case keepWithinYearly = "keep_within_yearly"
        case maxAgeDays = "max_age_days"
        case minCount = "min_count"
        case maxDeletions = "max_deletions"
        case failedGrace = "failed_grace"
        case timeZoneIdentifier = "time_zone"
    }

    /// Keep the N most recent backups.
    public var keepLast: Int?
    /// Keep the newest backup of each of the last N hours that have one.
    public var keepHourly: Int?
    /// Keep the newest backup of each of the last N days that have one.
    public var keepDaily: Int?
    /// Keep the newest backup of each of the last N ISO weeks (Monday–Sunday) that have one.
    public var keepWeekly: Int?
    /// Keep the newest backup of each of the last N months that have one.
    public var keepMonthly: Int?
    /// Keep the newest backup of each of the last N years that have one.
    public var keepYearly: Int?
    /// Keep every backup taken within this duration of the newest backup.
    public var keepWithin: RetentionDuration?
    /// Within this duration of the newest backup, keep the newest backup of each hour.
    public var keepWithinHourly: RetentionDuration?
    public var keepWithinDaily: RetentionDuration?
    public var keepWithinWeekly: RetentionDuration?
    public var keepWithinMonthly: RetentionDuration?
    public var keepWithinYearly: RetentionDuration?
    /// Remove backups older than this many days before `now`, whatever else keeps them
    /// (except the min-count floor and chain dependencies). `0` or `nil` keeps forever.
    /// This is the log platform's `snapshot_days`.
    public var maxAgeDays: Int?
    /// Never leave fewer than this many committed backups per source.
    public var minCount: Int
    /// Remove at most this many backups in one pass; `nil` is unlimited.
    public var maxDeletions: Int?
    /// Failed backups older than this are removed.
    public var failedGrace: RetentionDuration
    /// The IANA time zone that calendar buckets are computed in.
    public var timeZoneIdentifier: String

    public init(
        keepLast: Int? = nil, keepHourly: Int? = nil, keepDaily: Int? = nil, keepWeekly: Int? = nil,
        keepMonthly: Int? = nil, keepYearly: Int? = nil, keepWithin: RetentionDuration? = nil,
        keepWithinHourly: RetentionDuration? = nil, keepWithinDaily: RetentionDuration? = nil,
        keepWithinWeekly: RetentionDuration? = nil, keepWithinMonthly: RetentionDuration? = nil,
        keepWithinYearly: RetentionDuration? = nil, maxAgeDays: Int? = nil, minCount: Int = 1,
        maxDeletions: Int? = nil, failedGrace: RetentionDuration = RetentionDuration(days: 1),
        timeZoneIdentifier: String = "UTC"
    ) {
        self.keepLast = keepLast
        self.keepHourly = keepHourly
        self.keepDaily = keepDaily
        self.keepWeekly = keepWeekly
        self.keepMonthly = keepMonthly
        self.keepYearly = keepYearly
        self.keepWithin = keepWithin
        self.keepWithinHourly = keepWithinHourly
        self.keepWithinDaily = keepWithinDaily
        self.keepWithinWeekly = keepWithinWeekly
        self.keepWithinMonthly = keepWithinMonthly
        self.keepWithinYearly = keepWithinYearly
        self.maxAgeDays = maxAgeDays
        self.minCount = minCount
        self.maxDeletions = maxDeletions
        self.failedGrace = failedGrace
        self.timeZoneIdentifier = timeZoneIdentifier
    }

    /// The zone buckets are computed in; UTC if the identifier is unknown (``validate()`` reports that).
    public var timeZone: TimeZone { TimeZone(identifier: timeZoneIdentifier) ?? .utc }

    /// Whether any keep rule is set. As in restic, a count of 0 and a zero duration mean "not set".
    public var hasKeepRule: Bool {
        [keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly].contains { ($0 ?? 0) != 0 }
            || [keepWithin, keepWithinHourly, keepWithinDaily, keepWithinWeekly, keepWithinMonthly, keepWithinYearly]
                .contains { $0.map { $0 != RetentionDuration() } ?? false }
    }

    /// Checks ranges and the time zone, naming the offending key.
    public func validate() throws {
        let counts: [(String, Int?)] = [
            ("keep_last", keepLast), ("keep_hourly", keepHourly), ("keep_daily", keepDaily),
            ("keep_weekly", keepWeekly), ("keep_monthly", keepMonthly), ("keep_yearly", keepYearly),
        ]
        for (key, value) in counts {
            if let value, value < -1 {
                throw ModelError(
                    code: .invalidValue, subject: "retention.\(key)", message: "must be ≥ 0, or -1 for unlimited; got \(value)")
            }
        }
        if let maxAgeDays, maxAgeDays < 0 {
            throw ModelError(
                code: .invalidValue, subject: "retention.max_age_days", message: "must be ≥ 0 (0 keeps forever); got \(maxAgeDays)")
        }
        if minCount < 0 {
            throw ModelError(code: .invalidValue, subject: "retention.min_count", message: "must be ≥ 0; got \(minCount)")
        }
        if let maxDeletions, maxDeletions < 0 {
            throw ModelError(code: .invalidValue, subject: "retention.max_deletions", message: "must be ≥ 0; got \(maxDeletions)")
        }
        _ = try TimeZone.named(timeZoneIdentifier, field: "retention.time_zone")
    }
}
