import BackupSupport
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension LocalStorage {
    /// Thin wrappers over the POSIX calls ``LocalStorage`` uses, translating `errno` into ``StorageError``.
    enum POSIXFile {
        /// Where blocking calls run, so that they never occupy a thread of the cooperative pool.
        private static let queue = DispatchQueue(
            label: "BackupKit.LocalStorage.io", qos: .utility, attributes: .concurrent)

        /// Runs blocking work off the Swift concurrency pool and returns its result.
        static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: Result { try work() })
                }
            }
        }

        /// Maps an `errno` value to a storage error: full disk or quota → `noSpace`, refused access or a
        /// read-only file system → `permissionDenied`, a missing path → `notFound`, anything else → `io`;
        /// the `strerror` text goes to `underlying`.
        ///
        /// - Parameters:
        ///   - code: the `errno` value.
        ///   - key: the key involved, if any.
        ///   - action: what was attempted, for the message (`"write"`, `"create a folder"`).
        static func error(_ code: Int32, key: String?, action: String) -> StorageError {
            let text = FileSystem.errorText(code)
            switch code {
            case ENOSPC, EDQUOT:
                return StorageError(code: .noSpace, key: key, message: "cannot \(action): no space left", underlying: text)
            case EACCES, EPERM, EROFS:
                return StorageError(code: .permissionDenied, key: key, message: "cannot \(action): access denied", underlying: text)
            case ENOENT, ENOTDIR:
                return StorageError(code: .notFound, key: key, message: "cannot \(action): no such object", underlying: text)
            default:
                return StorageError(code: .io, key: key, message: "cannot \(action)", underlying: text)
            }
        }

        /// The status of the file at `path`, following symbolic links.
        static func status(_ path: String, key: String? = nil) throws -> FileSystem.Status {
            switch FileSystem.status(path) {
            case .success(let status): return status
            case .failure(let failure): throw error(failure.code, key: key, action: "read the status")
            }
        }

        /// The status of the file at `path`, or `nil` if nothing (or a non-folder parent) is there.
        static func statusIfPresent(_ path: String, key: String?) throws -> FileSystem.Status? {
            switch FileSystem.status(path) {
            case .success(let status): return status
            case .failure(let failure) where failure.code == ENOENT || failure.code == ENOTDIR: return nil
            case .failure(let failure): throw error(failure.code, key: key, action: "read the status")
            }
        }

        /// The status of an open file.
        static func status(of descriptor: Int32, key: String?) throws -> FileSystem.Status {
            switch FileSystem.fstatus(descriptor) {
            case .success(let status): return status
            case .failure(let failure): throw error(failure.code, key: key, action: "read the status")
            }
        }

        /// Writes every byte of `bytes`, retrying short writes and interrupted calls.
        static func writeAll(_ bytes: [UInt8], to descriptor: Int32, key: String?) throws {
            if case .failure(let failure) = FileSystem.writeAll(bytes, to: descriptor) {
                throw error(failure.code, key: key, action: "write")
            }
        }

        /// Creates `folder` and its missing ancestors with mode `0700`, starting below `base` (which
        /// must exist, or is created too when it is `/`), and flushes each parent that gained an entry.
        static func makeFolders(_ folder: String, below base: String, key: String? = nil) throws {
            if case .success(let info) = FileSystem.status(folder) {
                guard info.isDirectory else {
                    throw StorageError(
                        code: .io, key: key, message: "a parent of the key is an object, not a folder",
                        underlying: FileSystem.errorText(ENOTDIR))
                }
                return
            }
            // Walk up to the deepest existing ancestor, then create downwards.
            var missing: [String] = []
            var current = folder
            while current != base && current.count > base.count {
                if case .success = FileSystem.status(current) { break }
                missing.append(current)
                guard let slash = current.lastIndex(of: "/"), slash != current.startIndex else { break }
                current = String(current[..<slash])
            }
            for path in missing.reversed() {
                if mkdir(path, 0o700) != 0 {
                    let code = errno
                    if code == EEXIST {
                        guard case .success(let info) = FileSystem.status(path), info.isDirectory else {
                            throw StorageError(
                                code: .io, key: key, message: "a parent of the key is an object, not a folder",
                                underlying: FileSystem.errorText(ENOTDIR))
                        }
                        continue
                    }
                    if code == ENOTDIR {
                        throw StorageError(
                            code: .io, key: key, message: "a parent of the key is an object, not a folder",
                            underlying: FileSystem.errorText(code))
                    }
                    throw error(code, key: key, action: "create a folder")
                }
                let parent = String(path[..<path.lastIndex(of: "/")!])
                try? synchronizeFolder(parent.isEmpty ? "/" : parent, key: key)
            }
        }

        /// Flushes a folder's entries (a rename or link into it) to stable storage.
        ///
        /// File systems that cannot flush folders (`EINVAL`) are tolerated.
        static func synchronizeFolder(_ folder: String, key: String?) throws {
            let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else { throw error(errno, key: key, action: "open the folder") }
            defer { _ = close(descriptor) }
            if fsync(descriptor) != 0 {
                let code = errno
                guard code == EINVAL || code == EBADF else { throw error(code, key: key, action: "flush the folder") }
            }
        }

        /// Removes the folders holding `path` that are now empty, from the innermost outwards,
        /// stopping at the first non-empty one and never removing `root` itself.
        static func removeEmptyFolders(above path: String, below root: String) {
            var current = path
            while let slash = current.lastIndex(of: "/") {
                current = String(current[..<slash])
                guard current.count > root.count, current.hasPrefix(root + "/") else { return }
                if rmdir(current) != 0 { return }
            }
        }
    }
}

extension FileSystem.Status {
    /// The last modification time, as ``LocalStorage`` reports it.
    var modified: Date {
        let (seconds, nanoseconds) = mtimeNanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
    }
}
