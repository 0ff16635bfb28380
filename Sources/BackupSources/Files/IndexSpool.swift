package import BackupModels
import BackupSupport
import Foundation
package import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// File index lines kept in a temporary file instead of memory: written in order, then read back from the
/// start, as entries or as bytes. The file is unlinked as soon as it is created, so nothing is left behind
/// whatever happens to the process; the space is freed when the spool is closed or released.
///
/// How a full backup of a large tree keeps its memory flat: the walk spools every entry (about 250 bytes
/// each in memory, 150–250 bytes of JSON on disk), the tar producer reads them back one by one and spools
/// each stored entry with its SHA-256 into a second spool, which becomes the index artifact.
package final class IndexSpool: @unchecked Sendable {
    private var fd: Int32
    private let source: String
    private let folder: String
    private var pending: [FileEntry] = []
    private var writtenBytes: Int64 = 0
    private var readOffset: Int64 = 0
    private var reader = FileIndexReader()
    private var readBuffer: [FileEntry] = []
    private var readPosition = 0
    private var readToEnd = false
    private(set) package var count = 0

    private static let batch = 4096
    private static let chunkSize = 1 << 20

    /// Creates an empty spool in `directory` (the temporary folder by default).
    ///
    /// - Throws: ``SourceError`` `io` naming the folder when no file can be made there.
    package init(directory: String = NSTemporaryDirectory(), source: String) throws {
        let folder = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var template = Array((folder + "/backupkit-index-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw SourceError(
                code: .io, source: source, path: folder, message: "cannot make a temporary file index: \(FileSystem.errorText(errno))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
        self.source = source
        self.folder = folder
    }

    deinit { close() }

    /// Frees the file (also done when the spool is released).
    package func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    /// Appends `entry`; entries are written in batches.
    package func append(_ entry: FileEntry) throws {
        pending.append(entry)
        count += 1
        if pending.count >= Self.batch { try flush() }
    }

    /// Writes what is pending; call before reading.
    package func flush() throws {
        var next = 0
        while let lines = FileIndex.lines(entries: pending, from: &next, size: Self.chunkSize) {
            try write(lines)
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// The next entry from the start, in the order they were appended; `nil` after the last.
    package func next() throws -> FileEntry? {
        while readPosition == readBuffer.count {
            guard !readToEnd else { return nil }
            readBuffer = []
            readPosition = 0
            if let chunk = try readChunk() {
                try reader.read(chunk)
            } else {
                _ = try reader.finish()
                readToEnd = true
            }
            readBuffer = reader.takeEntries()
        }
        defer { readPosition += 1 }
        return readBuffer[readPosition]
    }

    /// Reads from the first entry again (``next()``).
    package func rewind() {
        readOffset = 0
        reader = FileIndexReader()
        readBuffer = []
        readPosition = 0
        readToEnd = false
    }

    /// The spooled lines from the start, in chunks of about 1 MiB (one reading at a time).
    package func lines() -> ByteStream {
        ByteStream { [self] in
            let offset = Shared<Int64>(0)
            return {
                try offset.withLock { offset in
                    let chunk = try self.chunk(at: offset)
                    offset += Int64(chunk?.count ?? 0)
                    return chunk
                }
            }
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(writtenBytes))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SourceError(
                        code: .io, source: source, path: folder,
                        message: "cannot write the temporary file index: \(FileSystem.errorText(errno))")
                }
                done += written
                writtenBytes += Int64(written)
            }
        }
    }

    private func readChunk() throws -> [UInt8]? {
        let chunk = try chunk(at: readOffset)
        readOffset += Int64(chunk?.count ?? 0)
        return chunk
    }

    private func chunk(at offset: Int64) throws -> [UInt8]? {
        let want = Int(min(Int64(Self.chunkSize), writtenBytes - offset))
        guard want > 0 else { return nil }
        var chunk = [UInt8](repeating: 0, count: want)
        var done = 0
        while done < want {
            let read = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, want - done, off_t(offset) + off_t(done)) }
            if read < 0 {
                if errno == EINTR { continue }
                throw SourceError(
                    code: .io, source: source, path: folder, message: "cannot read the temporary file index: \(FileSystem.errorText(errno))"
                )
            }
            guard read > 0 else {
                throw SourceError(code: .io, source: source, path: folder, message: "the temporary file index ended early")
            }
            done += read
        }
        return chunk
    }
}
