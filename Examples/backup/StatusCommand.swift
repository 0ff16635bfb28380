import ArgumentParser
import BackupCatalog
import BackupEngine
import BackupModels
import BackupPlans
import BackupScheduler
import BackupSources
import Foundation
import Logging

/// `backup status`: the latest result of each source of each plan, and the plan's next run.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each plan's latest backup per source, whether it runs now, and its next run.",
        discussion: """
            Exit status: 0 when every source's latest backup succeeded or is running in a live process, 1 when one \
            failed, has none, is a stale running record (its process is gone), or, with --max-age, when a source's \
            newest committed backup is older than that.
            """)

    @Option(name: .long, help: "A YAML plan (repeatable).")
    var plan: [String] = []

    @Flag(name: .long, help: "Print a JSON array, one object per plan (see Documentation/Automation.md).")
    var json = false

    @Option(name: .long, help: "Use this instant (ISO 8601) as the current time.")
    var time: String?

    @Option(
        name: .customLong("max-age"),
        help: "Exit 1 when a source's newest committed backup is older than this (90m, 26h, 2d, 1d12h).")
    var maxAge: String?

    func validate() throws {
        if plan.isEmpty { throw ValidationError("give at least one --plan FILE") }
        if let maxAge, Self.seconds(maxAge) == nil {
            throw ValidationError("--max-age '\(maxAge)' is not a duration such as 90m, 26h or 2d")
        }
    }

    /// `90m`, `26h`, `2d`, `1d12h`, `45s`: seconds, or `nil` when the text is not such a duration.
    static func seconds(_ text: String) -> TimeInterval? {
        var total: TimeInterval = 0
        var digits = ""
        var seen: Set<Character> = []
        for character in text {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if let unit = ["d": 86_400.0, "h": 3_600.0, "m": 60.0, "s": 1.0][character], let value = Double(digits),
                seen.insert(character).inserted
            {
                total += value * unit
                digits = ""
            } else {
                return nil
            }
        }
        guard digits.isEmpty, !seen.isEmpty, total > 0 else { return nil }
        return total
    }

    func run() async throws {
        try await reportingErrors {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = .warning
                return handler
            }
            let logger = Logger(label: "backup.status")
            let now = try PlanOptions.clock(time)()
            var statuses: [PlanStatus] = []
            var drills: [String: [String: DrillRecord]] = [:]
            for file in plan {
                let engine = try await Engine.open(try PlanLoader.load(contentsOf: file), logger: logger)
                statuses.append(try await PlanStatus.read(for: engine, now: now))
                drills[engine.plan.name] = try await engine.catalog.lastDrillPerSource(plan: engine.plan.name)
            }
            let limit = maxAge.flatMap(Self.seconds)
            print(
                json
                    ? try Self.json(statuses, now: now, maxAge: limit, drills: drills) : Self.text(statuses, now: now, maxAge: limit))
            let unhealthy = statuses.contains { status in
                status.sources.contains { source in
                    guard let latest = source.latest, latest.state != .failed, latest.state != .expired, latest.state != .missing,
                        !source.isStale
                    else {
                        return true
                    }
                    return Self.isTooOld(source, now: now, maxAge: limit)
                }
            }
            if unhealthy { throw ExitCode.failure }
        }
    }

    struct PlanRow: Encodable {
        var plan: String
        var schedule: String?
        var time_zone: String?
        var window: String?
        var next_run: String?
        var running_on: String?
        var sources: [SourceRow]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(plan, forKey: .plan)
            try container.encode(schedule, forKey: .schedule)
            try container.encode(time_zone, forKey: .time_zone)
            try container.encode(window, forKey: .window)
            try container.encode(next_run, forKey: .next_run)
            try container.encode(running_on, forKey: .running_on)
            try container.encode(sources, forKey: .sources)
        }

        enum CodingKeys: String, CodingKey {
            case plan, schedule, time_zone, window, next_run, running_on, sources
        }
    }

    struct SourceRow: Encodable {
        var source: String
        var state: String?
        /// The host that took (or is taking) the newest record.
        var host: String?
        var label: String?
        var kind: String?
        var started_at: Date?
        var finished_at: Date?
        var size_bytes: Int64?
        var failure_reason: String?
        var stale: Bool
        var last_committed_at: Date?
        var too_old: Bool
        /// The source's newest restore drill, `null` when it was never drilled.
        var last_drill: DrillRecord?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(source, forKey: .source)
            try container.encode(state, forKey: .state)
            try container.encode(host, forKey: .host)
            try container.encode(label, forKey: .label)
            try container.encode(kind, forKey: .kind)
            try container.encode(started_at, forKey: .started_at)
            try container.encode(finished_at, forKey: .finished_at)
            try container.encode(size_bytes, forKey: .size_bytes)
            try container.encode(failure_reason, forKey: .failure_reason)
            try container.encode(stale, forKey: .stale)
            try container.encode(last_committed_at, forKey: .last_committed_at)
            try container.encode(too_old, forKey: .too_old)
            try container.encode(last_drill, forKey: .last_drill)
        }

        enum CodingKeys: String, CodingKey {
            case source, state, host, label, kind, started_at, finished_at, size_bytes, failure_reason, stale, last_committed_at, too_old
            case last_drill
        }
    }

    /// Whether a source's newest committed backup is older than `maxAge` (or missing) when a limit is given.
    static func isTooOld(_ source: PlanStatus.SourceStatus, now: Date, maxAge: TimeInterval?) -> Bool {
        guard let maxAge else { return false }
        guard let committed = source.latestCommitted else { return true }
        return now.timeIntervalSince(committed.finishedAt ?? committed.startedAt) > maxAge
    }

    static func rows(
        _ statuses: [PlanStatus], now: Date, maxAge: TimeInterval?, drills: [String: [String: DrillRecord]] = [:]
    ) -> [PlanRow] {
        statuses.map { status in
            let zone = status.schedule?.cron.timeZone ?? .gmt
            return PlanRow(
                plan: status.plan, schedule: status.schedule.map { "\($0.cron)" }, time_zone: status.timeZoneIdentifier,
                window: status.schedule?.window.map { "\($0)" }, next_run: status.nextRun.map { ISO8601.string(from: $0, in: zone) },
                running_on: status.runningOn.map { "\($0.host):\($0.pid)" },
                sources: status.sources.map { source in
                    let record = source.latest
                    return SourceRow(
                        source: source.source, state: record?.state.rawValue, host: record?.host, label: record?.label.rawValue,
                        kind: record?.kind.rawValue, started_at: record?.startedAt, finished_at: record?.finishedAt,
                        size_bytes: record?.sizeBytes, failure_reason: record?.failureReason, stale: source.isStale,
                        last_committed_at: source.latestCommitted.map { $0.finishedAt ?? $0.startedAt },
                        too_old: isTooOld(source, now: now, maxAge: maxAge), last_drill: drills[status.plan]?[source.source])
                })
        }
    }

    static func json(
        _ statuses: [PlanStatus], now: Date, maxAge: TimeInterval?, drills: [String: [String: DrillRecord]] = [:]
    ) throws -> String {
        String(decoding: try JSONCoding.encoder().encode(rows(statuses, now: now, maxAge: maxAge, drills: drills)), as: UTF8.self)
    }

    static func text(_ statuses: [PlanStatus], now: Date, maxAge: TimeInterval?) -> String {
        var lines: [String] = []
        for row in rows(statuses, now: now, maxAge: maxAge) {
            var header = "plan \(row.plan)"
            if let schedule = row.schedule, let zone = row.time_zone {
                header += ": \(schedule) \(zone)"
                if let window = row.window { header += ", window \(window)" }
                header += ", next run \(row.next_run ?? "never")"
            } else {
                header += ": no schedule"
            }
            lines.append(header)
            if let running = row.running_on { lines.append("  running now on \(running)") }
            for source in row.sources {
                guard let state = source.state, let label = source.label else {
                    lines.append("  \(source.source): no backup yet")
                    continue
                }
                var line = "  \(source.source): \(state) \(source.kind ?? "") \(label)"
                if let finished = source.finished_at { line += " at \(ISO8601.string(from: finished))" }
                if state == "committed", let size = source.size_bytes { line += ", \(Summary.bytes(size))" }
                if let reason = source.failure_reason { line += ": \(reason)" }
                if source.stale { line += " (stale: no live process runs it; the next run marks it failed and cleans up)" }
                if source.too_old {
                    line +=
                        source.last_committed_at.map { ", newest committed backup \(ISO8601.string(from: $0)) is older than --max-age" }
                        ?? ", no committed backup (--max-age)"
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }
}
