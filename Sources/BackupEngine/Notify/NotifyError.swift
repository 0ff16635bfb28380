import ArtifactFormat
import BackupModels
import BackupSources
import BackupSupport
import RemoteStorage

/// An error from a ``Notifier``: a command that failed or timed out, a webhook that answered with an
/// error, a setting that is invalid. The message never holds header values, URL credentials or queries,
/// or a command's environment.
public struct NotifyError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem occurred.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration = "invalid configuration"
            case commandFailed = "command failed"
            case commandTimedOut = "command timed out"
            case webhookFailed = "webhook failed"
            case encoding = "encoding failed"
            case partialDelivery = "some notifiers failed"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A notifier setting is wrong (a URL that is not http/https, a missing host).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A command could not start or exited with a non-zero status.
        public static let commandFailed = Code(.commandFailed)
        /// A command ran longer than its timeout and was terminated.
        public static let commandTimedOut = Code(.commandTimedOut)
        /// A webhook kept failing (connection error, timeout or HTTP error) until retries ran out.
        public static let webhookFailed = Code(.webhookFailed)
        /// The event could not be encoded to JSON.
        public static let encoding = Code(.encoding)
        /// A ``MultiNotifier`` delivered to some notifiers but not all.
        public static let partialDelivery = Code(.partialDelivery)

        public var description: String { base.rawValue }
    }

    /// What kind of problem occurred.
    public var code: Code
    /// What failed: the command's executable, the webhook's redacted URL, or the setting's name.
    public var subject: String
    /// A human-readable explanation.
    public var message: String
    /// The last HTTP status a webhook answered with, if it answered at all.
    public var status: Int?
    /// How many attempts were made, for notifiers that retry.
    public var attempts: Int?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of problem occurred.
    ///   - subject: The command, redacted URL or setting at fault; never a secret.
    ///   - message: A human-readable explanation.
    ///   - status: The last HTTP status, if any.
    ///   - attempts: How many attempts were made, if the notifier retries.
    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    public init(code: Code, subject: String, message: String, status: Int? = nil, attempts: Int? = nil, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.subject = subject
        self.message = message
        self.status = status
        self.attempts = attempts
    }

    public var description: String {
        var text = "notify: \(code) '\(subject)': \(message)"
        if let status { text += " (HTTP \(status))" }
        if let attempts { text += " after \(attempts) attempt\(attempts == 1 ? "" : "s")" }
        return text
    }
}
