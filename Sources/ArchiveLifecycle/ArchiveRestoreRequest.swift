import BackupModels
public import Foundation

/// A request to bring back a table's archived data for a time range.
public struct ArchiveRestoreRequest: Hashable, Sendable {
    /// The table whose archived indices are restored.
    public var tableID: String
    /// The first instant of the range (inclusive).
    public var start: Date
    /// The last instant of the range (inclusive).
    public var end: Date
    /// When the restored indices are deleted (extendable).
    public var expiresAt: Date
    /// The business that asked.
    public var businessID: String
    /// The index set the restored indices are exposed through, if any.
    public var indexSetID: String?
    /// Its name.
    public var indexSetName: String?
    /// Users told once when the restore is done or failed.
    public var notifyUsers: [String]

    /// Creates a request.
    public init(
        tableID: String, start: Date, end: Date, expiresAt: Date, businessID: String = "", indexSetID: String? = nil,
        indexSetName: String? = nil, notifyUsers: [String] = []
    ) {
        self.tableID = tableID
        self.start = start
        self.end = end
        self.expiresAt = expiresAt
        self.businessID = businessID
        self.indexSetID = indexSetID
        self.indexSetName = indexSetName
        self.notifyUsers = notifyUsers
    }
}
