import ArtifactFormat
public import BackupModels
import BackupSupport
import Crypto
public import Logging
public import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Backs up configuration files and data folders as one POSIX tar stream.
///
/// - A full backup stores every file. An incremental stores the files that changed since the parent
///   (size, mtime, inode, mode or owner differ; with ``FileTreeSourceConfig/hashContents`` also a
///   content hash), and the manifest records the paths deleted since.
/// - Symbolic links are stored as links and never followed; fifos, sockets and devices are skipped
///   with a warning.
/// - A file that changes while it is read is stored as read, reported in the manifest's notes, and
///   marked so the next incremental stores it again.
/// - Each configured path becomes a top-level entry named after its last component.
public struct FileTreeSource: BackupSource {
    public let config: FileTreeSourceConfig
    /// Bytes per chunk of the tar stream.
    public var chunkSize: Int

    public init(_ config: FileTreeSourceConfig, chunkSize: Int = 1 << 20) {
        self.config = config
        self.chunkSize = chunkSize
    }

    public var name: String { config.name }
    public var typeName: String { "files" }
    public var supportsIncremental: Bool { true }
    /// A POSIX tar stream.
    public var payloadExtensions: [String] { ["tar"] }

    /// Parses the tar archive to its end.
    public func verifyPayload(_ payload: ByteStream, of link: RestoreChain.Link) async throws {
        try await TarReader(payload).drain()
    }

    /// Extracts the full backup, then each incremental, into `directory`, removes every path the
    /// newest backup's file list does not hold (files deleted between backups), then checks the result
    /// against that list: every entry present, every file with its size and SHA-256.
    ///
    /// Links pointing outside `directory` are refused from the newest manifest before any byte is written,
    /// unless `options` allow them; they are restored as links, never followed. Entries that would land
    /// outside `directory` (absolute paths, `..`, writing through links) are refused with a ``TarError``.
    ///
    /// - Throws: ``TarError`` `unsafePath` (an outward link, naming the option that allows it, or an unsafe
    ///   entry); ``SourceError`` `damaged` when the restored tree does not match the manifest.
    public func restore(_ chain: RestoreChain, into directory: String, options: FolderRestoreOptions, logger: Logger) async throws
        -> RestoredFiles
    {
        let files = try await Self.index(of: chain)
        if !options.allowExternalLinks, let files {
            let outward = files.filter { $0.type == .symlink && !TarExtractor.linkStaysInside($0.path, target: $0.linkTarget ?? "") }
            if let first = outward.first {
                throw TarError(
                    code: .unsafePath,
                    message:
                        "backup \(chain.newest.record.label) holds \(outward.count) link(s) pointing outside the restore target (first: '\(first.path)' -> '\(first.linkTarget ?? "")'); nothing was restored. Restore them as links with --allow-external-links (FolderRestoreOptions.allowExternalLinks)"
                )
            }
        }
        let extractor = TarExtractor(root: directory, allowExternalLinks: options.allowExternalLinks)
        for record in chain.records {
            try await chain.withPayload(of: record) { stream in
                let reader = TarReader(stream)
                try await extractor.extract(reader)
                // Read past the end-of-archive marker so the whole artifact is hashed.
                try await reader.drain()
            }
        }
        if let files {
            try extractor.removeEverything(except: Set(files.map(\.path)))
            let problems = extractor.check(against: files)
            if !problems.isEmpty {
                throw SourceError(
                    code: .damaged, source: chain.newest.record.source,
                    message:
                        "the restored tree does not match the manifest of \(chain.newest.record.label): \(problems.joined(separator: "; "))"
                )
            }
        }
        extractor.finish()
        logger.info("restore finished", metadata: ["files": "\(extractor.filesWritten)", "bytes": "\(extractor.bytesWritten)"])
        return RestoredFiles(
            filesWritten: extractor.filesWritten, bytesWritten: extractor.bytesWritten, backupsApplied: chain.records.count)
    }

