import ArtifactFormat
public import BackupModels
import BackupSources
import BackupSupport
import RemoteStorage

/// An error from the engine: a backup, restore, verify or prune that could not complete.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case locked = "plan locked"
            case notRestorable = "not restorable"
            case damaged = "backup damaged"
            case targetNotEmpty = "restore target not empty"
            case sizeMismatch = "size mismatch"
            case unknownSource = "unknown source"
            case encryptionKey = "encryption key"
            case io = "I/O error"
            case cancelled = "cancelled"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Another process runs the plan.
        public static let locked = Code(.locked)
        /// The backup is not committed, or its chain is incomplete.
        public static let notRestorable = Code(.notRestorable)
        /// An artifact's checksum, size or content is wrong.
        public static let damaged = Code(.damaged)
        /// Restore refuses a non-empty folder unless told otherwise.
        public static let targetNotEmpty = Code(.targetNotEmpty)
        /// Storage holds a different number of bytes than were written.
        public static let sizeMismatch = Code(.sizeMismatch)
        /// The plan has no source with that name.
        public static let unknownSource = Code(.unknownSource)
        /// The key is missing, unreadable or does not match the artifact.
        public static let encryptionKey = Code(.encryptionKey)
        public static let io = Code(.io)
        public static let cancelled = Code(.cancelled)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The backup concerned, when there is one.
    public var backupID: BackupID?

    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    public init(code: Code, message: String, backupID: BackupID? = nil, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.message = message
        self.backupID = backupID
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let backupID { text += " [backup \(backupID)]" }
        return text
    }
}
