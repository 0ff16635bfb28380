package import ArtifactFormat
package import BackupModels
import BackupSupport
import Crypto
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes tar entries under a root folder, refusing anything that would land outside it.
///
/// - Paths that are absolute or contain `..` are refused.
/// - Nothing is written through a symbolic link: every parent folder is checked with `lstat`, and
///   files are opened with `O_NOFOLLOW`.
/// - A link whose target points outside the root is refused unless `allowExternalLinks` is set.
/// - Folder modes and times are applied at the end, after their contents were written.
/// - Each file's size and SHA-256 are recorded as it is written, so the result can be checked against a
///   manifest (``check(against:)``) before it is made visible.
package final class TarExtractor {
    package let root: String
    package let allowExternalLinks: Bool
    package let restoreOwnership: Bool
    private var directories: [String: TarHeader] = [:]
    package private(set) var filesWritten = 0
    package private(set) var bytesWritten: Int64 = 0
    /// The size and SHA-256 of the last content written to each relative path, filled in by ``hashing``.
    /// The digest is kept as its 32 bytes (a hex string would cost about 100 bytes more per file).
    private let written = Shared<[String: (size: Int64, sha256: SHA256.Digest)]>([:])
    /// Hashes file contents on a thread of its own while the next chunks are decompressed.
    private let hashing = OffloadQueue(name: "backupkit-restore-hash")
    /// Writes file contents on a thread of its own, in order; ``extract(_:)`` returns once it is done.
    private let writing = OffloadQueue(name: "backupkit-restore-write")
    /// The first write that failed on ``writing``, as the error to throw.
    private let writeFailure = Shared<TarError?>(nil)
    /// What a file's last job (metadata, close) counts for in ``writing``'s limit, so that few files are
    /// open at once however small they are.
    private static let fileJobWeight = 64 << 10
    /// Folders (absolute paths) this extraction created or found to be real folders. Entries cannot turn
    /// a folder into anything else (a file or link over a folder is refused), so each is checked once
    /// instead of once per entry below it.
    private var knownFolders: Set<String> = []

    package init(root: String, allowExternalLinks: Bool) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        self.allowExternalLinks = allowExternalLinks
        self.restoreOwnership = geteuid() == 0
    }

    /// Extracts every entry of `reader`.
    ///
    /// File contents are written and hashed on threads of their own while the next entries are read;
    /// when this returns (or throws) every write has been done and every file closed.
    package func extract(_ reader: TarReader) async throws {
        let outcome: Result<Void, any Error>
        do {
            try await extractEntries(reader)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        await writing.drain()
        await hashing.drain()
        try outcome.get()
        if let failure = writeFailure.value { throw failure }
    }

    private func extractEntries(_ reader: TarReader) async throws {
        while let header = try await reader.nextEntry() {
            try Task.checkCancellation()
            let relative = try Self.safeRelativePath(header.path)
            let target = root + "/" + relative
            try ensureParents(of: relative)
            switch header.type {
            case .directory:
                try makeDirectory(target, relative: relative)
                directories[target] = header
            case .file:
                try await writeFile(target, relative: relative, header: header, reader: reader)
            case .symlink:
                try makeSymlink(target, relative: relative, header: header)
            default:
                throw TarError(
                    code: .unsupported, message: "entry '\(header.path)' is a \(header.type) entry, which restore does not create")
            }
        }
    }

    /// Removes every path under the root that is not in `keep` (deletions recorded by incrementals).
    package func removeEverything(except keep: Set<String>) throws {
        func walk(_ relative: String) throws {
            let absolute = relative.isEmpty ? root : root + "/" + relative
            guard case .success(let names) = FileSystem.children(of: absolute) else { return }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                let childAbsolute = root + "/" + child
                guard case .success(let status) = FileSystem.lstatus(childAbsolute) else { continue }
                if status.isDirectory {
                    try walk(child)
                    if !keep.contains(child), rmdir(childAbsolute) == 0 { knownFolders.remove(childAbsolute) }
                } else if !keep.contains(child) {
                    guard unlink(childAbsolute) == 0 else {
                        throw TarError(code: .unsafePath, message: "cannot remove '\(child)': \(FileSystem.errorText(errno))")
                    }
                    directories.removeValue(forKey: childAbsolute)
                }
            }
        }
        try walk("")
    }

    /// Checks what is under the root against a backup's file index: every entry is there with its type,
    /// every file has the size and (when the manifest lists one) the SHA-256 it had when it was backed up,
    /// and every link its target.
    ///
    /// - Returns: the problems found (empty when the tree matches), at most `limit`.
    /// Call it after ``extract(_:)`` has returned.
    package func check(against files: [FileEntry], limit: Int = 10) -> [String] {
        let written = self.written.value
        var problems: [String] = []
        for entry in files where problems.count < limit {
            let absolute = root + "/" + entry.path
            guard case .success(let status) = FileSystem.lstatus(absolute) else {
                problems.append("'\(entry.path)' is missing")
                continue
            }
            switch entry.type {
            case .directory:
                if !status.isDirectory { problems.append("'\(entry.path)' is not a folder") }
            case .symlink:
                guard status.isSymlink, case .success(let target) = FileSystem.readLink(absolute) else {
                    problems.append("'\(entry.path)' is not a link")
                    continue
                }
                if target != entry.linkTarget {
                    problems.append("link '\(entry.path)' points to '\(target)', not '\(entry.linkTarget ?? "")'")
                }
            case .file:
                guard status.isRegular, let content = written[entry.path] else {
                    problems.append("'\(entry.path)' is not a restored file")
                    continue
                }
                if content.size != entry.size {
                    problems.append("'\(entry.path)' has \(content.size) bytes, the manifest says \(entry.size)")
                } else if let expected = entry.sha256, case let actual = HashingTransformer.hex(content.sha256), expected != actual {
                    problems.append("'\(entry.path)' has SHA-256 \(actual), the manifest says \(expected)")
                }
            }
        }
        return problems
    }

    /// Applies folder modes and modification times, deepest first.
    package func finish() {
        for (path, header) in directories.sorted(by: { $0.key.count > $1.key.count }) {
            guard case .success(let status) = FileSystem.lstatus(path), status.isDirectory else { continue }
            chmod(path, mode_t(header.mode & 0o7777))
            if restoreOwnership { lchown(path, uid_t(header.uid), gid_t(header.gid)) }
            var times = [timespec(tv_sec: Int(header.mtime), tv_nsec: 0), timespec(tv_sec: Int(header.mtime), tv_nsec: 0)]
            utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW)
        }
    }

    // MARK: Entries

    private func writeFile(_ target: String, relative: String, header: TarHeader, reader: TarReader) async throws {
        // Most entries are new files: create them exclusively, and look at what is in the way only when
        // something is (an incremental's changed file, or a link or folder where a file now stands).
        var fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0, errno == EEXIST {
            // The earlier content's writes must land before this one truncates it.
            await writing.drain()
            try removeIfNotRegularFile(target)
            fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        }
        guard fd >= 0 else {
            throw TarError(code: .unsafePath, message: "cannot create '\(header.path)': \(FileSystem.errorText(errno))")
        }
        let file = fd
        do {
            _ = try await writeContent(of: header, from: reader, to: file, relative: relative)
        } catch {
            await writing.submit(bytes: Self.fileJobWeight) { close(file) }
            throw error
        }
        let mode = mode_t(header.mode & 0o7777)
        let owner = restoreOwnership ? (uid_t(header.uid), gid_t(header.gid)) : nil
        let mtime = Int(header.mtime)
        await writing.submit(bytes: Self.fileJobWeight) {
            fchmod(file, mode)
            if let owner { fchown(file, owner.0, owner.1) }
            var times = [timespec(tv_sec: mtime, tv_nsec: 0), timespec(tv_sec: mtime, tv_nsec: 0)]
            futimens(file, &times)
            close(file)
        }
        filesWritten += 1
    }

    /// Hands the entry's content to the writing and hashing threads; returns its size.
    private func writeContent(of header: TarHeader, from reader: TarReader, to file: Int32, relative: String) async throws -> Int64 {
        let path = header.path
        let failure = writeFailure
        let content = ContentHash()
        var size: Int64 = 0
        while let chunk = try await reader.readContent() {
            await writing.submit(bytes: chunk.count) {
                guard failure.value == nil, case .failure(let error) = FileSystem.writeAll(chunk, to: file) else { return }
                failure.withLock { $0 = $0 ?? TarError(code: .unsafePath, message: "cannot write '\(path)': \(error.text)") }
            }
            await hashing.submit(bytes: chunk.count) { content.hasher.update(data: chunk) }
            size += Int64(chunk.count)
            bytesWritten += Int64(chunk.count)
        }
        if let failed = writeFailure.value { throw failed }
        let written = self.written
        await hashing.submit(bytes: 0) { [size] in
            let digest = content.hasher.finalize()
            written.withLock { $0[relative] = (size, digest) }
        }
        return size
    }

    private func makeDirectory(_ target: String, relative: String) throws {
        switch FileSystem.lstatus(target) {
        case .success(let status) where status.isDirectory:
            knownFolders.insert(target)
            return
        case .success:
            guard unlink(target) == 0 else {
                throw TarError(code: .unsafePath, message: "cannot replace '\(relative)' with a folder: \(FileSystem.errorText(errno))")
            }
        case .failure: break
        }
        if mkdir(target, 0o700) == 0 {
            knownFolders.insert(target)
        } else if errno != EEXIST {
            throw TarError(code: .unsafePath, message: "cannot create folder '\(relative)': \(FileSystem.errorText(errno))")
        }
    }

    private func makeSymlink(_ target: String, relative: String, header: TarHeader) throws {
        let link = header.linkTarget
        if !allowExternalLinks, !Self.linkStaysInside(relative, target: link) {
            throw TarError(
                code: .unsafePath,
                message:
                    "link '\(header.path)' points outside the restore target ('\(link)'); restore it with --allow-external-links (FolderRestoreOptions.allowExternalLinks)"
            )
        }
        if case .success(let status) = FileSystem.lstatus(target) {
            if status.isDirectory {
                throw TarError(code: .unsafePath, message: "'\(relative)' is a folder; cannot replace it with a link")
            }
            unlink(target)
        }
        guard symlink(link, target) == 0 else {
            throw TarError(code: .unsafePath, message: "cannot create link '\(relative)': \(FileSystem.errorText(errno))")
        }
        if restoreOwnership { lchown(target, uid_t(header.uid), gid_t(header.gid)) }
        filesWritten += 1
    }

    /// Creates missing parent folders and refuses parents that are links or files.
    private func ensureParents(of relative: String) throws {
        let components = relative.split(separator: "/").dropLast()
        var path = root
        for component in components {
            path += "/" + component
            if knownFolders.contains(path) { continue }
            switch FileSystem.lstatus(path) {
            case .success(let status) where status.isDirectory:
                knownFolders.insert(path)
                continue
            case .success:
                throw TarError(
                    code: .unsafePath, message: "'\(path.dropFirst(root.count + 1))' is not a folder (a link or file is in the way)")
            case .failure:
                guard mkdir(path, 0o700) == 0 else {
                    throw TarError(code: .unsafePath, message: "cannot create folder '\(path)': \(FileSystem.errorText(errno))")
                }
                knownFolders.insert(path)
            }
        }
    }

    private func removeIfNotRegularFile(_ target: String) throws {
        guard case .success(let status) = FileSystem.lstatus(target) else { return }
        if status.isRegular { return }
        if status.isDirectory {
            throw TarError(code: .unsafePath, message: "'\(target)' is a folder; cannot replace it with a file")
        }
        unlink(target)
    }

    // MARK: Paths

    /// The entry's path relative to the root, or an error if it could escape it.
    package static func safeRelativePath(_ path: String) throws -> String {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("./") { trimmed = trimmed.dropFirst(2) }
        while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard !trimmed.isEmpty, !trimmed.hasPrefix("/") else {
            throw TarError(code: .unsafePath, message: "entry '\(path)' has an absolute or empty path")
        }
        let components = trimmed.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains("..") else {
            throw TarError(code: .unsafePath, message: "entry '\(path)' contains '..'")
        }
        guard !trimmed.unicodeScalars.contains(where: { $0.value == 0 }) else {
            throw TarError(code: .unsafePath, message: "entry '\(path)' contains a NUL character")
        }
        return components.filter { $0 != "." }.joined(separator: "/")
    }

    /// Whether a link at `relative` pointing to `target` resolves, lexically, inside the root.
    package static func linkStaysInside(_ relative: String, target: String) -> Bool {
        guard !target.hasPrefix("/") else { return false }
        let parent = relative.split(separator: "/").dropLast().joined(separator: "/")
        return normalizedStaysInside(parent.isEmpty ? target : parent + "/" + target)
    }

    /// Whether a relative path, resolved lexically, stays inside its root.
    package static func normalizedStaysInside(_ path: String) -> Bool {
        var depth = 0
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                depth -= 1
                if depth < 0 { return false }
            default: depth += 1
            }
        }
        return true
    }
}

/// The hash of one file's content, touched only by the extractor's hashing thread, one job after another.
private final class ContentHash: @unchecked Sendable {
    var hasher = SHA256()
}
