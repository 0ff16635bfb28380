/// Where a plan's events go (`notify:` in plans).
///
/// ```yaml
/// notify:
///   log: true
///   webhooks:
///     - url: https://hooks.example.com/backup
///       headers_from_env: {Authorization: BACKUP_WEBHOOK_AUTH}
///       timeout: 10s
///   commands:
///     - command: [/usr/local/bin/page-oncall, --team, storage]
///       timeout: 30s
/// ```
///
/// Secrets never sit in the plan: header values are read from the environment variables named in
/// `headers_from_env`.
public struct NotifyConfig: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case log, webhooks, commands
    }

    /// A webhook that receives each event as a JSON POST.
    public struct Webhook: Hashable, Codable, Sendable {
        enum CodingKeys: String, CodingKey {
            case url
            case headersFromEnvironment = "headers_from_env"
            case timeoutSeconds = "timeout_seconds"
            case maxAttempts = "max_attempts"
        }

        /// The endpoint, http or https.
        public var url: String
        /// Header name → name of the environment variable holding its value.
        public var headersFromEnvironment: [String: String]
        /// The timeout of one attempt, in seconds.
        public var timeoutSeconds: Double
        /// The most attempts, the first included.
        public var maxAttempts: Int

        /// Creates a webhook setting.
        /// - Parameters:
        ///   - url: The endpoint.
        ///   - headersFromEnvironment: Header name → environment variable name.
        ///   - timeoutSeconds: The timeout of one attempt.
        ///   - maxAttempts: The most attempts.
        public init(url: String, headersFromEnvironment: [String: String] = [:], timeoutSeconds: Double = 10, maxAttempts: Int = 5) {
            self.url = url
            self.headersFromEnvironment = headersFromEnvironment
            self.timeoutSeconds = timeoutSeconds
            self.maxAttempts = maxAttempts
        }
    }

    /// A command run for each event with the event's JSON on standard input.
    public struct Command: Hashable, Codable, Sendable {
        enum CodingKeys: String, CodingKey {
            case command
            case timeoutSeconds = "timeout_seconds"
        }

        /// The executable followed by its arguments.
        public var command: [String]
        /// How long the command may run, in seconds.
        public var timeoutSeconds: Double

        /// Creates a command setting.
        /// - Parameters:
        ///   - command: The executable and its arguments.
        ///   - timeoutSeconds: How long the command may run.
        public init(command: [String], timeoutSeconds: Double = 30) {
            self.command = command
            self.timeoutSeconds = timeoutSeconds
        }
    }

    /// Whether events are also written to the log.
    public var log: Bool
    /// The webhooks.
    public var webhooks: [Webhook]
    /// The commands.
    public var commands: [Command]

    /// Creates a notification setting.
    /// - Parameters:
    ///   - log: Whether events are written to the log.
    ///   - webhooks: The webhooks.
    ///   - commands: The commands.
    public init(log: Bool = true, webhooks: [Webhook] = [], commands: [Command] = []) {
        self.log = log
        self.webhooks = webhooks
        self.commands = commands
    }
}
