import ArtifactFormat
import BackupModels
import BackupSupport
import RemoteStorage

/// An error from a MySQL or MariaDB source or restore, naming the setting, tool or server at fault.
///
/// Messages never hold passwords: tools get them through option files, and their standard error is
/// scrubbed of the password before it is quoted.
public struct MySQLError: Error, Sendable, CustomStringConvertible {
    /// What went wrong; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// No `mariadb-dump`/`mysqldump` (or client, or binlog tool) on the search path.
        public static let toolMissing = Code("tool missing")
        /// The server does not answer at the configured host and port.
        public static let unreachable = Code("server unreachable")
        /// The server refused the user or password.
        public static let authentication = Code("authentication failed")
        /// A configured database does not exist.
        public static let unknownDatabase = Code("unknown database")
        /// Incrementals were asked for but the server does not write binary logs.
        public static let binaryLoggingOff = Code("binary logging off")
        /// A binary log needed after the parent backup was purged before it was copied.
        public static let brokenChain = Code("broken chain")
        /// The dump tool failed or the server went away mid-dump.
        public static let dumpFailed = Code("dump failed")
        /// `require_coverage` is set and some schema tables are neither backed up nor excluded.
        public static let coverage = Code("coverage incomplete")
        /// The restore target is the source server and the caller did not insist.
        public static let restoreRefused = Code("restore refused")
        /// Loading the dump or replaying binary logs into the target failed.
        public static let restoreFailed = Code("restore failed")
        /// Another error reported by the server.
        public static let server = Code("server error")
        /// A setting is missing or malformed (password variable unset, bad URL).
        public static let invalidConfiguration = Code("invalid configuration")
    }

    /// What went wrong.
    public var code: Code
    /// The source (or restore target) concerned.
    public var subject: String
    /// The cause, naming the setting, table, file or server.
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

    public var description: String { "mysql '\(subject)': \(code): \(message)" }
}
