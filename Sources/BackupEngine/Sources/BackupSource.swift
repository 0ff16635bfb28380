public import BackupModels
public import Logging
public import RemoteStorage

/// What a source is asked to produce for one backup.
public struct SourceRequest: Sendable {
    /// Full or incremental; sources that cannot do incrementals are never asked for one.
    public var kind: BackupKind
    /// The parent backup's manifest, for incrementals.
    public var parent: Manifest?
    /// The parent backup's record, for incrementals.
    public var parentRecord: BackupRecord?
    public var logger: Logger

    public init(kind: BackupKind, parent: Manifest? = nil, parentRecord: BackupRecord? = nil, logger: Logger) {
        self.kind = kind
        self.parent = parent
        self.parentRecord = parentRecord
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
    public var files: [FileEntry]?
    public var deletedPaths: [String]?
    public var notes: [String]
    public var position: SourcePosition?
    public var filesTotal: Int
    public var filesStored: Int
    public var bytesRead: Int64

    public init(
        files: [FileEntry]? = nil, deletedPaths: [String]? = nil, notes: [String] = [], position: SourcePosition? = nil,
        filesTotal: Int = 0, filesStored: Int = 0, bytesRead: Int64 = 0
    ) {
        self.files = files
        self.deletedPaths = deletedPaths
        self.notes = notes
        self.position = position
        self.filesTotal = filesTotal
        self.filesStored = filesStored
        self.bytesRead = bytesRead
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

/// Something BackupKit can back up: a file tree, a database.
public protocol BackupSource: Sendable {
    /// The source's name within its plan.
    var name: String { get }
    /// The plan `type:` (`files`, `sqlite`).
    var typeName: String { get }
    /// Whether ``prepare(_:progress:)`` accepts incremental requests.
    var supportsIncremental: Bool { get }

    /// Checks the source can be read (paths exist, database opens) and prepares its payload stream.
    ///
    /// - Parameter progress: called with the bytes read and entries completed as the stream is consumed.
    func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup

    /// Decides whether an incremental can build on `parent` (a MySQL source checks its binary logs are
    /// still there). The default continues the chain.
    ///
    /// - Throws: when the chain is broken and the source is configured to fail rather than restart.
    func checkChain(from parent: BackupRecord, logger: Logger) async throws -> ChainDecision
}

/// Whether an incremental builds on its parent or a full backup starts a new chain.
public enum ChainDecision: Sendable, Hashable {
    /// Take the incremental on the parent.
    case `continue`
    /// Take a full backup instead; the note says why.
    case restartWithFull(note: String)
}

extension BackupSource {
    /// Continues the chain: sources whose incrementals cannot break need no check.
    public func checkChain(from parent: BackupRecord, logger: Logger) async throws -> ChainDecision { .continue }
}

/// An error raised by a source: a path that is missing or unreadable, a database that will not open.
public struct SourceError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case missingPath = "missing path"
            case unreadable = "unreadable"
            case invalidConfiguration = "invalid configuration"
            case database = "database error"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public static let missingPath = Code(.missingPath)
        public static let unreadable = Code(.unreadable)
        public static let invalidConfiguration = Code(.invalidConfiguration)
        public static let database = Code(.database)
        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The source's name.
    public var source: String
    /// The file at fault, when there is one.
    public var path: String?
    public var message: String

    public init(code: Code, source: String, path: String? = nil, message: String) {
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
