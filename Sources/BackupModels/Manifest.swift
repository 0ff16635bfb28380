public import Foundation

/// The JSON document written beside each backup's artifacts.
///
/// A manifest makes a backup self-describing: with it and the artifacts a person can restore without
/// the catalog or this library. Keys are snake_case; dates are ISO 8601 in UTC.
public struct Manifest: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case backupID = "backup_id"
        case plan, source
        case sourceType = "source_type"
        case kind, label
        case parentID = "parent_id"
        case parentLabel = "parent_label"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case host, artifacts, encryption, position, files
        case deletedPaths = "deleted_paths"
        case stats, notes
        case tableRows = "table_rows"
        case tags
    }

    /// The manifest format this library writes: 2 since a file tree's index moved out of the manifest into
    /// the backup's index artifact (``FileIndex``); format 1 held it inline in ``files``. Both are read.
    public static let currentFormatVersion = 2

    public var formatVersion: Int
    public var backupID: BackupID
    public var plan: String
    public var source: String
    /// `files`, `sqlite`, `mysql`, …
    public var sourceType: String
    public var kind: BackupKind
    public var label: BackupLabel
    public var parentID: BackupID?
    public var parentLabel: BackupLabel?
    public var startedAt: Date
    public var finishedAt: Date
    public var host: String
    public var artifacts: [ArtifactDescriptor]
    public var encryption: EncryptionInfo?
    public var position: SourcePosition?
    /// A short list of entries kept in the manifest itself (a MySQL backup's binary logs). A file tree's index
    /// is the backup's artifact of role ``FileIndex/role`` instead; manifests of format 1 held the whole tree
    /// here.
    public var files: [FileEntry]?
    /// For incrementals: paths present in the parent and gone now.
    public var deletedPaths: [String]?
    public var stats: BackupStats
    /// Warnings worth keeping with the backup (files that changed while read, skipped special files).
    public var notes: [String]
    /// For databases: each table's row count as the backup saw it (`table` for SQLite, `database.table`
    /// for MySQL); a restore drill compares the restored tables with it. `nil` when the backup did not
    /// count (incrementals, older manifests).
    public var tableRows: [String: Int64]?
    /// The record's free-form tags (`manual`, `pre-upgrade`), so that a catalog rebuilt from storage has
    /// them; `nil` in manifests written before they were kept here.
    public var tags: [String]?

    public init(
        backupID: BackupID, plan: String, source: String, sourceType: String, kind: BackupKind,
        label: BackupLabel, parentID: BackupID? = nil, parentLabel: BackupLabel? = nil, startedAt: Date,
        finishedAt: Date, host: String, artifacts: [ArtifactDescriptor], encryption: EncryptionInfo? = nil,
        position: SourcePosition? = nil, files: [FileEntry]? = nil, deletedPaths: [String]? = nil,
        stats: BackupStats = BackupStats(), notes: [String] = [], tableRows: [String: Int64]? = nil,
        tags: [String]? = nil
    ) {
        self.formatVersion = Self.currentFormatVersion
        self.backupID = backupID
        self.plan = plan
        self.source = source
        self.sourceType = sourceType
        self.kind = kind
        self.label = label
        self.parentID = parentID
        self.parentLabel = parentLabel
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.host = host
        self.artifacts = artifacts
        self.encryption = encryption
        self.position = position
        self.files = files
        self.deletedPaths = deletedPaths
        self.stats = stats
        self.notes = notes
        self.tableRows = tableRows
        self.tags = tags
    }

    /// The committed catalog record this manifest describes: what a catalog rebuilt from storage holds.
    public var committedRecord: BackupRecord {
        BackupRecord(
            id: backupID, plan: plan, source: source, kind: kind, parentID: parentID, label: label, state: .committed,
            startedAt: startedAt, finishedAt: finishedAt, artifacts: artifacts, position: position, tags: tags ?? [],
            host: host)
    }

    /// The manifest as compact JSON.
    ///
    /// The file index can hold hundreds of thousands of entries, so it is written by a small direct
    /// writer instead of `JSONEncoder`, whose intermediate tree would cost tens of megabytes; the rest
    /// goes through `JSONEncoder` with sorted keys. `Manifest.decode(_:)` reads both parts back.
    public func jsonData() throws -> Data {
        var head = self
        head.files = nil
        var data = try JSONCoding.encoder(compact: true).encode(head)
        guard let files else { return data }
        data.removeLast()  // the closing brace
        var writer = JSONWriter()
        writer.bytes.reserveCapacity(files.count * 160)
        writer.raw(data.count > 1 ? ",\"files\":[" : "\"files\":[")
        for (index, entry) in files.enumerated() {
            if index > 0 { writer.raw(",") }
            entry.write(to: &writer)
        }
        writer.raw("]}")
        data.append(contentsOf: writer.bytes)
        return data
    }

    /// Decodes a manifest, refusing format versions newer than this library understands.
    public static func decode(_ data: Data) throws -> Manifest {
        let manifest = try JSONCoding.decoder().decode(Manifest.self, from: data)
        guard manifest.formatVersion <= currentFormatVersion else {
            throw ModelError(
                code: .invalidValue, subject: "format_version",
                message: "manifest format \(manifest.formatVersion) is newer than this library (\(currentFormatVersion))")
        }
        return manifest
    }
}

