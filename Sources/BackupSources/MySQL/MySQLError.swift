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
        private enum Base: String, Hashable, Sendable {
            case toolMissing = "tool missing"
            case unreachable = "server unreachable"
            case authentication = "authentication failed"
            case unknownDatabase = "unknown database"
            case binaryLoggingOff = "binary logging off"
            case brokenChain = "broken chain"
            case dumpFailed = "dump failed"
            case coverage = "coverage incomplete"
            case restoreRefused = "restore refused"
            case restoreFailed = "restore failed"
            case server = "server error"
            case invalidConfiguration = "invalid configuration"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No `mariadb-dump`/`mysqldump` (or client, or binlog tool) on the search path.
        public static let toolMissing = Code(.toolMissing)
        /// The server does not answer at the configured host and port.
        public static let unreachable = Code(.unreachable)
        /// The server refused the user or password.
        public static let authentication = Code(.authentication)
        /// A configured database does not exist.
        public static let unknownDatabase = Code(.unknownDatabase)
        /// Incrementals were asked for but the server does not write binary logs.
        public static let binaryLoggingOff = Code(.binaryLoggingOff)
        /// A binary log needed after the parent backup was purged before it was copied.
        public static let brokenChain = Code(.brokenChain)
        /// The dump tool failed or the server went away mid-dump.
        public static let dumpFailed = Code(.dumpFailed)
        /// `require_coverage` is set and some schema tables are neither backed up nor excluded.
        public static let coverage = Code(.coverage)
        /// The restore target is the source server and the caller did not insist.
        public static let restoreRefused = Code(.restoreRefused)
        /// Loading the dump or replaying binary logs into the target failed.
        public static let restoreFailed = Code(.restoreFailed)
        /// Another error reported by the server.
        public static let server = Code(.server)
        /// A setting is missing or malformed (password variable unset, bad URL).
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The source (or restore target) concerned.
    public var subject: String
    /// The cause, naming the setting, table, file or server.
    public var message: String

    /// Creates an error.
    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    public init(code: Code, subject: String, message: String, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.subject = subject
        self.message = message
    }

    public var description: String { "mysql '\(subject)': \(code): \(message)" }
}
