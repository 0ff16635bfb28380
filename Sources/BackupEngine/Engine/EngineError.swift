import ArtifactFormat
public import BackupModels
import BackupSources
import BackupSupport
import RemoteStorage

/// An error from the engine: a backup, restore, verify or prune that could not complete.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// Another process runs the plan.
        public static let locked = Code("plan locked")
        /// The backup is not committed, or its chain is incomplete.
        public static let notRestorable = Code("not restorable")
        /// An artifact's checksum, size or content is wrong.
        public static let damaged = Code("backup damaged")
        /// Restore refuses a non-empty folder unless told otherwise.
        public static let targetNotEmpty = Code("restore target not empty")
        /// Storage holds a different number of bytes than were written.
        public static let sizeMismatch = Code("size mismatch")
        /// The plan has no source with that name.
        public static let unknownSource = Code("unknown source")
        /// The key is missing, unreadable or does not match the artifact.
        public static let encryptionKey = Code("encryption key")
        /// Reading or writing storage or local files failed.
        public static let io = Code("I/O error")
        /// The run was cancelled (SIGTERM, SIGINT, or the host cancelled its task).
        public static let cancelled = Code("cancelled")
        /// A request the engine cannot act on: an argument out of range (a sampling percentage) or a
        /// setting the request needs and the plan lacks (a drill of a MySQL backup without a scratch server).
        public static let invalidRequest = Code("invalid request")
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
