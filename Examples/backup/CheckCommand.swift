import ArgumentParser
import BackupModels
import BackupPlans
import Foundation
import Logging

/// `backup check`: everything the plan's next run needs, checked without taking a backup.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the catalog, storage, key, sources, schedule and notifiers the plan's next run needs, without a backup.",
        discussion: """
            Each check prints its status (ok, warning, failed), what it saw and, when not ok, the fix. Exit status: 0 when \
            no check failed, 1 otherwise. See Documentation/Troubleshooting.md.
            """)

    @OptionGroup var options: PlanOptions

    @Flag(name: .long, help: "Print a JSON array of {component, check, status, detail, fix}.")
    var json = false

    @Flag(name: .long, help: "Send a test event ('check') through every notifier of the plan.")
    var notify = false

    func run() async throws {
        try await reportingErrors {
            let level: Logger.Level = options.verbose ? .info : .error
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let plan = try PlanLoader.load(contentsOf: options.plan)
            let results = await Preflight(plan: plan, logger: Logger(label: "backup.check"), sendsTestNotification: notify).run()
            if json {
                print(String(decoding: try JSONCoding.encoder().encode(results), as: UTF8.self))
            } else {
                print(CheckResult.text(results))
            }
            if results.hasFailures { throw ExitCode.failure }
        }
    }
}
