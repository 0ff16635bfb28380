import BackupModels

/// An error from the archive lifecycle: a refused configuration or restore, or a cluster that failed it.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    /// What went wrong. Extensible: adding a code never breaks a `switch` in user code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidName = "invalid name"
            case notFound = "not found"
            case noArchivedData = "no archived data"
            case insufficientDisk = "insufficient disk"
            case snapshotFailed = "snapshot failed"
            case restoreFailed = "restore failed"
            case timedOut = "timed out"
            case busy = "cluster busy"
            case conflict = "conflict"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A repository, snapshot or table name the cluster would refuse.
        public static let invalidName = Code(.invalidName)
        /// No configuration or restore with that id.
        public static let notFound = Code(.notFound)
        /// No archived index overlaps the requested time range.
        public static let noArchivedData = Code(.noArchivedData)
        /// The restore would fill the cluster's disk past the allowed share.
        public static let insufficientDisk = Code(.insufficientDisk)
        /// A snapshot ended FAILED or PARTIAL on every allowed attempt.
        public static let snapshotFailed = Code(.snapshotFailed)
        /// The cluster refused or failed a restore.
        public static let restoreFailed = Code(.restoreFailed)
        /// A snapshot or restore did not finish within the allowed polls.
        public static let timedOut = Code(.timedOut)
        /// The cluster refused on a limit (a concurrent snapshot, deletion or restore) past the run's
        /// wait budget; nothing failed, the next run tries again.
        public static let busy = Code(.busy)
        /// The cluster holds something the lifecycle does not own (a `restore_*` index no live restore
        /// lists), or rebuilt facts disagree with the catalog.
        public static let conflict = Code(.conflict)

        /// The code's name.
        public var description: String { base.rawValue }
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
