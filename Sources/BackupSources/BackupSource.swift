import ArtifactFormat
public import BackupModels
import BackupSupport
public import Logging
public import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a source is asked to produce for one backup.
public struct SourceRequest: Sendable {
    /// Full or incremental; sources that cannot do incrementals are never asked for one.
    public var kind: BackupKind
    /// The parent backup's manifest, for incrementals.
    public var parent: Manifest?
    /// The parent backup's record, for incrementals.
    public var parentRecord: BackupRecord?
    /// The committed chain ending with the parent, for incrementals: what a source reads to learn the
    /// parent's whole state (a file tree's index is spread over the chain's index artifacts).
    public var parentChain: RestoreChain?
    public var logger: Logger

    public init(
        kind: BackupKind, parent: Manifest? = nil, parentRecord: BackupRecord? = nil, parentChain: RestoreChain? = nil,
        logger: Logger
    ) {
        self.kind = kind
        self.parent = parent
        self.parentRecord = parentRecord
        self.parentChain = parentChain
        self.logger = logger
    }
}

/// Progress a source reports while its stream is read: bytes read and entries completed since the
/// previous report.
public struct SourceProgress: Sendable, Hashable {
    public var bytes: Int64
    public var files: Int

    public init(bytes: Int64 = 0, files: Int = 0) {
        self.bytes = bytes
        self.files = files
    }
}

/// What a source learned while its stream was read: the tree index, deletions, warnings, position.
public struct SourceOutcome: Sendable {
    /// Entries kept in the manifest itself (a MySQL backup's binary logs): short lists only.
    public var files: [FileEntry]?
    /// Entries the engine stores as the backup's file index artifact (``FileIndex``), sorted by path: a full
    /// backup's every entry, an incremental's entries new or changed since the parent.
    public var index: [FileEntry]?
    /// The same as JSON lines (``FileIndex``), for a source that kept a long index on disk rather than in
    /// memory; read once, after ``PreparedBackup/outcome`` and before ``PreparedBackup/cleanup``.
    public var indexLines: ByteStream?
    public var deletedPaths: [String]?
    public var notes: [String]
    public var position: SourcePosition?
    public var filesTotal: Int
    public var filesStored: Int
    public var bytesRead: Int64
    /// Each table's row count as the backup saw it (databases only), kept in the manifest for drills.
    public var tableRows: [String: Int64]?

    public init(
        files: [FileEntry]? = nil, index: [FileEntry]? = nil, indexLines: ByteStream? = nil, deletedPaths: [String]? = nil,
        notes: [String] = [],
        position: SourcePosition? = nil, filesTotal: Int = 0, filesStored: Int = 0, bytesRead: Int64 = 0,
        tableRows: [String: Int64]? = nil
    ) {
        self.tableRows = tableRows
        self.files = files
        self.index = index
        self.indexLines = indexLines
        self.deletedPaths = deletedPaths
        self.notes = notes
        self.position = position
        self.filesTotal = filesTotal
        self.filesStored = filesStored
        self.bytesRead = bytesRead
    }
}

extension SourceOutcome {
    /// The index entries, listed or read from ``indexLines`` (which holds the whole index in memory).
    public func indexEntries() async throws -> [FileEntry]? {
        guard let indexLines else { return index }
        var reader = FileIndexReader()
        for try await chunk in indexLines { try reader.read(chunk) }
        return try reader.finish()
    }
}

/// A prepared backup: the payload stream plus what the source reports once the stream is read.
public struct PreparedBackup: Sendable {
    /// The payload (a tar stream, a database file).
    public var stream: ByteStream
    /// The payload's extension before compression (`tar`, `sqlite`).
    public var fileExtension: String
    /// Bytes the stream is expected to produce, for progress and ETA.
    public var expectedBytes: Int64?
    /// Entries the stream is expected to hold.
    public var expectedFiles: Int?
    /// Called after the stream was read to its end.
    public var outcome: @Sendable () throws -> SourceOutcome
    /// Removes temporary files; called whatever happened.
    public var cleanup: @Sendable () -> Void

