import ArtifactFormat
import BackupModels
import BackupSupport
import RemoteStorage

/// Which tables of a MySQL source are backed up: every table the schema files define and every
/// table the server holds, each covered, excluded (with the reason) or missing (with the reason).
public struct MySQLCoverageReport: Sendable, Hashable, Codable {
    /// How one table is treated.
    public enum Status: String, Sendable, Hashable, Codable {
        /// The full backup dumps it.
        case covered
        /// Deliberately left out (`exclude_tables`).
        case excluded
        /// Neither dumped nor excluded.
        case missing
    }

    /// One table.
    public struct Table: Sendable, Hashable, Codable {
        /// `database.table`.
        public var name: String
        public var status: Status
        /// Why it is excluded or missing.
        public var reason: String?
        /// Where the table was seen: schema file paths and/or `information_schema`.
        public var origins: [String]

        /// Creates an entry.
        public init(name: String, status: Status, reason: String? = nil, origins: [String]) {
            self.name = name
            self.status = status
            self.reason = reason
            self.origins = origins
        }
    }

    /// The source's name.
    public var source: String
    /// Every table, sorted by name.
    public var tables: [Table]
    /// What could not be read (a schema folder, the live server), so a reader knows what the report lacks.
    public var notes: [String]

    /// Creates a report.
    public init(source: String, tables: [Table], notes: [String] = []) {
        self.source = source
        self.tables = tables
        self.notes = notes
    }

    /// The tables neither backed up nor excluded.
    public var missing: [Table] { tables.filter { $0.status == .missing } }

    /// Whether every table is covered or excluded.
    public var isComplete: Bool { missing.isEmpty }
}