/// How an artifact was encrypted.
public struct EncryptionInfo: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case algorithm
        case keyID = "key_id"
        case frameSize = "frame_size"
    }

    /// The format name, `aes-256-gcm-framed-v1`.
    public var algorithm: String
    /// Identifies the key without revealing it: the first 16 hex characters of
    /// SHA-256("backupkit-key-id-v1" ‖ key). See `Documentation/EncryptedFormat.md`.
    public var keyID: String
    /// Plaintext bytes per frame.
    public var frameSize: Int

    public init(algorithm: String, keyID: String, frameSize: Int) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.frameSize = frameSize
    }
}

/// Counters describing one backup.
public struct BackupStats: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case filesTotal = "files_total"
        case filesStored = "files_stored"
        case bytesRead = "bytes_read"
        case bytesStored = "bytes_stored"
    }

    /// Entries in the source as of this backup.
    public var filesTotal: Int
    /// Entries whose content this backup's artifact holds.
    public var filesStored: Int
    /// Bytes read from the source.
    public var bytesRead: Int64
    /// Bytes written to storage.
    public var bytesStored: Int64

    public init(filesTotal: Int = 0, filesStored: Int = 0, bytesRead: Int64 = 0, bytesStored: Int64 = 0) {
        self.filesTotal = filesTotal
        self.filesStored = filesStored
        self.bytesRead = bytesRead
        self.bytesStored = bytesStored
    }
}

/// One entry of a file tree as seen by a backup.
public struct FileEntry: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case path, type, size
        case mtimeNanoseconds = "mtime_ns"
        case inode, mode, uid, gid
        case linkTarget = "link_target"
        case sha256
    }

    public enum EntryType: String, Codable, Sendable {
        case file
        case directory
        case symlink
    }

    /// Path relative to the source root, `/`-separated, never starting with `/` or containing `..`.
    public var path: String
    public var type: EntryType
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64
    public var inode: UInt64
    /// Permission bits (`0o644`).
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// The link's target, for symlinks.
    public var linkTarget: String?
    /// Content hash, when the source hashes content: 64 lowercase hex digits.
    public var sha256: String? {
        get { contentHash?.text }
        set { contentHash = newValue.map(ContentHash.init) }
    }
    /// The hash as its 32 bytes when it is 64 lowercase hex digits (every hash this library writes), so that an
    /// index of millions of entries does not hold a 64-character string for each; any other text is kept as it is.
    private var contentHash: ContentHash?

    public init(
        path: String, type: EntryType, size: Int64 = 0, mtimeNanoseconds: Int64 = 0, inode: UInt64 = 0,
        mode: UInt32 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0, linkTarget: String? = nil, sha256: String? = nil
    ) {
        self.path = path
        self.type = type
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.inode = inode
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.linkTarget = linkTarget
        self.contentHash = sha256.map(ContentHash.init)
    }

    /// Takes `other`'s content hash as it is held (no round trip through text).
    package mutating func takeContentHash(of other: FileEntry) { contentHash = other.contentHash }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            path: try container.decode(String.self, forKey: .path), type: try container.decode(EntryType.self, forKey: .type),
            size: try container.decode(Int64.self, forKey: .size),
            mtimeNanoseconds: try container.decode(Int64.self, forKey: .mtimeNanoseconds),
            inode: try container.decode(UInt64.self, forKey: .inode), mode: try container.decode(UInt32.self, forKey: .mode),
            uid: try container.decode(UInt32.self, forKey: .uid), gid: try container.decode(UInt32.self, forKey: .gid),
            linkTarget: try container.decodeIfPresent(String.self, forKey: .linkTarget),
            sha256: try container.decodeIfPresent(String.self, forKey: .sha256))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(type, forKey: .type)
        try container.encode(size, forKey: .size)
        try container.encode(mtimeNanoseconds, forKey: .mtimeNanoseconds)
        try container.encode(inode, forKey: .inode)
        try container.encode(mode, forKey: .mode)
        try container.encode(uid, forKey: .uid)
        try container.encode(gid, forKey: .gid)
        try container.encodeIfPresent(linkTarget, forKey: .linkTarget)
        try container.encodeIfPresent(sha256, forKey: .sha256)
    }
}

