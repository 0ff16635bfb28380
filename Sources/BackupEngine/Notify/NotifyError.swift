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
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// A notifier setting is wrong (a URL that is not http/https, a missing host).
        public static let invalidConfiguration = Code("invalid configuration")
        /// A command could not start or exited with a non-zero status.
        public static let commandFailed = Code("command failed")
        /// A command ran longer than its timeout and was terminated.
        public static let commandTimedOut = Code("command timed out")
        /// A webhook kept failing (connection error, timeout or HTTP error) until retries ran out.
        public static let webhookFailed = Code("webhook failed")
        /// The event could not be encoded to JSON.
        public static let encoding = Code("encoding failed")
        /// A ``MultiNotifier`` delivered to some notifiers but not all.
        public static let partialDelivery = Code("some notifiers failed")
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

    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of problem occurred.
    ///   - subject: The command, redacted URL or setting at fault; never a secret.
    ///   - message: A human-readable explanation.
    ///   - status: The last HTTP status, if any.
    ///   - attempts: How many attempts were made, if the notifier retries.
    ///   - underlying: The error that caused this one, if any.
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
