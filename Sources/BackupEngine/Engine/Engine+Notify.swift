public import BackupModels
public import Foundation
public import Logging

extension Engine {
    /// Sends `event` to the engine's notifier, if any. Delivery failures are logged, never thrown:
    /// a webhook that is down must not turn a committed backup into a failed run.
    func deliver(_ event: BackupEvent) async {
        guard let notifier else { return }
        do {
            try await notifier.notify(event)
        } catch {
            logger.warning("notification not delivered", metadata: ["event": "\(event.kind)", "error": "\(error)"])
        }
    }

    /// One event per source of a backup run: succeeded with its record, or failed with the reason.
    func notifyBackupOutcomes(_ outcomes: [SourceRunOutcome]) async {
        for outcome in outcomes {
            if let record = outcome.record {
                let finished = record.finishedAt ?? clock()
                let duration = Duration.milliseconds(Int64((finished.timeIntervalSince(record.startedAt) * 1000).rounded()))
                await deliver(
                    .backupSucceeded(
                        plan: plan.name, source: outcome.source, backupID: record.id, label: record.label, kind: record.kind,
                        bytes: record.sizeBytes, duration: duration, at: finished))
            } else {
                let reason = outcome.error.map { String(describing: $0) } ?? "unknown error"
                await deliver(.backupFailed(plan: plan.name, source: outcome.source, reason: reason, at: clock()))
            }
        }
    }
}

extension Engine {
    /// Builds the notifier a `notify:` section describes: a log notifier, webhooks and commands,
    /// combined in a ``MultiNotifier`` when there are several.
    ///
    /// - Parameters:
    ///   - config: The section as parsed from the plan.
    ///   - logger: The logger of the log notifier.
    ///   - environment: Where `headers_from_env` values are read; the process environment by default.
    /// - Returns: The notifier, or `nil` when the section sends nothing anywhere.
    /// - Throws: ``NotifyError`` with code ``NotifyError/Code-swift.struct/invalidConfiguration`` whose
    ///   subject names the setting at fault (`notify.webhooks[0].url`, `notify.commands[1].command`,
    ///   `notify.webhooks[0].headers_from_env.Authorization`); never a header value.
    public static func makeNotifier(
        _ config: NotifyConfig, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (any Notifier)? {
        var notifiers: [any Notifier] = []
        if config.log { notifiers.append(LogNotifier(logger: logger)) }
        for (index, webhook) in config.webhooks.enumerated() {
            let setting = "notify.webhooks[\(index)]"
            var headers: [String: String] = [:]
            for (header, variable) in webhook.headersFromEnvironment.sorted(by: { $0.key < $1.key }) {
                guard let value = environment[variable], !value.isEmpty else {
                    throw NotifyError(
                        code: .invalidConfiguration, subject: "\(setting).headers_from_env.\(header)",
                        message: "environment variable \(variable) is not set")
                }
                headers[header] = value
            }
            let timeout = try positive(webhook.timeoutSeconds, setting: "\(setting).timeout_seconds")
            notifiers.append(
                try WebhookNotifier(
                    url: webhook.url, setting: "\(setting).url", headers: headers,
                    retry: RetryPolicy(maxAttempts: webhook.maxAttempts), timeout: timeout))
        }
        for (index, command) in config.commands.enumerated() {
            let setting = "notify.commands[\(index)]"
            guard let executable = command.command.first, !executable.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw NotifyError(
                    code: .invalidConfiguration, subject: "\(setting).command",
                    message: "expected the executable followed by its arguments, such as [/usr/local/bin/notify, --team, storage]")
            }
            let timeout = try positive(command.timeoutSeconds, setting: "\(setting).timeout_seconds")
            notifiers.append(CommandNotifier(executable: executable, arguments: Array(command.command.dropFirst()), timeout: timeout))
        }
        switch notifiers.count {
        case 0: return nil
        case 1: return notifiers[0]
        default: return MultiNotifier(notifiers)
        }
    }

    private static func positive(_ seconds: Double, setting: String) throws -> Duration {
        guard seconds.isFinite, seconds > 0 else {
            throw NotifyError(code: .invalidConfiguration, subject: setting, message: "\(seconds): expected a positive number of seconds")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
