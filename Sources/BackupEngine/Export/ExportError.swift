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
        private enum Base: String, Hashable, Sendable {
            case invalidRequest = "invalid request"
            case integrity = "integrity check failed"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The request names no path, an unusable app name, or a lifetime that is not positive.
        public static let invalidRequest = Code(.invalidRequest)
        /// The stored object's size differs from the packaged archive's.
        public static let integrity = Code(.integrity)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What was wrong, naming the field or setting at fault.
    public var message: String

    /// Creates an error.
    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.message = message
    }

    /// `export: <code>: <message>`.
    public var description: String { "export: \(code): \(message)" }
}
