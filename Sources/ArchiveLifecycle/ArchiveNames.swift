import BackupModels
import SnapshotClient

/// The name rules the cluster applies to repositories and snapshots, checked before anything is sent
/// or recorded: the client's ``SnapshotClient/SnapshotNames``, with errors naming the configuration field.
public enum ArchiveNames {
    /// Checks a snapshot repository name.
    /// - Parameters:
    ///   - name: The repository name.
    ///   - field: The field or option to name in the error.
    /// - Throws: ``ArchiveError/Code-swift.struct/invalidName`` naming `field`.
    public static func validateRepository(_ name: String, field: String = "repository") throws {
        try validate(name, kind: "repository", field: field, lowercaseOnly: false)
    }

    /// Checks a snapshot name (lowercase, as the cluster requires).
    /// - Parameters:
    ///   - name: The snapshot name.
    ///   - field: The field or option to name in the error.
    /// - Throws: ``ArchiveError/Code-swift.struct/invalidName`` naming `field`.
    public static func validateSnapshot(_ name: String, field: String = "snapshot") throws {
        try validate(name, kind: "snapshot", field: field, lowercaseOnly: true)
    }

    /// The cluster's rules (``SnapshotClient/SnapshotNames``), with the error naming `field`.
    private static func validate(_ name: String, kind: String, field: String, lowercaseOnly: Bool) throws {
        do {
            if lowercaseOnly {
                try SnapshotNames.validateSnapshot(name)
            } else {
                try SnapshotNames.validateRepository(name)
            }
        } catch let error as SnapshotClientError {
            throw ArchiveError(code: .invalidName, subject: field, message: error.message, underlying: error)
        }
    }
}
