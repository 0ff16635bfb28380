import ArtifactFormat
import BackupCatalog
public import BackupModels
public import BackupSources
import BackupSupport
import Foundation
import Logging
package import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The result of a restore.
public struct RestoreReport: Sendable {
    /// The folder restored into.
    public var target: String
    /// The backups applied, full first.
    public var chain: [BackupRecord]
    public var filesWritten: Int
    public var bytesWritten: Int64
}

extension Engine {
    /// Rebuilds a source's data as of backup `id` into `directory`: the full backup, then each
    /// incremental up to `id`, then the deletions they recorded.
    ///
    /// Verified, then visible: the chain is restored into a staging folder beside `directory` (on the same
    /// file system: `.<name>.backupkit-staging-*` in its parent, or inside `directory` when that is a mount
    /// point). Each artifact's size and SHA-256 are checked as it is read, and the source checks what it
    /// restored (a file tree: every file's size and SHA-256 against the manifest). Only then are the staged
    /// entries renamed into `directory`; with `allowNonEmptyTarget`, the old entries are moved aside and
    /// removed only after that. On any failure `directory` is left as it was and the staging folder is removed.
    ///
    /// Entries that would land outside `directory` (absolute paths, `..`, writing through links) are
    /// refused; links pointing out are refused before anything is written unless `allowExternalLinks`.
    ///
    /// - Throws: ``EngineError`` `notRestorable` if the backup or a parent is not committed, or the backup
    ///   holds entries restore refuses; `targetNotEmpty`; `damaged` when an artifact or the restored data does
    ///   not match its checksums; `io`. Errors from reading or checking a backup name its id, label, source and
    ///   artifact key, and keep the cause in `underlying`.
    public func restore(_ id: BackupID, to directory: String, options: FolderRestoreOptions = FolderRestoreOptions()) async throws
        -> RestoreReport
    {
        let chain = try await restoreChain(for: id)
        let record = chain.newest.record
        let source = try source(of: record, manifest: chain.newest.manifest)
        let createdTarget = try prepareTarget(directory, allowNonEmpty: options.allowNonEmptyTarget)
        let staging: RestoreStaging
        do {
            staging = try RestoreStaging(target: directory)
        } catch {
            if createdTarget { rmdir(directory) }
            throw error
        }
        logger.info(
            "restore started",
            metadata: ["backup": "\(record.id)", "label": "\(record.label)", "target": "\(directory)", "staging": "\(staging.path)"])
        // Remember which backup was being read, so that a failure names it.
        let reading = Shared(record)
        let tracked = RestoreChain(
            records: chain.records, newest: chain.newest, manifest: { try await chain.manifest(of: $0) },
            artifact: { record, role, body in
                reading.withLock { $0 = record }
                try await chain.withArtifact(role, of: record, body)
            },
            check: { record, role in
                reading.withLock { $0 = record }
                try await checkStoredArtifact(of: record, role: role)
            })
        let restored: RestoredFiles
        do {
            var stagingOptions = options
            stagingOptions.allowNonEmptyTarget = false
            restored = try await source.restore(tracked, into: staging.path, options: stagingOptions, logger: logger)
            // A cancelled restore (SIGTERM, SIGINT) never becomes visible, however far it got.
            try Task.checkCancellation()
            try staging.moveIntoPlace(replacingOldContent: options.allowNonEmptyTarget)
        } catch {
            staging.remove()
            if createdTarget { rmdir(directory) }
            let failed = reading.value
            logger.error(
                "restore failed; the target was left as it was",
                metadata: ["backup": "\(failed.id)", "label": "\(failed.label)", "target": "\(directory)", "error": "\(error)"])
            throw restoreFailure(error, reading: failed, restoring: record)
        }
        return RestoreReport(
            target: directory, chain: Array(chain.records.suffix(restored.backupsApplied)),
            filesWritten: restored.filesWritten, bytesWritten: restored.bytesWritten)
    }

    /// An error naming the backup restored to, the backup and artifact being read when `error` happened,
    /// and its source; `error` is kept as the underlying error. An ``EngineError`` that already names its
    /// artifact is returned as it is.
    private func restoreFailure(_ error: any Error, reading record: BackupRecord, restoring newest: BackupRecord) -> any Error {
        if error is CancellationError { return error }
        if let engineError = error as? EngineError, engineError.backupID != nil, engineError.code != .io { return engineError }
        let key = record.artifacts.first(where: { $0.role == "data" })?.key ?? record.artifacts.first?.key ?? "(none)"
        let code: EngineError.Code
        if let engineError = error as? EngineError {
            code = engineError.code
        } else if error is CodecError {
            code = .damaged
        } else if let tarError = error as? TarError {
            code = tarError.code == .unsafePath ? .notRestorable : .damaged
        } else if let sourceError = error as? SourceError, sourceError.code == .damaged {
            code = .damaged
        } else {
            code = .io
        }
        let chainNote = record.id == newest.id ? "" : " (restoring \(newest.label))"
        return EngineError(
            code: code,
            message:
                "restore of backup \(record.label) (id \(record.id), source '\(record.source)', artifact '\(key)')\(chainNote) failed; the target was left as it was: \(error)",
            backupID: record.id, underlying: error)
    }

