import BackupSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A ``Storage`` backed by a folder on local disk or an NFS mount.
///
/// Keys map to paths below ``root``; every folder the storage creates has mode `0700` and every file
/// mode `0600`. A put streams into a hidden temporary file in the destination folder
/// (`.<name>.partial-<random>`), flushes it with `fsync`, moves it into place with `rename` (or `link`
/// for create-only puts, which therefore never overwrite even against a concurrent writer) and then
/// flushes the folder, so an object is either absent or complete, also after a crash.
///
/// Blocking file-system calls run on a dispatch queue, never on the Swift concurrency pool, so a slow
/// NFS server does not starve other tasks.
public struct LocalStorage: Storage {
    /// The absolute path of the folder that holds the objects, without a trailing slash.
    public let root: String
    /// The size of the chunks a ``get(_:)`` stream hands out.
    public let readChunkSize: Int
    /// Caps the average rate of every ``put(_:at:options:)`` and ``get(_:)`` of this storage and its copies
    /// together (a shared NFS server); `nil` for no cap.
    public var bandwidthLimiter: BandwidthLimiter?

    /// Opens (and, if missing, creates with mode `0700`) the folder at `root`.
    ///
    /// - Parameters:
    ///   - root: the folder holding the objects; a relative path is resolved against the current folder now.
    ///   - readChunkSize: the size of the chunks read by ``get(_:)``, 1 MiB by default.
    /// - Throws: ``StorageError/Code-swift.struct/configuration`` naming the path if it is not a folder,
    ///   cannot be created or is not writable.
    public init(root: String, readChunkSize: Int = 1 << 20) throws {
        var path = root
        guard !path.isEmpty else {
            throw StorageError(code: .configuration, key: nil, message: "the local storage root is empty")
        }
        if !path.hasPrefix("/") {
            path = FileManager.default.currentDirectoryPath + "/" + path
        }
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.root = path
        self.readChunkSize = max(1, readChunkSize)

        do {
            try POSIXFile.makeFolders(path, below: "/")
        } catch {
            throw StorageError(
                code: .configuration, key: nil, message: "cannot create the storage root '\(path)'",
                underlying: (error as? StorageError)?.underlying ?? "\(error)")
        }
        guard let info = try? POSIXFile.status(path), info.isDirectory else {
            throw StorageError(code: .configuration, key: nil, message: "the storage root '\(path)' is not a folder")
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw StorageError(
                code: .configuration, key: nil, message: "the storage root '\(path)' is not writable",
                underlying: FileSystem.errorText(errno))
        }
    }

    /// The absolute path of the object at `key`, after validating the key.
    func path(of key: String) throws -> String {
        try validateStorageKey(key)
        return root + "/" + key
    }

    /// Streams `body` into a temporary file beside `key`, flushes it and moves it into place.
    ///
    /// - Parameters:
    ///   - body: the bytes; consumed once.
    ///   - key: where to store them.
    ///   - options: ``PutOptions/createOnly`` refuses an existing key atomically (`link(2)`).
    /// - Returns: the stored object's size and modification time.
    /// - Throws: ``StorageError`` (`invalidKey`, `alreadyExists`, `noSpace`, `permissionDenied`, `io`), the
    ///   body's own error, or `CancellationError`; in every case no partial or temporary file remains.
    public func put(_ body: ByteStream, at key: String, options: PutOptions) async throws -> ObjectInfo {
        let path = try path(of: key)
        let slash = path.lastIndex(of: "/")!
        let folder = String(path[..<slash])
        let name = String(path[path.index(after: slash)...])
        let temporary = folder + "/." + name + ".partial-" + String(UInt64.random(in: .min ... .max), radix: 16)

        let descriptor = try await POSIXFile.offload {
            try Self.createTemporaryFile(temporary, in: folder, root: root, key: key)
        }
        var descriptorOpen = true
        var committed = false
        defer {
            if descriptorOpen { _ = close(descriptor) }
            // After a successful rename or link the temporary name no longer exists and this is a no-op;
            // on any error or cancellation it removes the partial file, and the folders this put created
            // if they are empty again.
            _ = unlink(temporary)
            if !committed { POSIXFile.removeEmptyFolders(above: temporary, below: root) }
        }

        var size: Int64 = 0
        for try await chunk in body.throttled(by: bandwidthLimiter) {
            try Task.checkCancellation()
            try await POSIXFile.offload {
                try POSIXFile.writeAll(chunk, to: descriptor, key: key)
            }
            size += Int64(chunk.count)
        }
        try Task.checkCancellation()

        let modified = try await POSIXFile.offload {
            guard fsync(descriptor) == 0 else { throw POSIXFile.error(errno, key: key, action: "flush") }
            let info = try POSIXFile.status(of: descriptor, key: key)
            return info.modified
        }
        descriptorOpen = false
        guard close(descriptor) == 0 else { throw POSIXFile.error(errno, key: key, action: "close") }
        try Task.checkCancellation()

        try await POSIXFile.offload {
            if options.createOnly {
                // link(2) fails with EEXIST if the name exists, atomically against any concurrent writer.
                guard link(temporary, path) == 0 else {
                    let code = errno
                    if code == EEXIST {
                        throw StorageError(code: .alreadyExists, key: key, message: "the object already exists")
                    }
                    if code == EPERM || code == EOPNOTSUPP || code == ENOSYS {
                        // The temporary file was created in this very folder, so this is not a permission
                        // problem: the file system (some FUSE or SMB mounts) has no hard links.
                        throw StorageError(
                            code: .io, key: key,
                            message: "create-only puts need hard links (link(2)), which this file system does not support",
                            underlying: FileSystem.errorText(code))
                    }
                    throw POSIXFile.error(code, key: key, action: "link into place")
                }
                _ = unlink(temporary)
            } else {
                guard rename(temporary, path) == 0 else {
                    let code = errno
                    if code == EISDIR || code == ENOTEMPTY || code == EEXIST {
                        throw StorageError(
                            code: .io, key: key, message: "a folder exists where the object should go",
                            underlying: FileSystem.errorText(code))
                    }
                    throw POSIXFile.error(code, key: key, action: "rename into place")
                }
            }
            try POSIXFile.synchronizeFolder(folder, key: key)
        }
        committed = true
        return ObjectInfo(key: key, sizeBytes: size, lastModified: modified)
    }

