import ArtifactFormat
import BackupModels
import BackupSources
import BackupSupport
import RemoteStorage

/// An error from an export: a request that cannot be packaged, or an upload that does not match what
/// was packaged. Storage and source failures are thrown as their own errors (``StorageError``,
/// ``SourceError``).
public struct ExportError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The request names no path, an unusable app name, or a lifetime that is not positive.
        public static let invalidRequest = Code("invalid request")
        /// The stored object's size differs from the packaged archive's.
        public static let integrity = Code("integrity check failed")
    }

    /// The kind of failure.
    public var code: Code
    /// What was wrong, naming the field or setting at fault.
    public var message: String

    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    /// Creates an error.
    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.message = message
    }

    /// `export: <code>: <message>`.
    public var description: String { "export: \(code): \(message)" }
}
