public import BackupEngine
public import BackupModels
public import Foundation
public import Logging

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
