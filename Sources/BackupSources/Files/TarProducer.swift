import ArtifactFormat
import BackupModels
package import BackupSupport
import Crypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Produces the tar stream of a file-tree backup lazily, one chunk per call, reading each file as
/// the consumer pulls. Owned by one iteration of the stream (sequential access only).
///
/// The entries come from the shared ``StreamState``: each is read from there when its turn comes and
/// recorded as stored (size, times and SHA-256 as read), either written back into the state's array — the
/// stored tree is then also the backup's index, without a second copy — or, for a full backup spooled to
/// disk, appended to the index spool.
package final class TarProducer: @unchecked Sendable {
    private let count: Int
    private let roots: [String: String]
    private let chunkSize: Int
    private let source: String
    private let state: Shared<StreamState>
    private let progress: @Sendable (SourceProgress) -> Void

    private var nextIndex = 0
    private var current: OpenFile?
    private var finished = false
    private var scratch: [UInt8]

    private struct OpenFile {
        var fd: Int32
        var position: Int
        var entry: FileEntry
        var path: String
        var remaining: Int64
        var opened: FileSystem.Status
        var hasher: SHA256
        var shortRead = false
    }

    package init(
        count: Int, roots: [String: String], chunkSize: Int, source: String, state: Shared<StreamState>,
        progress: @escaping @Sendable (SourceProgress) -> Void
    ) {
        self.count = count
        self.roots = roots
        self.chunkSize = chunkSize
        self.source = source
        self.state = state
        self.progress = progress
        self.scratch = [UInt8](repeating: 0, count: chunkSize)
    }

    deinit {
        if let current { close(current.fd) }
    }

    /// The next chunk of the archive, or `nil` after the end-of-archive blocks.
    package func next() throws -> [UInt8]? {
        if finished { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(chunkSize + 3 * TarHeader.blockSize)
        while output.count < chunkSize {
            if current != nil {
                try readCurrent(into: &output)
                continue
            }
            guard nextIndex < count else {
                output += [UInt8](repeating: 0, count: 2 * TarHeader.blockSize)
                finished = true
                break
            }
            let position = nextIndex
            nextIndex += 1
            try begin(position, into: &output)
        }
        return output
    }

    private func begin(_ position: Int, into output: inout [UInt8]) throws {
        var entry = try state.withLock { try $0.entry(at: position) }
        switch entry.type {
        case .directory, .symlink:
            output += header(for: entry, size: 0).encoded()
            try record(entry, at: position, bytes: 0)
        case .file:
            let path = FileTreeSource.Scan.absolutePath(of: entry.path, roots: roots)
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else {
                let code = errno
                if code == ENOENT {
                    note("vanished before it was read: '\(entry.path)'", unlisting: position)
                    return
                }
                throw SourceError(code: .unreadable, source: source, path: path, message: FileSystem.errorText(code))
            }
            guard case .success(let status) = FileSystem.fstatus(fd), status.isRegular else {
                close(fd)
                note("replaced by a non-file before it was read: '\(entry.path)'", unlisting: position)
                return
            }
            // The header carries the size seen now; later changes are detected after reading.
            entry.size = status.size
            entry.mtimeNanoseconds = status.mtimeNanoseconds
            entry.inode = status.inode
            entry.mode = status.permissions
            output += header(for: entry, size: status.size).encoded()
            current = OpenFile(
                fd: fd, position: position, entry: entry, path: path, remaining: status.size, opened: status, hasher: SHA256())
            if status.size == 0 { try finishCurrent(into: &output) }
        }
    }

    private func readCurrent(into output: inout [UInt8]) throws {
        guard var file = current else { return }
        let want = Int(min(Int64(chunkSize - output.count), file.remaining))
        guard want > 0 else {
            try finishCurrent(into: &output)
            return
        }
        let count = scratch.withUnsafeMutableBytes { read(file.fd, $0.baseAddress, want) }
        if count < 0 {
            let code = errno
            if code == EINTR { return }
            close(file.fd)
            current = nil
            throw SourceError(code: .unreadable, source: source, path: file.path, message: FileSystem.errorText(code))
        }
        if count == 0 {
            // The file shrank while being read: pad with zeros so the archive stays well-formed.
            file.shortRead = true
            let zeros = Int(min(Int64(chunkSize - output.count), file.remaining))
            output += [UInt8](repeating: 0, count: zeros)
            file.remaining -= Int64(zeros)
        } else {
            output.append(contentsOf: scratch[0..<count])
            file.hasher.update(data: scratch[0..<count])
            file.remaining -= Int64(count)
            progress(SourceProgress(bytes: Int64(count)))
        }
        current = file
        if file.remaining == 0 { try finishCurrent(into: &output) }
    }

    private func finishCurrent(into output: inout [UInt8]) throws {
        guard var file = current else { return }
        current = nil
        defer { close(file.fd) }
        output += [UInt8](repeating: 0, count: TarHeader.padding(file.entry.size))

        var changed = file.shortRead
        if case .success(let after) = FileSystem.fstatus(file.fd) {
            if after.size != file.opened.size || after.mtimeNanoseconds != file.opened.mtimeNanoseconds { changed = true }
        }
        if changed {
            note("changed while it was read: '\(file.entry.path)' (stored as read; the next backup stores it again)")
            // An impossible mtime makes the next incremental see the file as changed.
            file.entry.mtimeNanoseconds = -1
            file.entry.sha256 = nil
        } else {
            // Every stored file's SHA-256 goes into the manifest, so a restore can check each file.
            file.entry.sha256 = HashingTransformer.hex(file.hasher.finalize())
        }
        try record(file.entry, at: file.position, bytes: file.entry.size)
    }

    private func header(for entry: FileEntry, size: Int64) -> TarHeader {
        let type: TarHeader.EntryType =
            switch entry.type {
            case .file: .file
            case .directory: .directory
            case .symlink: .symlink
            }
        return TarHeader(
            path: entry.type == .directory ? entry.path + "/" : entry.path, type: type, size: size, mode: entry.mode,
            uid: entry.uid, gid: entry.gid, mtime: max(0, entry.mtimeNanoseconds) / 1_000_000_000,
            linkTarget: entry.linkTarget ?? "")
    }

    private func record(_ entry: FileEntry, at position: Int, bytes: Int64) throws {
        progress(SourceProgress(files: 1))
        try state.withLock { state in
            try state.record(entry, at: position)
            state.stored += 1
            state.bytesRead += bytes
        }
    }

    /// Keeps a warning for the manifest; an entry that was not stored after all is left out of the index.
    private func note(_ text: String, unlisting position: Int? = nil) {
        state.withLock { state in
            state.notes.append(text)
            if let position { state.unlisted.insert(position) }
        }
    }
}