    /// Scans the tree and prepares its tar stream.
    ///
    /// The outcome carries the backup's file index: for a full backup every entry, as lines spooled to a temporary
    /// file (``SourceOutcome/indexLines``: the walk and the stored entries are kept on disk, not in memory, whatever
    /// the number of files); for an incremental, in ``SourceOutcome/index``, only the entries new or different from
    /// the parent's index (a folder whose metadata did not change is stored in the tar again but not listed), with
    /// the paths gone since in `deletedPaths`.
    public func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup {
        let incremental = request.kind == .incremental
        var parent = ParentIndex.listed([])
        if incremental {
            if let chain = request.parentChain {
                // The parent's index on disk when the chain allows it (a full and incrementals with index
                // artifacts, in order), else merged in memory.
                if let spool = try await Self.spooledIndex(of: chain, source: name) {
                    parent = .spooled(spool)
                } else {
                    parent = .listed(try await Self.index(of: chain) ?? [])
                }
            } else if let files = request.parent?.files {
                parent = .listed(FileIndex.inOrder(files))
            }
        }
        // A full backup stores everything. An incremental compares the walk with its parent's index as it
        // goes (both in index order), holding only what it stores and what changed.
        var scan: Scan
        var toStore: [FileEntry] = []
        var unlisted: Set<Int> = []
        var changes: [FileEntry] = []
        var deleted: [String]? = nil
        var spool: (input: IndexSpool, output: IndexSpool)? = nil
        var spooledBytes: Int64 = 0
        let total: Int
        if incremental {
            var finder = ChangeFinder(parent: parent, hashContents: config.hashContents, hash: hashFile)
            do {
                scan = try walkTree(logger: request.logger) { try finder.add($0, at: $1) }
            } catch is ChangeFinder.OutOfOrder {
                // Names whose text compares otherwise than their bytes: the whole walk, sorted, then compared.
                try parent.rewind()
                finder = ChangeFinder(parent: parent, hashContents: config.hashContents, hash: hashFile)
                scan = try scanTree(logger: request.logger)
                for entry in scan.entries { try finder.add(entry, at: scan.absolutePath(of: entry.path)) }
            }
            try finder.finish()
            parent = .listed([])
            total = finder.count
            (toStore, unlisted, changes, deleted) = (finder.toStore, finder.unlisted, finder.changes, finder.deleted)
        } else if let spooled = try spoolWalk(logger: request.logger) {
            // A full backup keeps its entries on disk, not in memory: the walk's, then the stored ones.
            scan = spooled.scan
            total = spooled.spool.count
            spool = (spooled.spool, try IndexSpool(source: name))
            spooledBytes = spooled.bytes
        } else {
            scan = try scanTree(logger: request.logger)
            total = scan.entries.count
            swap(&toStore, &scan.entries)
        }

        let deletedPaths = deleted
        let expectedBytes = spool == nil ? toStore.reduce(Int64(0)) { $0 + ($1.type == .file ? $1.size : 0) } : spooledBytes
        let storedCount = spool?.input.count ?? toStore.count
        let state = Shared(StreamState(entries: toStore, spool: spool, unlisted: unlisted, changes: changes, notes: scan.notes))
        toStore = []
        let chunkSize = chunkSize
        let sourceName = name
        let roots = scan.roots
        let stream = ByteStream {
            let producer = TarProducer(
                count: storedCount, roots: roots, chunkSize: chunkSize, source: sourceName, state: state, progress: progress)
            return { try producer.next() }
        }
        return PreparedBackup(
            stream: stream, fileExtension: "tar", expectedBytes: expectedBytes, expectedFiles: storedCount,
            outcome: {
                try state.withLock { state in
                    var lines: ByteStream? = nil
                    if let spool = state.spool {
                        spool.input.close()
                        try spool.output.flush()
                        lines = spool.output.lines()
                    }
                    return SourceOutcome(
                        index: lines == nil ? state.takeIndex() : nil, indexLines: lines, deletedPaths: deletedPaths,
                        notes: state.notes, filesTotal: total, filesStored: state.stored, bytesRead: state.bytesRead)
                }
            },
            cleanup: {
                state.withLock { state in
                    state.spool?.input.close()
                    state.spool?.output.close()
                }
            })
    }

