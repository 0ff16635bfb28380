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
    /// `notify:` — the log, webhooks and commands events go to. Webhook URLs are checked here; header
    /// values come from the environment when the engine opens, never from the plan.
    package func notify(_ node: Node, at keyPath: String) throws -> NotifyConfig {
        let fields = try mapping(node, at: keyPath)
        try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.notify)
        var config = NotifyConfig()
        if let log = fields.optional("log") { config.log = try bool(log, at: fields.path("log")) }
        if let list = fields.optional("webhooks") {
            for (item, itemPath) in try items(list, at: fields.path("webhooks"), nonEmpty: false, expected: "a list of webhooks") {
                let hook = try mapping(item, at: itemPath)
                try hook.rejectUnknownKeys(allowed: PlanLoader.Keys.webhook)
                var webhook = NotifyConfig.Webhook(url: try url(hook.required("url"), at: hook.path("url")))
                if let headers = hook.optional("headers_from_env") {
                    let headerFields = try mapping(headers, at: hook.path("headers_from_env"))
                    for entry in headerFields.entries {
                        webhook.headersFromEnvironment[entry.key] = try environmentVariable(entry.key, in: headerFields)
                    }
                }
                if let timeout = hook.optional("timeout_seconds") {
                    webhook.timeoutSeconds = try positiveDuration(timeout, at: hook.path("timeout_seconds"))
                }
                if let attempts = hook.optional("max_attempts") {
                    webhook.maxAttempts = try int(attempts, at: hook.path("max_attempts"))
                    guard (1...20).contains(webhook.maxAttempts) else {
                        throw error(.invalidValue, at: hook.path("max_attempts"), attempts, "must be between 1 and 20")
                    }
                }
                config.webhooks.append(webhook)
            }
        }
        if let list = fields.optional("commands") {
            for (item, itemPath) in try items(list, at: fields.path("commands"), nonEmpty: false, expected: "a list of commands") {
                let entry = try mapping(item, at: itemPath)
                try entry.rejectUnknownKeys(allowed: PlanLoader.Keys.command)
                var command = NotifyConfig.Command(
                    command: try strings(entry.required("command"), at: entry.path("command"), nonEmpty: true))
                if let timeout = entry.optional("timeout_seconds") {
                    command.timeoutSeconds = try positiveDuration(timeout, at: entry.path("timeout_seconds"))
                }
                config.commands.append(command)
            }
        }
        return config
    }

    /// `limits:` — checked by the engine's `ChildProcessPriority(_:)` and the scheduler; ranges here.
    package func limits(_ node: Node, at keyPath: String) throws -> ResourceLimitsConfig {
        let fields = try mapping(node, at: keyPath)
        try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.limits)
        func bounded(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let node = fields.optional(key) else { return nil }
            let value = try int(node, at: fields.path(key))
            guard range.contains(value) else {
                throw error(.invalidValue, at: fields.path(key), node, "\(value) is out of range \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }
        let ioClass = try fields.optional("ionice").map { node in
            let name = try string(node, at: fields.path("ionice"))
            guard ChildProcessPriority.IOClass(name: name) != nil else {
                throw error(.invalidValue, at: fields.path("ionice"), node, "'\(name)' is not an I/O class (idle, best_effort, realtime)")
            }
            return name
        }
        return ResourceLimitsConfig(
            maxConcurrentRuns: try bounded("max_concurrent_runs", 1...64), niceness: try bounded("nice", -20...19),
            ioClass: ioClass, ioLevel: try bounded("ionice_level", 0...7))
    }

    private func positiveDuration(_ node: Node, at keyPath: String) throws -> Double {
        let seconds = try clockDuration(node, at: keyPath)
        guard seconds > 0 else { throw error(.invalidValue, at: keyPath, node, "must be longer than 0 seconds") }
        return seconds
    }
}
