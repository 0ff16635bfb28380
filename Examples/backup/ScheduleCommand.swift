import ArgumentParser
import BackupEngine
import BackupModels
import BackupPlans
import BackupScheduler
import BackupSources
import Foundation
import Logging

/// `backup schedule`: runs plans on their `schedule:` until SIGINT or SIGTERM, or prints the next run
/// instants of a plan.
struct Schedule: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Run plans on their schedules until SIGINT or SIGTERM, or print a plan's next run instants.",
        discussion: """
            Without --next, runs every plan at its due instants (cron, window, jitter, missed-run policy), one at \
            a time unless --max-concurrent-runs or the plans' limits.max_concurrent_runs say otherwise, taking each \
            plan's lease in its catalog so that several hosts or processes never run a plan twice. Runs send the \
            plans' notify: events. SIGINT or SIGTERM lets a running backup finish (or, with --cancel-on-shutdown, \
            cancels it: its record is marked failed "interrupted by SIGTERM" and its partial upload removed), then \
            exits 0. See Documentation/Automation.md.
            """)

    @Option(name: .long, help: "A YAML plan with a schedule section (repeatable).")
    var plan: [String] = []

    @Option(name: .long, help: "Only print the next N run instants (without jitter) and exit; runs nothing.")
    var next: Int?

    @Option(name: .long, help: "With --next: count from this instant (ISO 8601) instead of now.")
    var from: String?

    @Flag(name: .long, help: "With --next: print a JSON array of ISO 8601 instants with their UTC offset.")
    var json = false

    @Option(
        name: .long,
        help: "How many plans may run at once (default: the smallest limits.max_concurrent_runs of the plans, else 1).")
    var maxConcurrentRuns: Int?

    @Option(
        name: .long,
        help: """
            How long, in seconds, a plan's lease lasts without renewal (default 120, at least 3). A process that \
            dies mid-run on another host blocks its plans for at most this long; one of this host, not at all.
            """)
    var leaseDuration: Int?

    @Flag(name: .long, help: "On SIGINT or SIGTERM, cancel running backups (they are marked failed) instead of finishing them.")
    var cancelOnShutdown = false

    @Flag(name: .shortAndLong, help: "Log debug details to standard error.")
    var verbose = false

    func validate() throws {
        if plan.isEmpty { throw ValidationError("give at least one --plan FILE") }
        if let next {
            if next < 1 { throw ValidationError("--next must be at least 1, not \(next)") }
            if plan.count != 1 { throw ValidationError("--next prints the runs of one plan: give exactly one --plan") }
        } else {
            if from != nil { throw ValidationError("--from only goes with --next") }
            if json { throw ValidationError("--json only goes with --next") }
        }
        if let maxConcurrentRuns, maxConcurrentRuns < 1 { throw ValidationError("--max-concurrent-runs must be at least 1") }
        if let leaseDuration, leaseDuration < 3 {
            throw ValidationError("--lease-duration must be at least 3 seconds, not \(leaseDuration)")
        }
    }

    func run() async throws {
        try await reportingErrors {
            if let next {
                try printNextRuns(next)
            } else {
                try await runScheduler()
            }
        }
    }

    private func printNextRuns(_ count: Int) throws {
        let loaded = try PlanLoader.load(contentsOf: plan[0])
        let scheduled = try ScheduledPlan(loaded)
        var start = Date()
        if let from {
            guard let date = ISO8601.date(from: from) else {
                throw ValidationError("--from '\(from)' is not an ISO 8601 instant such as 2026-11-25T00:00:00+08:00")
            }
            start = date
        }
        let zone = scheduled.cron.timeZone
        let runs = scheduled.nextRuns(count, after: start)
        if json {
            let data = try JSONCoding.encoder().encode(runs.map { ISO8601.string(from: $0, in: zone) })
            print(String(decoding: data, as: UTF8.self))
            return
        }
        for run in runs {
            var line = ISO8601.string(from: run, in: zone)
            if scheduled.fullCron != nil { line += scheduled.isFullRun(at: run) ? "  full" : "  auto" }
            if let window = scheduled.window, !window.contains(run) {
                line += "  (outside window \(window): will be skipped)"
            }
            print(line)
        }
        if runs.count < count {
            Terminal.standardError("note: the schedule has only \(runs.count) runs in the next nine years")
        }
    }

    private func runScheduler() async throws {
        let level: Logger.Level = verbose ? .debug : .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "backup.schedule")
        var engines: [Engine] = []
        var drills: [String: DrillRequest] = [:]
        for file in plan {
            let loaded = try PlanLoader.load(contentsOf: file)
            var engine = try await Engine.open(loaded, logger: logger)
            engine.cancellationReason = { Signals.interruptionReason }
            // Scheduled runs send the plan's own notifications, and are logged.
            engine.notifier = BackupScheduler.scheduledNotifier(
                plan: engine.notifier, logger: logger, logsAlready: loaded.notify?.log == true)
            engines.append(engine)
            if let drill = loaded.drill, drill.cron != nil { drills[loaded.name] = try drill.request(for: loaded) }
        }
        let limit = maxConcurrentRuns ?? BackupScheduler.Configuration.maxConcurrentRuns(of: engines.map(\.plan)) ?? 1
        logger.info("plans running at once", metadata: ["max_concurrent_runs": "\(limit)"])
        let scheduler = try BackupScheduler(
            engines: engines,
            configuration: BackupScheduler.Configuration(
                maxConcurrentRuns: limit, leaseDuration: .seconds(leaseDuration ?? 120),
                shutdown: cancelOnShutdown ? .cancelRunning : .finishRunning),
            logger: logger, notifier: LogNotifier(logger: logger), drills: drills)
        for scheduled in scheduler.plans {
            let next = scheduled.next(after: Date()).map { ISO8601.string(from: $0, in: scheduled.cron.timeZone) } ?? "never"
            logger.info("scheduled", metadata: ["plan": "\(scheduled.name)", "cron": "\(scheduled.cron)", "next": "\(next)"])
        }
        try await scheduler.runUntilShutdown { shutdown in Signals.onGracefulShutdown(shutdown) }
    }
}