    /// The file index of the newest backup of `chain` — the tree's every entry, sorted by path: the full
    /// backup's index with each incremental's deletions and changes applied in order, each index artifact's
    /// size and SHA-256 checked as it is read. Only index artifacts are read; a backup without one (written
    /// by a version that kept the whole index in a format-1 manifest) has its manifest read, and its inline
    /// index starts the merge afresh. `nil` when no backup of the chain has an index.
    public static func index(of chain: RestoreChain) async throws -> [FileEntry]? {
        var index: [FileEntry]? = nil
        for record in chain.records {
            if record.artifacts.contains(where: { $0.role == FileIndex.role }) {
                var reader = FileIndexReader()
                try await chain.withArtifact(FileIndex.role, of: record) { stream in
                    for try await chunk in stream { try reader.read(chunk) }
                }
                // Written in index order; an index from elsewhere is put in order rather than trusted.
                let entries = FileIndex.inOrder(try reader.finish())
                if let base = index, record.kind == .incremental {
                    index = FileIndex.applying(entries, deleted: reader.deleted, to: base)
                } else {
                    index = entries
                }
            } else if let inline = try await chain.manifest(of: record).files {
                index = FileIndex.inOrder(inline)
            }
        }
        return index
    }

    /// The file index of the newest backup of `chain`, like ``index(of:)``, merged as it streams into a temporary
    /// file instead of memory: the full backup's index artifact is read line by line and each incremental's
    /// deletions and changes (short lists, held) are applied to it in order. `nil` when the chain does not allow
    /// it — a backup without an index artifact (a format-1 manifest), or an index out of order — and
    /// ``index(of:)`` then merges it in memory. Every index artifact's size and SHA-256 is checked as it is read.
    static func spooledIndex(of chain: RestoreChain, source: String) async throws -> IndexSpool? {
        guard let full = chain.records.first, full.kind == .full,
            chain.records.allSatisfy({ record in record.artifacts.contains { $0.role == FileIndex.role } })
        else { return nil }
        var incrementals: [IndexLayer] = []
        for record in chain.records.dropFirst() {
            var reader = FileIndexReader()
            try await chain.withArtifact(FileIndex.role, of: record) { stream in
                for try await chunk in stream { try reader.read(chunk) }
            }
            incrementals.append(IndexLayer(changes: FileIndex.inOrder(try reader.finish()), deleted: Set(reader.deleted)))
        }
        let layers = incrementals
        let spool = try IndexSpool(source: source)
        var last: String? = nil
        var outOfOrder = false
        func emit(_ entry: FileEntry, from level: Int) throws {
            if level == layers.count {
                try spool.append(entry)
            } else {
                try layers[level].push(entry) { try emit($0, from: level + 1) }
            }
        }
        try await chain.withArtifact(FileIndex.role, of: full) { stream in
            var reader = FileIndexReader()
            func take() throws {
                for entry in reader.takeEntries() where !outOfOrder {
                    if let last, !FileIndex.pathPrecedes(last, entry.path) { outOfOrder = true }
                    last = entry.path
                    try emit(entry, from: 0)
                }
            }
            for try await chunk in stream {
                try reader.read(chunk)
                try take()
            }
            _ = try reader.finish()
            try take()
        }
        if outOfOrder { return nil }
        for level in layers.indices {
            try layers[level].finish { try emit($0, from: level + 1) }
        }
        try spool.flush()
        return spool
    }

    // MARK: Scanning

    package struct Scan {
        /// Every entry, in index order (``FileIndex/pathPrecedes(_:_:)``).
        package var entries: [FileEntry] = []
        package var notes: [String] = []
        /// Each configured path by the top-level name its entries are stored under.
        package var roots: [String: String] = [:]

        /// Where the entry stored as `path` is on disk.
        package func absolutePath(of path: String) -> String {
            Self.absolutePath(of: path, roots: roots)
        }

        package static func absolutePath(of path: String, roots: [String: String]) -> String {
            let top = path.prefix { $0 != "/" }
            return (roots[String(top)] ?? String(top)) + path.dropFirst(top.count)
        }
    }