    public init(
        stream: ByteStream, fileExtension: String, expectedBytes: Int64? = nil, expectedFiles: Int? = nil,
        outcome: @escaping @Sendable () throws -> SourceOutcome, cleanup: @escaping @Sendable () -> Void = {}
    ) {
        self.stream = stream
        self.fileExtension = fileExtension
        self.expectedBytes = expectedBytes
        self.expectedFiles = expectedFiles
        self.outcome = outcome
        self.cleanup = cleanup
    }
}

/// Something BackupKit can back up, restore and verify: a file tree, a database.
///
/// A source type is added in one place: a type conforming to this protocol, registered under its plan
/// `type:` in a ``SourceRegistry``. The engine asks the source for everything that depends on its
/// type: the payload of a backup, whether a chain may continue, the payload extensions an interrupted
/// run may have left in storage, how a payload is checked, and how a chain is restored into a folder.
public protocol BackupSource: Sendable {
    /// The source's name within its plan.
    var name: String { get }
    /// The plan `type:` (`files`, `sqlite`, `mysql`, or a registered type's name).
    var typeName: String { get }
    /// Whether ``prepare(_:progress:)`` accepts incremental requests.
    var supportsIncremental: Bool { get }
    /// Every payload extension (before compression and encryption) a backup of this source may
    /// write — `tar`, `sqlite`, `sql`, `binlog.tar`. A run that died is cleaned up by rendering its
    /// artifact key with each of them.
    var payloadExtensions: [String] { get }

    /// Checks the source can be read (paths exist, database opens) and prepares its payload stream.
    ///
    /// - Parameter progress: called with the bytes read and entries completed as the stream is consumed.
    func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup

    /// Decides whether an incremental can build on `parent` (a MySQL source checks its binary logs are
    /// still there). The default continues the chain.
    ///
    /// - Throws: when the chain is broken and the source is configured to fail rather than restart.
    func checkChain(from parent: BackupRecord, logger: Logger) async throws -> ChainDecision

    /// Reads one decoded payload to its end and throws if its structure is broken (a tar archive that
    /// does not parse). The artifact's size and SHA-256 are checked by the caller. The default reads
    /// the bytes and checks nothing more.
    func verifyPayload(_ payload: ByteStream, of link: RestoreChain.Link) async throws

    /// Restores `chain` (full backup first) into the folder `directory`, which exists and is empty
    /// unless `options` allow otherwise. The default writes the newest backup's payload as one file
    /// (a SQLite database, a SQL dump).
    ///
    /// `Engine.restore` passes an empty staging folder beside the target and makes what this wrote visible
    /// only after it returned, so an implementation checks what it restored (sizes, checksums) and throws if
    /// anything does not match: nothing it wrote is then kept.
    func restore(_ chain: RestoreChain, into directory: String, options: FolderRestoreOptions, logger: Logger) async throws
        -> RestoredFiles
}

extension BackupSource {
    /// Continues the chain: sources whose incrementals cannot break need no check.
    public func checkChain(from parent: BackupRecord, logger: Logger) async throws -> ChainDecision { .continue }

    /// Reads the payload to its end.
    public func verifyPayload(_ payload: ByteStream, of link: RestoreChain.Link) async throws {
        for try await _ in payload {}
    }

