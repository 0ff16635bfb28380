import BackupModels

/// An error from the archive lifecycle: a refused configuration or restore, or a cluster that failed it.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. Extensible: adding a code never breaks a `switch` in user code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// A repository, snapshot or table name the cluster would refuse.
        public static let invalidName = Code("invalid name")
        /// No configuration or restore with that id.
        public static let notFound = Code("not found")
        /// No archived index overlaps the requested time range.
        public static let noArchivedData = Code("no archived data")
        /// The restore would fill the cluster's disk past the allowed share.
        public static let insufficientDisk = Code("insufficient disk")
        /// A snapshot ended FAILED or PARTIAL on every allowed attempt.
        public static let snapshotFailed = Code("snapshot failed")
        /// The cluster refused or failed a restore.
        public static let restoreFailed = Code("restore failed")
        /// A snapshot or restore did not finish within the allowed polls.
        public static let timedOut = Code("timed out")
        /// The cluster refused on a limit (a concurrent snapshot, deletion or restore) past the run's
        /// wait budget; nothing failed, the next run tries again.
        public static let busy = Code("cluster busy")
        /// The cluster holds something the lifecycle does not own (a `restore_*` index no live restore
        /// lists), or rebuilt facts disagree with the catalog.
        public static let conflict = Code("conflict")
    }

    /// What went wrong.
    public var code: Code
    /// The field, name or id at fault (`repository`, `start_time`, a snapshot name, a restore id).
    public var subject: String
    /// What happened and what to do.
    public var message: String

    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    /// Creates an error.
    public init(code: Code, subject: String, message: String, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.subject = subject
        self.message = message
    }

    /// `<code>: <subject>: <message>`.
    public var description: String { "\(code): \(subject): \(message)" }
}