/// A content hash held as 32 bytes when its text is 64 lowercase hex digits, else as the text.
private enum ContentHash: Hashable, Sendable {
    case bytes(UInt64, UInt64, UInt64, UInt64)
    case other(String)

    init(_ text: String) {
        var text = text
        self = text.withUTF8 { Self(utf8: $0) } ?? .other(text)
    }

    /// The bytes of 64 lowercase hex digits, or `nil` for any other text.
    init?(utf8 digits: UnsafeBufferPointer<UInt8>) {
        guard digits.count == 64 else { return nil }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for wordIndex in 0..<4 {
            var word: UInt64 = 0
            for byte in digits[(wordIndex * 16)..<(wordIndex * 16 + 16)] {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): word = word << 4 | UInt64(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): word = word << 4 | UInt64(byte - UInt8(ascii: "a") + 10)
                default: return nil
                }
            }
            switch wordIndex {
            case 0: words.0 = word
            case 1: words.1 = word
            case 2: words.2 = word
            default: words.3 = word
            }
        }
        self = .bytes(words.0, words.1, words.2, words.3)
    }

    var text: String {
        switch self {
        case .other(let text): return text
        case .bytes(let a, let b, let c, let d):
            let digits = Array("0123456789abcdef".utf8)
            return String(unsafeUninitializedCapacity: 64) { buffer in
                for (index, word) in [a, b, c, d].enumerated() {
                    for nibble in 0..<16 {
                        buffer[index * 16 + nibble] = digits[Int((word >> UInt64(60 - 4 * nibble)) & 0xF)]
                    }
                }
                return 64
            }
        }
    }
}

/// The JSON conventions shared by manifests, the catalog and the examples' `--json` output.
public enum JSONCoding {
    /// Sorted keys, ISO 8601 dates with fractional seconds in UTC, pretty-printed unless `compact`.
    public static func encoder(compact: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            compact ? [.sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.string(from: date))
        }
        return encoder
    }

    /// Accepts ISO 8601 dates with or without fractional seconds.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = ISO8601.date(from: text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "'\(text)' is not an ISO 8601 date")
            }
            return date
        }
        return decoder
    }
}

/// ISO 8601 instants as BackupKit writes and reads them.
public enum ISO8601 {
    /// `2026-11-25T01:30:00.250Z` (milliseconds, UTC).
    public static func string(from date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// `date` with its offset in `timeZone`: `2026-11-25T09:30:00+08:00`.
    public static func string(from date: Date, in timeZone: TimeZone) -> String {
        var style = Date.ISO8601FormatStyle(timeZone: timeZone)
        style = style.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon)
        return date.formatted(style)
    }

    /// Parses an instant with an offset or `Z`, with or without fractional seconds.
    public static func date(from text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let date = try? Date(trimmed, strategy: .iso8601) { return date }
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? Date(trimmed, strategy: fractional)
    }
}