    /// Writes the newest backup's payload into `directory` as one file, named by the position's
    /// `file_name` or `<source>.<type>`. The payload goes to a temporary file first; it is renamed into
    /// place only after the stored bytes matched their size and SHA-256, and removed otherwise.
    public func restore(_ chain: RestoreChain, into directory: String, options: FolderRestoreOptions, logger: Logger) async throws
        -> RestoredFiles
    {
        let link = chain.newest
        let name = link.manifest.position?.extra["file_name"] ?? "\(link.record.source).\(link.manifest.sourceType)"
        let fileName =
            (try? TarExtractor.safeRelativePath(name)).flatMap { $0.contains("/") ? nil : $0 } ?? "\(link.record.source).restored"
        let partial = ".\(fileName).backupkit-partial-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        let root = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var written: Int64 = 0
        do {
            try await chain.withPayload(of: link.record) { stream in
                // A put writes a temporary file, syncs it and renames it to `partial`.
                written = try await LocalStorage(root: root).put(stream, at: partial, options: .overwrite).sizeBytes
            }
            // The payload reader returned: the stored bytes matched their size and SHA-256.
            guard rename(root + "/" + partial, root + "/" + fileName) == 0 else {
                throw SourceError(
                    code: .io, source: link.record.source, path: root + "/" + fileName,
                    message: "cannot rename the verified file into place: \(FileSystem.errorText(errno))")
            }
        } catch {
            unlink(root + "/" + partial)
            throw error
        }
        return RestoredFiles(filesWritten: 1, bytesWritten: written, backupsApplied: 1)
    }
}

/// The committed backups a restore applies, full first, the newest one's manifest, and ways to read
/// any backup's manifest and decoded artifacts. The engine builds it (``withPayload(of:_:)`` decrypts,
/// decompresses and checks the stored bytes' size and SHA-256 as they are read).
///
/// Only the newest manifest is held; the others are read one at a time, by the sources that need them
/// (``manifest(of:)``), and a file tree's index from each backup's index artifact (``withArtifact(_:of:_:)``).
public struct RestoreChain: Sendable {
    /// One backup and its manifest.
    public struct Link: Sendable {
        /// The backup's catalog record (its artifacts, with sizes and SHA-256).
        public var record: BackupRecord
        /// The manifest stored beside the backup's artifact (position, source type, deletions).
        public var manifest: Manifest

        /// Creates a link.
        public init(record: BackupRecord, manifest: Manifest) {
            self.record = record
            self.manifest = manifest
        }
    }

    /// Streams one artifact of a backup, chosen by role (`data`, ``FileIndex/role``), decoded, to a body and
    /// checks the stored bytes afterwards; throws when the backup has no artifact of that role.
    public typealias ArtifactReader =
        @Sendable (BackupRecord, _ role: String, (ByteStream) async throws -> Void) async throws -> Void
    /// Reads a backup's manifest.
    public typealias ManifestReader = @Sendable (BackupRecord) async throws -> Manifest
    /// Reads a backup's stored artifact of a role to its end, undecoded, and checks its size and SHA-256.
    public typealias StoredArtifactCheck = @Sendable (BackupRecord, _ role: String) async throws -> Void

    /// The backups, full first, ending with ``newest``'s record.
    public let records: [BackupRecord]
    /// The backup restored to, with its manifest.
    public let newest: Link
    private let readArtifact: ArtifactReader
    private let readManifest: ManifestReader
    private let checkStored: StoredArtifactCheck?

    /// Creates a chain.
    /// - Parameters:
    ///   - records: the backups, full first, ending with `newest.record`.
    ///   - newest: the backup restored to, with its manifest.
    ///   - manifest: reads a backup's manifest.
    ///   - artifact: streams a backup's decoded artifact of a role and checks its checksum once the body returns.
    ///   - check: checks a stored artifact without decoding it (``checkPayload(of:)``); without it, the check
    ///     decodes the artifact through `artifact`.
    public init(
        records: [BackupRecord], newest: Link, manifest: @escaping ManifestReader, artifact: @escaping ArtifactReader,
        check: StoredArtifactCheck? = nil
    ) {
        precondition(records.last?.id == newest.record.id, "a restore chain ends with the backup restored to")
        self.records = records
        self.newest = newest
        self.readManifest = manifest
        self.readArtifact = artifact
        self.checkStored = check
    }

