import ArtifactFormat
package import BackupModels
import BackupSupport
import Crypto
import Foundation
package import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The raw binary logs of an incremental as one POSIX tar stream, hashing each log as it is read so
/// the manifest lists every log with its own SHA-256.
package final class BinlogArchive: Sendable {
    package let folder: String
    package let names: [String]
    private let progress: @Sendable (SourceProgress) -> Void
    private let hashed = Shared([FileEntry]())
    private let chunkSize = 1 << 20

    package init(folder: String, names: [String], progress: @escaping @Sendable (SourceProgress) -> Void) {
        self.folder = folder
        self.names = names
        self.progress = progress
    }

    /// The archive; it can be read once.
    package func stream(source: String) -> ByteStream {
        let started = Shared(false)
        return ByteStream { [self] in
            let first = started.withLock { state -> Bool in
                defer { state = true }
                return !state
            }
            let writer = first ? ArchiveWriter(archive: self) : nil
            return {
                guard let writer else {
                    throw MySQLError(code: .dumpFailed, subject: source, message: "a binlog archive can be read only once")
                }
                return try writer.next()
            }
        }
    }

    /// Each log with its size and SHA-256, once the stream was read to its end.
    package func entries() throws -> [FileEntry] {
        let entries = hashed.value
        guard entries.count == names.count else {
            throw MySQLError(
                code: .dumpFailed, subject: folder, message: "the binlog archive ended after \(entries.count) of \(names.count) logs")
        }
        return entries
    }

    fileprivate func record(_ entry: FileEntry) {
        hashed.withLock { $0.append(entry) }
        progress(SourceProgress(files: 1))
    }

    fileprivate func reported(bytes: Int) { progress(SourceProgress(bytes: Int64(bytes))) }

    fileprivate var chunk: Int { chunkSize }
}

/// One reading of the archive (sequential access only).
private final class ArchiveWriter: @unchecked Sendable {
    private let archive: BinlogArchive
    private var index = 0
    private var file: FileHandle?
    private var remaining: Int64 = 0
    private var size: Int64 = 0
    private var hasher = SHA256()
    private var finished = false

    init(archive: BinlogArchive) { self.archive = archive }

    func next() throws -> [UInt8]? {
        if finished { return nil }
        if let file {
            let wanted = Int(min(Int64(archive.chunk), remaining))
            let data = try file.read(upToCount: wanted) ?? Data()
            guard !data.isEmpty else {
                throw MySQLError(
                    code: .dumpFailed, subject: archive.folder, message: "binary log \(archive.names[index]) shrank while it was read")
            }
            var bytes = [UInt8](data)
            hasher.update(data: bytes)
            remaining -= Int64(bytes.count)
            archive.reported(bytes: bytes.count)
            if remaining == 0 {
                try file.close()
                self.file = nil
                bytes += [UInt8](repeating: 0, count: TarHeader.padding(size))
                let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
                archive.record(FileEntry(path: archive.names[index], type: .file, size: size, mode: 0o640, sha256: digest))
                index += 1
            }
            return bytes
        }
        guard index < archive.names.count else {
            finished = true
            return [UInt8](repeating: 0, count: 2 * TarHeader.blockSize)
        }
        let name = archive.names[index]
        let path = archive.folder + "/" + name
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MySQLError(code: .dumpFailed, subject: archive.folder, message: "cannot open copied binary log \(name)")
        }
        let length = Int64(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        size = length
        remaining = length
        hasher = SHA256()
        let header = TarHeader(
            path: name, type: .file, size: length, mode: 0o640, uid: 0, gid: 0, mtime: Int64(Date().timeIntervalSince1970),
            linkTarget: "")
        if length == 0 {
            try handle.close()
            let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            archive.record(FileEntry(path: name, type: .file, size: 0, mode: 0o640, sha256: digest))
            index += 1
        } else {
            file = handle
        }
        return header.encoded()
    }
}