    /// A full backup's walk spooled to a temporary file in index order, with the bytes its files hold; `nil`
    /// when the walk came out of order (possible only for names that are not valid UTF-8), which
    /// ``scanTree(logger:)`` then sorts in memory.
    private func spoolWalk(logger: Logger) throws -> (scan: Scan, spool: IndexSpool, bytes: Int64)? {
        let spool = try IndexSpool(source: name)
        var last: String? = nil
        var bytes: Int64 = 0
        do {
            let scan = try walkTree(logger: logger) { entry, _ in
                if let last, !FileIndex.pathPrecedes(last, entry.path) { throw ChangeFinder.OutOfOrder() }
                last = entry.path
                if entry.type == .file { bytes += entry.size }
                try spool.append(entry)
            }
            try spool.flush()
            return (scan, spool, bytes)
        } catch is ChangeFinder.OutOfOrder {
            return nil
        }
    }

    /// Walks the configured paths (never following links), applies the include and exclude globs, and
    /// returns every entry in index order.
    package func scanTree(logger: Logger) throws -> Scan {
        var entries: [FileEntry] = []
        var scan = try walkTree(logger: logger) { entry, _ in entries.append(entry) }
        // The walk visits names in byte order, which is index order; names that are not valid UTF-8 can
        // compare otherwise once read as text, so the order is checked (a linear pass) rather than assumed.
        scan.entries = FileIndex.inOrder(entries)
        return scan
    }

    /// Walks the configured paths, top-level names in order, each folder's names in byte order, handing
    /// each entry and where it is on disk to `emit`; the returned scan holds the notes and roots only.
    package func walkTree(logger: Logger, emit: (FileEntry, String) throws -> Void) throws -> Scan {
        var scan = Scan()
        for root in config.paths {
            let trimmed = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
            let topName = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
            if let other = scan.roots[topName] {
                throw SourceError(
                    code: .invalidConfiguration, source: name, path: trimmed,
                    message: "'\(trimmed)' and '\(other)' would both be stored as '\(topName)'")
            }
            scan.roots[topName] = trimmed
        }
        for topName in scan.roots.keys.sorted(by: FileIndex.pathPrecedes) {
            let root = scan.roots[topName] ?? topName
            switch FileSystem.lstatus(root) {
            case .failure(let error):
                throw SourceError(
                    code: error == .notFound ? .missingPath : .unreadable, source: name, path: root, message: error.text)
            case .success(let status):
                try visit(absolute: root, relative: topName, status: status, into: &scan, emit: emit, logger: logger)
            }
        }
        return scan
    }

    private func visit(
        absolute: String, relative: String, status: FileSystem.Status, into scan: inout Scan,
        emit: (FileEntry, String) throws -> Void, logger: Logger
    ) throws {
        let isDirectory = status.isDirectory
        if isExcluded(relative, isDirectory: isDirectory) { return }
        var entry = FileEntry(
            path: relative, type: .file, size: 0, mtimeNanoseconds: status.mtimeNanoseconds, inode: status.inode,
            mode: status.permissions, uid: status.uid, gid: status.gid)
        if isDirectory {
            entry.type = .directory
            try emit(entry, absolute)
            let names: [String]
            switch FileSystem.children(of: absolute) {
            case .success(let list): names = list
            case .failure(let error):
                throw SourceError(
                    code: .unreadable, source: name, path: absolute, message: "cannot list folder: \(error.text)", underlying: error)
            }
            for child in names {
                let childAbsolute = absolute + "/" + child
                switch FileSystem.lstatus(childAbsolute) {
                case .success(let childStatus):
                    try visit(
                        absolute: childAbsolute, relative: relative + "/" + child, status: childStatus, into: &scan, emit: emit,
                        logger: logger)
                case .failure(let error) where error == .notFound:
                    continue  // vanished between listing and stat
                case .failure(let error):
                    throw SourceError(code: .unreadable, source: name, path: childAbsolute, message: error.text)
                }
            }
        } else if status.isRegular {
            guard isIncluded(relative) else { return }
            entry.size = status.size
            try emit(entry, absolute)
        } else if status.isSymlink {
            guard isIncluded(relative) else { return }
            switch FileSystem.readLink(absolute) {
            case .success(let target): entry.linkTarget = target
            case .failure(let error):
                throw SourceError(
                    code: .unreadable, source: name, path: absolute, message: "cannot read link: \(error.text)", underlying: error)
            }
            entry.type = .symlink
            try emit(entry, absolute)
        } else {
            let note = "skipped \(status.kindName) '\(relative)'"
            logger.warning("\(note)", metadata: ["source": "\(name)"])
            scan.notes.append(note)
        }
    }

