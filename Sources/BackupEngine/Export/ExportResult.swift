import ArtifactFormat
import BackupModels
import BackupSources
import BackupSupport
public import Foundation
import RemoteStorage

/// A finished export.
public struct ExportResult: Hashable, Sendable, Codable {
    /// The object's key in the storage (`exports/<name>.tar.gz`).
    public var key: String
    /// The archive's size in bytes.
    public var sizeBytes: Int64
    /// The archive's SHA-256, 64 lowercase hexadecimal characters.
    public var sha256: String
    /// The download link, when the storage issues links (local with a link secret, S3).
    public var link: URL?
    /// When the link stops working.
    public var expiresAt: Date?

    /// Creates a result.
    public init(key: String, sizeBytes: Int64, sha256: String, link: URL?, expiresAt: Date?) {
        self.key = key
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.link = link
        self.expiresAt = expiresAt
    }
}

/// What ``Exporter/cleanup(olderThan:now:)`` removed.
public struct ExportCleanupResult: Hashable, Sendable, Codable {
    /// Keys removed from the storage.
    public var removedKeys: [String]
    /// Files removed from the local work folder (left behind by interrupted exports).
    public var removedLocalFiles: [String]

    /// Creates a result.
    public init(removedKeys: [String] = [], removedLocalFiles: [String] = []) {
        self.removedKeys = removedKeys
        self.removedLocalFiles = removedLocalFiles
    }
}