    /// Creates the folders leading to `folder` and opens a new temporary file there, retrying when a
    /// concurrent delete removed an emptied folder in between.
    private static func createTemporaryFile(
        _ temporary: String, in folder: String, root: String, key: String
    ) throws -> Int32 {
        var attempt = 0
        while true {
            attempt += 1
            try POSIXFile.makeFolders(folder, below: root, key: key)
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                // The umask may have removed bits but never adds any: enforce exactly 0600.
                _ = fchmod(descriptor, 0o600)
                return descriptor
            }
            let code = errno
            if code == ENOENT && attempt < 5 { continue }
            if code == ENOTDIR {
                throw StorageError(
                    code: .io, key: key, message: "a parent of the key is an object, not a folder",
                    underlying: FileSystem.errorText(code))
            }
            throw POSIXFile.error(code, key: key, action: "create a temporary file")
        }
    }

    /// A stream of the object's bytes in chunks of ``readChunkSize``; the file is opened when an
    /// iteration starts and closed when it ends, fails or is abandoned.
    ///
    /// - Throws: ``StorageError/Code-swift.struct/notFound`` if no object is at `key`.
    public func get(_ key: String) async throws -> ByteStream {
        let path = try path(of: key)
        let info = try await POSIXFile.offload {
            try POSIXFile.statusIfPresent(path, key: key)
        }
        guard let info, info.isRegular else {
            throw StorageError(code: .notFound, key: key, message: "no such object")
        }
        let chunkSize = readChunkSize
        return ByteStream {
            let reader = FileReader(path: path, key: key, chunkSize: chunkSize)
            return { try await reader.next() }
        }.throttled(by: bandwidthLimiter)
    }

    /// The object's size and modification time, or `nil` if no object is at `key`.
    public func head(_ key: String) async throws -> ObjectInfo? {
        let path = try path(of: key)
        let info = try await POSIXFile.offload {
            try POSIXFile.statusIfPresent(path, key: key)
        }
        guard let info, info.isRegular else { return nil }
        return ObjectInfo(key: key, sizeBytes: info.size, lastModified: info.modified)
    }

    /// Deletes the object at `key` (a missing one is fine) and then the folders it leaves empty, up
    /// to but not including ``root``.
    public func delete(_ key: String) async throws {
        let path = try path(of: key)
        let root = root
        try await POSIXFile.offload {
            if unlink(path) != 0 {
                let code = errno
                // Missing objects and folders (which are not objects) are nothing to delete.
                guard code == ENOENT || code == ENOTDIR || code == EISDIR else {
                    throw POSIXFile.error(code, key: key, action: "delete")
                }
                if code != ENOENT { return }
            } else {
                try? POSIXFile.synchronizeFolder(String(path[..<path.lastIndex(of: "/")!]), key: key)
            }
            POSIXFile.removeEmptyFolders(above: path, below: root)
        }
    }
}