    /// The committed chain of backup `id`, full first, with the newest manifest and readers for the
    /// others and for each payload (decoded, its stored size and SHA-256 checked) — what a source's
    /// restore consumes.
    ///
    /// - Throws: ``EngineError`` `notRestorable` if the backup or a parent is missing or not committed.
    public func restoreChain(for id: BackupID) async throws -> RestoreChain {
        guard let record = try await catalog.record(id) else {
            throw EngineError(code: .notRestorable, message: "no backup \(id) in the catalog", backupID: id)
        }
        let records = try await restoreChain(for: record)
        return restoreChain(records, newest: RestoreChain.Link(record: record, manifest: try await readManifest(of: record)))
    }

    /// The chain `records` (full first, ending with `newest`'s record) with this engine's readers.
    package func restoreChain(_ records: [BackupRecord], newest: RestoreChain.Link) -> RestoreChain {
        RestoreChain(
            records: records, newest: newest, manifest: { try await readManifest(of: $0) },
            artifact: { try await withArtifactStream(of: $0, role: $1, $2) },
            check: { try await checkStoredArtifact(of: $0, role: $1) })
    }

    /// The committed chain from the full backup up to `record`.
    package func restoreChain(for record: BackupRecord) async throws -> [BackupRecord] {
        var chain: [BackupRecord] = []
        var current: BackupRecord? = record
        while let link = current {
            if link.state == .missing {
                throw EngineError(
                    code: .notRestorable,
                    message: (link.id == record.id
                        ? "backup \(link.label) (id \(link.id))" : "backup \(record.label) needs \(link.label) (id \(link.id)), which")
                        + " is missing: its artifacts are gone from storage; put them back and run `backup catalog rebuild`",
                    backupID: record.id)
            }
            guard link.state == .committed else {
                throw EngineError(
                    code: .notRestorable,
                    message: link.id == record.id
                        ? "backup \(link.label) is \(link.state.rawValue), not committed"
                        : "backup \(record.label) needs \(link.label), which is \(link.state.rawValue)",
                    backupID: record.id)
            }
            chain.append(link)
            guard let parentID = link.parentID else { break }
            guard let parent = try await catalog.record(parentID) else {
                throw EngineError(
                    code: .notRestorable, message: "backup \(link.label) needs parent \(parentID), which is not in the catalog",
                    backupID: record.id)
            }
            guard chain.count < 100_000 else { throw EngineError(code: .notRestorable, message: "parent chain loops", backupID: record.id) }
            current = parent
        }
        return chain.reversed()
    }

    /// Streams one record's decoded artifact of `role` (its payload by default) to `body`, then checks the
    /// stored bytes' size and SHA-256.
    package func withArtifactStream(
        of record: BackupRecord, role: String = "data", _ body: (ByteStream) async throws -> Void
    ) async throws {
        try await readArtifact(of: record, role: role, decoded: true, body)
    }

    /// Reads one record's stored artifact of `role` to its end without decoding it and checks its size and
    /// SHA-256 (a check before a restore sends anything to a server; decoding it would only cost time).
    package func checkStoredArtifact(of record: BackupRecord, role: String) async throws {
        try await readArtifact(of: record, role: role, decoded: false) { stream in
            for try await _ in stream {}
        }
    }

    private func readArtifact(
        of record: BackupRecord, role: String, decoded: Bool, _ body: (ByteStream) async throws -> Void
    ) async throws {
        guard let artifact = record.artifacts.first(where: { $0.role == role }) else {
            throw EngineError(code: .notRestorable, message: "backup \(record.label) has no \(role) artifact", backupID: record.id)
        }
        // The key is looked up either way: a check fails early when the key to read the artifact is missing.
        let key = try key(for: artifact, of: record)
        let decoding = try Pipeline.decode(
            try await storage.get(artifact.key), compression: decoded ? artifact.compression : .none, key: decoded ? key : nil)
        let named = "artifact '\(artifact.key)' of backup \(record.label) (id \(record.id), source '\(record.source)')"
        do {
            try await body(decoding.stream)
        } catch let error as CodecError {
            throw EngineError(
                code: .damaged, message: "\(named) cannot be decoded (damaged or replaced): \(error)", backupID: record.id,
                underlying: error)
        }
        let digest = decoding.storedDigest()
        guard digest.hex == artifact.sha256, digest.byteCount == artifact.sizeBytes else {
            throw EngineError(
                code: .damaged,
                message:
                    "\(named) does not match its checksum (read \(digest.byteCount) bytes, sha256 \(digest.hex); the catalog says \(artifact.sizeBytes) bytes, sha256 \(artifact.sha256))",
                backupID: record.id)
        }
    }

