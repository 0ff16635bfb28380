import ArtifactFormat
import BackupModels
import BackupSources
import BackupSupport
public import Foundation
import RemoteStorage

/// What to export: files and folders packaged together as one `.tar.gz`.
public struct ExportRequest: Hashable, Sendable {
    /// Files or folders; each becomes a top-level entry of the archive named after its last component.
    public var paths: [String]
    /// The application the export belongs to (first field of the name).
    public var app: String
    /// The index set the export was made for; `nil` makes a union export, whose name has no id.
    public var indexSetID: Int?
    /// How long the download link works, in seconds; one day by default.
    public var linkLifetime: TimeInterval

    /// Creates a request.
    public init(paths: [String], app: String, indexSetID: Int? = nil, linkLifetime: TimeInterval = 86_400) {
        self.paths = paths
        self.app = app
        self.indexSetID = indexSetID
        self.linkLifetime = linkLifetime
    }
}