    /// Patterns without `/` match the name at any depth; patterns with `/` match the relative path;
    /// a trailing `/` matches folders only.
    package func isExcluded(_ relative: String, isDirectory: Bool) -> Bool {
        config.exclude.contains { Self.glob($0, matches: relative, isDirectory: isDirectory) }
    }

    package func isIncluded(_ relative: String) -> Bool {
        config.include.isEmpty || config.include.contains { Self.glob($0, matches: relative, isDirectory: false) }
    }

    package static func glob(_ pattern: String, matches relative: String, isDirectory: Bool) -> Bool {
        var pattern = pattern
        if pattern.hasSuffix("/") {
            guard isDirectory else { return false }
            pattern.removeLast()
        }
        if pattern.contains("/") {
            // Relative to the source root, or to any of the configured top-level entries.
            let withoutTop = relative.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            return FileSystem.matches(pattern, relative, pathname: true)
                || (!withoutTop.isEmpty && FileSystem.matches(pattern, withoutTop, pathname: true))
        }
        let base = relative.split(separator: "/").last.map(String.init) ?? relative
        return FileSystem.matches(pattern, base, pathname: false)
    }

    package static func changed(_ current: FileEntry, since previous: FileEntry) -> Bool {
        current.type != previous.type || current.size != previous.size
            || current.mtimeNanoseconds != previous.mtimeNanoseconds || current.inode != previous.inode
            || current.mode != previous.mode || current.uid != previous.uid || current.gid != previous.gid
            || current.linkTarget != previous.linkTarget
    }

    private func hashFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw SourceError(code: .unreadable, source: name, path: path, message: FileSystem.errorText(errno))
        }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SourceError(code: .unreadable, source: name, path: path, message: FileSystem.errorText(errno))
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return HashingTransformer.hex(hasher.finalize())
    }
}

/// The entries a tar producer stores and what it learns while streaming.
package struct StreamState: Sendable {
    /// The entries to store, in index order; the producer updates each as it stores it (size, times, SHA-256).
    /// Empty when they are spooled.
    package var entries: [FileEntry]
    /// A full backup's walk spooled to disk (`input`, in index order) and the index of what the producer
    /// stored (`output`), instead of `entries`.
    package var spool: (input: IndexSpool, output: IndexSpool)?
    /// Positions in `entries` of entries stored but not listed in the index (an incremental's unchanged folders,
    /// files that vanished before they were read).
    package var unlisted: Set<Int> = []
    /// An incremental's entries not stored whose metadata changed, in index order.
    package var changes: [FileEntry] = []
    package var notes: [String]
    package var stored = 0
    package var bytesRead: Int64 = 0

    /// The entry the producer stores `position`-th (positions are taken in order).
    package mutating func entry(at position: Int) throws -> FileEntry {
        guard let spool else { return entries[position] }
        guard let entry = try spool.input.next() else { preconditionFailure("the spooled walk ended before its count") }
        return entry
    }

    /// Records `entry` as stored.
    package mutating func record(_ entry: FileEntry, at position: Int) throws {
        if let spool {
            try spool.output.append(entry)
        } else {
            entries[position] = entry
        }
    }

    /// The backup's index, once the stream was read: the listed stored entries and the changes, in index
    /// order. Moves the entries out (no copy of a large tree); a second call returns the changes only.
    package mutating func takeIndex() -> [FileEntry] {
        var index: [FileEntry] = []
        swap(&index, &entries)
        if !unlisted.isEmpty {
            var kept = 0
            for position in index.indices where !unlisted.contains(position) {
                index.swapAt(kept, position)
                kept += 1
            }
            index.removeLast(index.count - kept)
        }
        return changes.isEmpty ? index : FileIndex.applying(changes, deleted: [], to: index)
    }
}

/// An incremental's comparison of the tree with its parent's index, entry by entry in index order: what to
/// store (new and changed entries, and every folder), which stored entries stay out of the index (folders
/// whose metadata did not change), the entries not stored whose metadata changed, and the paths gone.
private struct ChangeFinder {
    /// An entry came before the one handed in before it.
    struct OutOfOrder: Error {}