    /// Checks the target is a folder, empty unless allowed, or creates it.
    ///
    /// - Returns: whether the folder was created (and so is removed again if the restore fails).
    private func prepareTarget(_ directory: String, allowNonEmpty: Bool) throws -> Bool {
        switch FileSystem.lstatus(directory) {
        case .success(let status):
            guard status.isDirectory else {
                throw EngineError(code: .targetNotEmpty, message: "restore target '\(directory)' exists and is not a folder")
            }
            if case .success(let names) = FileSystem.children(of: directory), !names.isEmpty, !allowNonEmpty {
                throw EngineError(
                    code: .targetNotEmpty,
                    message:
                        "restore target '\(directory)' is not empty (\(names.count) entries); choose an empty folder or allow a non-empty target"
                )
            }
            return false
        case .failure:
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw EngineError(
                    code: .io, message: "cannot create restore target '\(directory)': \(error.localizedDescription)", underlying: error)
            }
            return true
        }
    }
}

/// The folder a restore writes into before anything is visible, on the target's file system, and the
/// renames that make its content the target's.
struct RestoreStaging {
    /// The restore target, without a trailing `/`.
    let target: String
    /// The staging folder.
    let path: String
    /// Where old content is moved aside: the staging folder's parent.
    private let holder: String

    /// Creates the staging folder: in the target's parent when that is on the same file system (the usual
    /// case), else inside the target (a mount point), hidden.
    init(target directory: String) throws {
        let target = directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let name = (target as NSString).lastPathComponent
        var parent = (target as NSString).deletingLastPathComponent
        if parent.isEmpty { parent = "." }
        var targetStatus = stat()
        var parentStatus = stat()
        let sameDevice =
            lstat(target, &targetStatus) == 0 && stat(parent, &parentStatus) == 0 && targetStatus.st_dev == parentStatus.st_dev
            && access(parent, W_OK) == 0
        holder = sameDevice && name != "/" ? parent : target
        var template = Array((holder + "/.\(sameDevice ? name : "restore").backupkit-staging-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw EngineError(
                code: .io,
                message: "cannot create a staging folder for restore target '\(target)' in '\(holder)': \(FileSystem.errorText(errno))")
        }
        self.target = target
        self.path = String(cString: created)
    }

    /// Makes the staged entries the target's: with `replacingOldContent`, the target's current entries are
    /// first moved aside (and removed once the new ones are in place); if a rename fails, what was moved is
    /// moved back.
    func moveIntoPlace(replacingOldContent: Bool) throws {
        let stagingName = (path as NSString).lastPathComponent
        let staged = try Self.children(of: path)
        var aside: String? = nil
        var movedAside: [String] = []
        var placed: [String] = []
        func rollBack() {
            for name in placed { Self.move(target + "/" + name, to: path + "/" + name) }
            if let aside {
                for name in movedAside { Self.move(aside + "/" + name, to: target + "/" + name) }
                rmdir(aside)
            }
        }
        do {
            if replacingOldContent {
                let old = try Self.children(of: target).filter { $0 != stagingName }
                if !old.isEmpty {
                    var template = Array((holder + "/.restore.backupkit-old-XXXXXX").utf8CString)
                    guard let created = mkdtemp(&template) else {
                        throw EngineError(code: .io, message: "cannot create a folder for the old content: \(FileSystem.errorText(errno))")
                    }
                    let folder = String(cString: created)
                    aside = folder
                    for name in old {
                        guard Self.move(target + "/" + name, to: folder + "/" + name) else {
                            throw EngineError(
                                code: .io, message: "cannot move '\(target)/\(name)' aside: \(FileSystem.errorText(errno))")
                        }
                        movedAside.append(name)
                    }
                }
            }
            for name in staged {
                // Never replace an existing entry: the target was checked empty, or its content moved aside.
                if case .success = FileSystem.lstatus(target + "/" + name) {
                    throw EngineError(code: .io, message: "'\(target)/\(name)' appeared during the restore")
                }
                guard Self.move(path + "/" + name, to: target + "/" + name) else {
                    throw EngineError(
                        code: .io, message: "cannot move '\(name)' into '\(target)': \(FileSystem.errorText(errno))")
                }
                placed.append(name)
            }
        } catch {
            rollBack()
            throw error
        }
        if let aside { try? FileManager.default.removeItem(atPath: aside) }
        rmdir(path)
    }

    /// Renames `from` to `to`. A folder without write permission for its owner (a restored `0555` folder)
    /// cannot be moved to another parent (its `..` entry changes): it is made writable for the move only.
    @discardableResult
    static func move(_ from: String, to: String) -> Bool {
        if rename(from, to) == 0 { return true }
        guard errno == EACCES, case .success(let status) = FileSystem.lstatus(from), status.isDirectory else { return false }
        let mode = mode_t(status.permissions)
        guard chmod(from, mode | S_IWUSR) == 0 else { return false }
        let moved = rename(from, to) == 0
        chmod(moved ? to : from, mode)
        return moved
    }

    /// Removes the staging folder and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func children(of folder: String) throws -> [String] {
        switch FileSystem.children(of: folder) {
        case .success(let names): return names
        case .failure(let error):
            throw EngineError(code: .io, message: "cannot list '\(folder)': \(error.text)", underlying: error)
        }
    }
}