    /// The manifest of `record`, one of ``records`` (read from storage unless it is the newest).
    public func manifest(of record: BackupRecord) async throws -> Manifest {
        record.id == newest.record.id ? newest.manifest : try await readManifest(record)
    }

    /// Reads `record`'s stored payload to its end, checking its size and SHA-256 — undecoded when the chain
    /// has a stored check (the engine's chains do): a first pass before a restore sends anything to a target
    /// it cannot take back (a database server).
    public func checkPayload(of record: BackupRecord) async throws {
        if let checkStored {
            try await checkStored(record, "data")
            return
        }
        try await readArtifact(record, "data") { stream in
            for try await _ in stream {}
        }
    }

    /// Streams `record`'s decoded payload to `body`, then checks the stored bytes' size and SHA-256.
    public func withPayload(of record: BackupRecord, _ body: (ByteStream) async throws -> Void) async throws {
        try await readArtifact(record, "data", body)
    }

    /// Streams `record`'s decoded artifact of `role` to `body`, then checks the stored bytes' size and SHA-256.
    public func withArtifact(_ role: String, of record: BackupRecord, _ body: (ByteStream) async throws -> Void) async throws {
        try await readArtifact(record, role, body)
    }
}

/// How a restore into a folder treats its target.
public struct FolderRestoreOptions: Sendable, Hashable {
    /// Restore into a folder that already holds files: `Engine.restore` replaces its old content with the
    /// restored tree, once that is verified (paths the backup does not hold are removed). Off by default:
    /// restore refuses a non-empty folder.
    public var allowNonEmptyTarget: Bool
    /// Restore symbolic links whose target lies outside the restore folder (as links, never followed).
    /// Off by default: a backup holding such links is refused before anything is written
    /// (`--allow-external-links` in the example command).
    public var allowExternalLinks: Bool

    /// Creates options; both refusals are on by default.
    public init(allowNonEmptyTarget: Bool = false, allowExternalLinks: Bool = false) {
        self.allowNonEmptyTarget = allowNonEmptyTarget
        self.allowExternalLinks = allowExternalLinks
    }
}

/// What a source's restore into a folder wrote.
public struct RestoredFiles: Sendable, Hashable {
    /// Files (and links and folders) written into the target.
    public var filesWritten: Int
    /// Bytes of file content written.
    public var bytesWritten: Int64
    /// How many backups of the chain were applied.
    public var backupsApplied: Int

    /// Creates a result.
    public init(filesWritten: Int, bytesWritten: Int64, backupsApplied: Int) {
        self.filesWritten = filesWritten
        self.bytesWritten = bytesWritten
        self.backupsApplied = backupsApplied
    }
}

/// Whether an incremental builds on its parent or a full backup starts a new chain.
public enum ChainDecision: Sendable, Hashable {
    /// Take the incremental on the parent.
    case `continue`
    /// Take a full backup instead; the note says why.
    case restartWithFull(note: String)
}

/// An error raised by a source: a path that is missing or unreadable, a database that will not open.
public struct SourceError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }
        public static let missingPath = Code("missing path")
        public static let unreadable = Code("unreadable")
        public static let invalidConfiguration = Code("invalid configuration")
        public static let database = Code("database error")
        /// A backup's payload is not what its manifest says (an unexpected entry, a wrong checksum).
        public static let damaged = Code("damaged backup")
        /// Reading or writing a local file failed.
        public static let io = Code("I/O error")
    }

    public var code: Code
    /// The source's name.
    public var source: String
    /// The file at fault, when there is one.
    public var path: String?
    public var message: String

    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    public init(code: Code, source: String, path: String? = nil, message: String, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.source = source
        self.path = path
        self.message = message
    }

    public var description: String {
        var text = "source '\(source)': \(code)"
        if let path { text += " '\(path)'" }
        return text + ": \(message)"
    }
}
