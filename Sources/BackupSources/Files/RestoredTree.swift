import ArtifactFormat
package import BackupModels
import BackupSupport
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A restored file tree compared, from disk, with a backup's file index: what a restore
/// drill proves of a file-tree backup.
///
/// Every file is read again and hashed, independently of the checks the restore made while writing.
public struct RestoredTreeComparison: Sendable, Hashable {
    /// Entries the manifest lists.
    public var entriesExpected = 0
    /// Files whose size and SHA-256 were compared.
    public var filesCompared = 0
    /// Files whose SHA-256 the manifest does not hold (they changed while read): their size was compared.
    public var filesWithoutChecksum = 0
    /// Bytes read back and hashed.
    public var bytesHashed: Int64 = 0
    /// Links compared.
    public var linksCompared = 0
    /// Paths the manifest lists that are missing or of another type.
    public var missing: [String] = []
    /// Paths on disk the manifest does not list (deletions not applied).
    public var unexpected: [String] = []
    /// Files whose size or SHA-256 differ, with what was seen.
    public var contentMismatches: [String] = []
    /// Links pointing elsewhere, with what was seen.
    public var linkMismatches: [String] = []
    /// Files and folders whose permission bits differ, with what was seen.
    public var modeMismatches: [String] = []

    /// Compares the tree under `root` with `files`.
    ///
    /// - Parameters:
    ///   - root: The restored folder.
    ///   - files: The manifest's file index (the whole tree as of the backup).
    /// - Throws: ``SourceError`` `io` when a folder cannot be listed or a file cannot be read.
    package static func compare(root: String, with files: [FileEntry]) throws -> RestoredTreeComparison {
        var result = RestoredTreeComparison()
        result.entriesExpected = files.count
        let expected = Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { $1 })
        for entry in files {
            let absolute = root + "/" + entry.path
            guard case .success(let status) = FileSystem.lstatus(absolute) else {
                result.missing.append(entry.path)
                continue
            }
            switch entry.type {
            case .directory:
                guard status.isDirectory else {
                    result.missing.append("\(entry.path) (not a folder)")
                    continue
                }
                if status.permissions != entry.mode & 0o7777 {
                    result.modeMismatches.append("\(entry.path): \(octal(status.permissions)), manifest \(octal(entry.mode & 0o7777))")
                }
            case .symlink:
                guard status.isSymlink, case .success(let target) = FileSystem.readLink(absolute) else {
                    result.missing.append("\(entry.path) (not a link)")
                    continue
                }
                result.linksCompared += 1
                if target != entry.linkTarget {
                    result.linkMismatches.append("\(entry.path) -> '\(target)', manifest '\(entry.linkTarget ?? "")'")
                }
            case .file:
                guard status.isRegular else {
                    result.missing.append("\(entry.path) (not a file)")
                    continue
                }
                if status.permissions != entry.mode & 0o7777 {
                    result.modeMismatches.append("\(entry.path): \(octal(status.permissions)), manifest \(octal(entry.mode & 0o7777))")
                }
                if status.size != entry.size {
                    result.contentMismatches.append("\(entry.path): \(status.size) bytes, manifest \(entry.size)")
                    continue
                }
                guard let checksum = entry.sha256 else {
                    result.filesWithoutChecksum += 1
                    continue
                }
                let (digest, bytes) = try hash(absolute)
                result.filesCompared += 1
                result.bytesHashed += bytes
                if digest != checksum {
                    result.contentMismatches.append("\(entry.path): SHA-256 \(digest), manifest \(checksum)")
                }
            }
        }
        try collectUnexpected(root: root, relative: "", expected: expected, into: &result.unexpected)
        return result
    }

    /// Walks `root` without following links, noting every path `expected` lacks.
    private static func collectUnexpected(
        root: String, relative: String, expected: [String: FileEntry], into unexpected: inout [String]
    ) throws {
        let folder = relative.isEmpty ? root : root + "/" + relative
        guard case .success(let names) = FileSystem.children(of: folder) else {
            throw SourceError(code: .io, source: "drill", path: folder, message: "cannot list the restored folder")
        }
        for name in names.sorted() {
            let path = relative.isEmpty ? name : relative + "/" + name
            guard let entry = expected[path] else {
                unexpected.append(path)
                continue
            }
            if entry.type == .directory, case .success(let status) = FileSystem.lstatus(root + "/" + path), status.isDirectory {
                try collectUnexpected(root: root, relative: path, expected: expected, into: &unexpected)
            }
        }
    }

    private static func hash(_ path: String) throws -> (String, Int64) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw SourceError(code: .io, source: "drill", path: path, message: FileSystem.errorText(errno))
        }
        defer { close(fd) }
        var hasher = SHA256()
        var total: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SourceError(code: .io, source: "drill", path: path, message: FileSystem.errorText(errno))
            }
            if count == 0 { break }
            total += Int64(count)
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return (HashingTransformer.hex(hasher.finalize()), total)
    }

    private static func octal(_ mode: UInt32) -> String { "0" + String(mode, radix: 8) }
}