    var parent: ParentIndex
    let hashContents: Bool
    let hash: (String) throws -> String
    private var last: String?
    private(set) var count = 0
    private(set) var toStore: [FileEntry] = []
    private(set) var unlisted: Set<Int> = []
    private(set) var changes: [FileEntry] = []
    private(set) var deleted: [String] = []

    init(parent: ParentIndex, hashContents: Bool, hash: @escaping (String) throws -> String) {
        self.parent = parent
        self.hashContents = hashContents
        self.hash = hash
    }

    mutating func add(_ scanned: FileEntry, at absolutePath: String) throws {
        if let last, !FileIndex.pathPrecedes(last, scanned.path) { throw OutOfOrder() }
        last = scanned.path
        count += 1
        var entry = scanned
        while let gone = try parent.peek(), FileIndex.pathPrecedes(gone.path, entry.path) {
            deleted.append(gone.path)
            try parent.advance()
        }
        var previous: FileEntry? = nil
        if let same = try parent.peek(), same.path == entry.path {
            previous = same
            try parent.advance()
        }
        guard let previous, !FileTreeSource.changed(entry, since: previous), entry.type != .directory else {
            if entry == previous { unlisted.insert(toStore.count) }
            toStore.append(entry)
            return
        }
        if hashContents, entry.type == .file {
            entry.sha256 = try hash(absolutePath)
            if entry.sha256 != previous.sha256 {
                toStore.append(entry)
                return
            }
        } else {
            entry.takeContentHash(of: previous)
        }
        if entry != previous { changes.append(entry) }
    }

    /// Every parent entry not seen is gone.
    mutating func finish() throws {
        while let gone = try parent.peek() {
            deleted.append(gone.path)
            try parent.advance()
        }
    }
}

/// An incremental's parent index, read in index order: listed in memory or spooled to disk.
private enum ParentIndex {
    case listed([FileEntry], next: Int = 0)
    case spooledAt(IndexSpool, current: FileEntry?, started: Bool)

    static func spooled(_ spool: IndexSpool) -> ParentIndex { .spooledAt(spool, current: nil, started: false) }

    /// The next entry not yet passed, `nil` after the last.
    mutating func peek() throws -> FileEntry? {
        switch self {
        case .listed(let entries, let next):
            return next < entries.count ? entries[next] : nil
        case .spooledAt(let spool, let current, let started):
            if started { return current }
            let first = try spool.next()
            self = .spooledAt(spool, current: first, started: true)
            return first
        }
    }

    /// Moves past the entry ``peek()`` returned.
    mutating func advance() throws {
        switch self {
        case .listed(let entries, let next):
            self = .listed(entries, next: next + 1)
        case .spooledAt(let spool, _, _):
            self = .spooledAt(spool, current: try spool.next(), started: true)
        }
    }

    /// Back to the first entry.
    mutating func rewind() throws {
        switch self {
        case .listed(let entries, _): self = .listed(entries)
        case .spooledAt(let spool, _, _):
            spool.rewind()
            self = .spooled(spool)
        }
    }
}

/// One incremental's index applied to a stream of entries in index order (``FileIndex/applying(_:deleted:to:)``
/// one entry at a time): deleted paths dropped, changed entries put in place, new ones added where they sort. A
/// class: each layer hands what it emits to the next while it is in the middle of a push.
private final class IndexLayer {
    let changes: [FileEntry]
    let deleted: Set<String>
    private var next = 0

    init(changes: [FileEntry], deleted: Set<String>) {
        self.changes = changes
        self.deleted = deleted
    }

    func push(_ entry: FileEntry, emit: (FileEntry) throws -> Void) throws {
        guard !deleted.contains(entry.path) else { return }
        while next < changes.count, FileIndex.pathPrecedes(changes[next].path, entry.path) {
            try emit(changes[next])
            next += 1
        }
        if next < changes.count, changes[next].path == entry.path {
            try emit(changes[next])
            next += 1
        } else {
            try emit(entry)
        }
    }

    func finish(emit: (FileEntry) throws -> Void) throws {
        while next < changes.count {
            try emit(changes[next])
            next += 1
        }
    }
}
