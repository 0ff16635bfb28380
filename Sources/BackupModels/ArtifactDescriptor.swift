/// How an artifact's bytes are compressed.
public enum CompressionAlgorithm: String, Codable, Sendable, CaseIterable {
    case zstd
    case gzip
    case none

    /// The file-name extension this algorithm adds (`zst`, `gz`), or `nil` for none.
    public var fileExtension: String? {
        switch self {
        case .zstd: "zst"
        case .gzip: "gz"
        case .none: nil
        }
    }
}

/// One stored object that belongs to a backup: where it is, how large, and how to read it back.
public struct ArtifactDescriptor: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case role
        case key
        case sizeBytes = "size_bytes"
        case sha256
        case compression
        case encryptionKeyID = "encryption_key_id"
        case uncompressedBytes = "uncompressed_bytes"
    }

    /// What the artifact holds inside its backup (`data`, or a binlog file name).
    public var role: String
    /// The storage key, relative to the storage root.
    public var key: String
    /// The number of bytes stored (after compression and encryption).
    public var sizeBytes: Int64
    /// Lowercase hexadecimal SHA-256 of the stored bytes.
    public var sha256: String
    /// The compression applied before encryption.
    public var compression: CompressionAlgorithm
    /// The identifier of the encryption key, or `nil` if the artifact is not encrypted.
    public var encryptionKeyID: String?
    /// The number of bytes before compression, when known.
    public var uncompressedBytes: Int64?

    public init(
        role: String = "data", key: String, sizeBytes: Int64, sha256: String,
        compression: CompressionAlgorithm, encryptionKeyID: String? = nil, uncompressedBytes: Int64? = nil
    ) {
        self.role = role
        self.key = key
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.compression = compression
        self.encryptionKeyID = encryptionKeyID
        self.uncompressedBytes = uncompressedBytes
    }

    /// Whether size and checksum are present and well-formed, which committing a record requires.
    public var isComplete: Bool {
        sizeBytes >= 0 && sha256.utf8.count == 64
            && sha256.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
            && !key.isEmpty
    }
}

/// Where a source stood when a backup was taken, so the next incremental knows where to start.
public struct SourcePosition: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case binlogFile = "binlog_file"
        case binlogPosition = "binlog_position"
        case gtidSet = "gtid_set"
        case extra
    }

    /// MySQL binary log file name, e.g. `mysql-bin.000042`.
    public var binlogFile: String?
    /// Byte offset in ``binlogFile``.
    public var binlogPosition: Int64?
    /// GTID set executed at the backup point.
    public var gtidSet: String?
    /// Source-specific values that do not fit the fields above.
    public var extra: [String: String]

    public init(
        binlogFile: String? = nil, binlogPosition: Int64? = nil, gtidSet: String? = nil,
        extra: [String: String] = [:]
    ) {
        self.binlogFile = binlogFile
        self.binlogPosition = binlogPosition
        self.gtidSet = gtidSet
        self.extra = extra
    }
}
