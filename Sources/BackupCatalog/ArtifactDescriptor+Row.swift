package import BackupModels
import GRDB

extension ArtifactDescriptor {
    /// The `artifacts` columns after `backup_id`, in the order ``init(catalogRow:offset:)`` reads them.
    package static let catalogColumns = "role, key, size_bytes, sha256, compression, encryption_key_id, uncompressed_bytes"

    /// Inserts one artifact of a backup at a position (`ordinal`) that keeps the caller's order.
    static let catalogInsertSQL = """
        INSERT INTO artifacts (backup_id, ordinal, \(catalogColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The arguments of ``catalogInsertSQL``.
    func catalogArguments(backupID: BackupID, ordinal: Int) -> StatementArguments {
        let values: [(any DatabaseValueConvertible)?] = [
            backupID.rawValue, ordinal, role, key, sizeBytes, sha256, compression.rawValue, encryptionKeyID,
            uncompressedBytes,
        ]
        return StatementArguments(values)
    }

    /// Reads the ``catalogColumns`` of a row, starting at column `offset`.
    init(catalogRow row: Row, offset: Int, backupID: String) throws {
        let compressionText: String = try row.decode(atIndex: offset + 4)
        guard let compression = CompressionAlgorithm(rawValue: compressionText) else {
            throw CatalogValue.malformed("compression", compressionText, row: backupID)
        }
        self.init(
            role: try row.decode(atIndex: offset),
            key: try row.decode(atIndex: offset + 1),
            sizeBytes: try row.decode(atIndex: offset + 2),
            sha256: try row.decode(atIndex: offset + 3),
            compression: compression,
            encryptionKeyID: try row.decode(atIndex: offset + 5),
            uncompressedBytes: try row.decode(atIndex: offset + 6)
        )
    }
}
