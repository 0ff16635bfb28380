import ArtifactFormat
import BackupCatalog
import BackupEngine
package import BackupModels
import BackupScheduler
import BackupSources
import Foundation
import RemoteStorage
package import Yams

extension PlanLoader.Reader {
    /// `schedule:`; the zone defaults to the plan's `time_zone`. The cron expressions are parsed here so
    /// that a typo is reported with its line when the plan loads, not when the scheduler starts.
    ///
    /// `cron:` (or its synonym `incremental:`) says when automatic runs are due, `full:` when full
    /// backups are; a plan with only `full:` takes a full backup at each of its instants. `full_every:`
    /// and `max_chain_length:` make an automatic run start a new chain.
    package func schedule(_ node: Node, at keyPath: String, defaultTimeZone: String) throws -> ScheduleConfig {
        let fields = try mapping(node, at: keyPath)
        try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.schedule)
        let zone = try fields.optional("time_zone").map { try timeZone($0, at: fields.path("time_zone")) } ?? defaultTimeZone
        func cronExpression(_ key: String) throws -> String? {
            guard let cronNode = fields.optional(key) else { return nil }
            let cron = try string(cronNode, at: fields.path(key))
            do {
                _ = try CronSchedule(cron, timeZone: TimeZone(identifier: zone) ?? .gmt)
            } catch {
                throw self.error(.invalidValue, at: fields.path(key), cronNode, String(describing: error))
            }
            return cron
        }
        if let both = fields.optional("incremental"), fields.optional("cron") != nil {
            throw error(.invalidValue, at: fields.path("incremental"), both, "give cron or incremental, not both (they mean the same)")
        }
        let full = try cronExpression("full")
        guard let cron = try cronExpression("cron") ?? cronExpression("incremental") ?? full else {
            _ = try fields.required("cron")
            throw error(.invalidValue, at: fields.path("cron"), node, "a schedule needs cron (or full and incremental)")
        }
        let fullEvery = try fields.optional("full_every").map { node in
            let seconds = try clockDuration(node, at: fields.path("full_every"))
            guard seconds > 0 else { throw error(.invalidValue, at: fields.path("full_every"), node, "must be longer than zero") }
            return seconds
        }
        let maxChainLength = try fields.optional("max_chain_length").map { node in
            let length = try int(node, at: fields.path("max_chain_length"))
            guard length >= 1 else {
                throw error(.invalidValue, at: fields.path("max_chain_length"), node, "must be at least 1 (1: every run is full)")
            }
            return length
        }
        let window = try fields.optional("window").map { node in
            let text = try string(node, at: fields.path("window"))
            try checkWindow(text, node, at: fields.path("window"))
            return text
        }
        let jitter = try fields.optional("jitter").map { try clockDuration($0, at: fields.path("jitter")) } ?? 0
        var missed = ScheduleConfig.MissedRunPolicy.runOnce
        if let node = fields.optional("missed") {
            let text = try string(node, at: fields.path("missed"))
            guard let policy = ScheduleConfig.MissedRunPolicy(rawValue: text) else {
                throw error(.invalidValue, at: fields.path("missed"), node, "'\(text)' is not run_once or skip")
            }
            missed = policy
        }
        return ScheduleConfig(
            cron: cron, fullCron: full, timeZoneIdentifier: zone, window: window, jitterSeconds: jitter, missed: missed,
            fullEverySeconds: fullEvery, maxChainLength: maxChainLength)
    }

    /// `HH:MM-HH:MM`, 24-hour clock; the end may be earlier than the start (the window wraps midnight).
    private func checkWindow(_ text: String, _ node: Node, at keyPath: String) throws {
        func minutes(_ part: Substring) -> Int? {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count == 2, pieces.allSatisfy({ $0.count == 2 }), let hour = Int(pieces[0]),
                let minute = Int(pieces[1]), (0...23).contains(hour), (0...59).contains(minute)
            else { return nil }
            return hour * 60 + minute
        }
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2, let start = minutes(ends[0]), let end = minutes(ends[1]) else {
            throw error(.invalidValue, at: keyPath, node, "'\(text)' is not a window such as 01:00-05:00")
        }
        guard start != end else {
            throw error(.invalidValue, at: keyPath, node, "the window '\(text)' is empty; leave window out to allow any time")
        }
    }

    /// The longest clock duration accepted: 100 years of seconds. Longer ones mean nothing for a schedule, and
    /// huge ones trapped when converted back to whole seconds (found by fuzzing: Fuzz/Regressions/plan).
    package static let longestClockDuration = 3_155_760_000.0

    /// A clock duration in seconds: `90`, `45s`, `5m`, `1h30m`, `7d`; at most 100 years.
    package func clockDuration(_ node: Node, at keyPath: String) throws -> Double {
        func bounded(_ seconds: Double) throws -> Double {
            guard seconds <= Self.longestClockDuration else {
                throw error(.invalidValue, at: keyPath, node, "is longer than 100 years")
            }
            return seconds
        }
        if node.tagName == .int {
            let seconds = try int(node, at: keyPath)
            guard seconds >= 0 else { throw error(.invalidValue, at: keyPath, node, "must not be negative") }
            return try bounded(Double(seconds))
        }
        let text = try string(node, at: keyPath)
        var total = 0.0
        var digits = ""
        var seen: Set<Character> = []
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if let unit = ["d": 86_400.0, "h": 3600.0, "m": 60.0, "s": 1.0][character], let value = Double(digits),
                !seen.contains(character)
            {
                total += value * unit
                seen.insert(character)
                digits = ""
            } else {
                throw error(.invalidValue, at: keyPath, node, "'\(text)' is not a duration such as 30s, 5m, 1h30m or 7d")
            }
        }
        guard digits.isEmpty, !seen.isEmpty else {
            throw error(.invalidValue, at: keyPath, node, "'\(text)' is not a duration such as 30s, 5m, 1h30m or 7d")
        }
        return try bounded(total)
    }
}
