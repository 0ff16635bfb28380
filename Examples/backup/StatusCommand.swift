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
        discussion: "Exit status: 0 when every source's latest backup succeeded (or is running), 1 otherwise.")

    @Option(name: .long, help: "A YAML plan (repeatable).")
    var plan: [String] = []

    @Flag(name: .long, help: "Print a JSON array, one object per plan (see Documentation/Automation.md).")
    var json = false

    @Option(name: .long, help: "Use this instant (ISO 8601) as the current time.")
    var time: String?

    func validate() throws {
        if plan.isEmpty { throw ValidationError("give at least one --plan FILE") }
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
            for file in plan {
                let engine = try await Engine.open(try PlanLoader.load(contentsOf: file), logger: logger)
                statuses.append(try await PlanStatus.read(for: engine, now: now))
            }
            print(json ? try Self.json(statuses) : Self.text(statuses))
            let unhealthy = statuses.contains { status in
                status.sources.contains { $0.latest.map { $0.state == .failed || $0.state == .expired } ?? true }
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
        var label: String?
        var kind: String?
        var started_at: Date?
        var finished_at: Date?
        var size_bytes: Int64?
        var failure_reason: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(source, forKey: .source)
            try container.encode(state, forKey: .state)
            try container.encode(label, forKey: .label)
            try container.encode(kind, forKey: .kind)
            try container.encode(started_at, forKey: .started_at)
            try container.encode(finished_at, forKey: .finished_at)
            try container.encode(size_bytes, forKey: .size_bytes)
            try container.encode(failure_reason, forKey: .failure_reason)
        }

        enum CodingKeys: String, CodingKey {
            case source, state, label, kind, started_at, finished_at, size_bytes, failure_reason
        }
    }

    static func rows(_ statuses: [PlanStatus]) -> [PlanRow] {
        statuses.map { status in
            let zone = status.schedule?.cron.timeZone ?? .gmt
            return PlanRow(
                plan: status.plan, schedule: status.schedule.map { "\($0.cron)" }, time_zone: status.timeZoneIdentifier,
                window: status.schedule?.window.map { "\($0)" }, next_run: status.nextRun.map { ISO8601.string(from: $0, in: zone) },
                running_on: status.runningOn.map { "\($0.host):\($0.pid)" },
                sources: status.sources.map { source in
                    let record = source.latest
                    return SourceRow(
                        source: source.source, state: record?.state.rawValue, label: record?.label.rawValue,
                        kind: record?.kind.rawValue, started_at: record?.startedAt, finished_at: record?.finishedAt,
                        size_bytes: record?.sizeBytes, failure_reason: record?.failureReason)
                })
        }
    }

    static func json(_ statuses: [PlanStatus]) throws -> String {
        String(decoding: try JSONCoding.encoder().encode(rows(statuses)), as: UTF8.self)
    }

    static func text(_ statuses: [PlanStatus]) -> String {
        var lines: [String] = []
        for row in rows(statuses) {
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
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }
}
