import BackupSupport
public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A ``LocalStorage`` that issues expiring signed download links (``DownloadLinkIssuing``), and the
/// checks a host's download endpoint runs before it streams a file.
///
/// It wraps the storage rather than extending it because the signer's secret and the endpoint URL are
/// settings of the deployment, not of the folder: the same folder can be opened with or without links,
/// and ``LocalStorage`` stays a plain value without secrets. Every ``Storage`` call is forwarded.
///
/// A download endpoint calls ``download(_:now:)`` (or ``verifiedKey(for:now:)`` and then ``get(_:)``):
/// the link's signature and expiry are checked by the ``signer``, the key is validated, and the file's
/// real path (symbolic links resolved) must lie inside the real root — a symbolic link inside the root
/// that points outside it is refused.
public struct SignedLocalStorage: DownloadLinkIssuing, UploadRecovery {
    /// The folder holding the objects.
    public let storage: LocalStorage
    /// Signs and verifies the links.
    public let signer: LocalLinkSigner

    /// Wraps `storage` with `signer`.
    public init(storage: LocalStorage, signer: LocalLinkSigner) {
        self.storage = storage
        self.signer = signer
    }

    /// A link to the object at `key` that works until `now + lifetime`.
    ///
    /// The object is not looked up: a link to a key that does not exist yet (or any more) is refused
    /// with `notFound` when used.
    ///
    /// - Throws: ``StorageError`` `invalidKey`, or `configuration` for a lifetime that is not positive.
    public func downloadLink(for key: String, lifetime: TimeInterval, now: Date) throws -> URL {
        try signer.link(for: key, lifetime: lifetime, now: now)
    }

    /// Verifies a link and returns its key, confined to the root.
    ///
    /// - Parameters:
    ///   - url: the requested URL.
    ///   - now: the current time.
    /// - Returns: the key, whose file exists and lies inside the root once symbolic links are resolved.
    /// - Throws: ``LinkError`` for a refused link or a key escaping the root, ``StorageError`` `notFound`
    ///   when no file is at the key.
    public func verifiedKey(for url: URL, now: Date) async throws -> String {
        let key = try signer.verify(url, now: now)
        _ = try await confinedPath(of: key)
        return key
    }

    /// Verifies a link and opens the file it grants, for a download endpoint to stream.
    ///
    /// - Parameters:
    ///   - url: the requested URL.
    ///   - now: the current time.
    /// - Returns: the key, size, modification time and a stream of the file's bytes (read from its
    ///   resolved path, in chunks of the storage's read chunk size).
    /// - Throws: as ``verifiedKey(for:now:)``.
    public func download(_ url: URL, now: Date) async throws -> Download {
        let key = try signer.verify(url, now: now)
        let (path, status) = try await confinedPath(of: key)
        let chunkSize = storage.readChunkSize
        let body = ByteStream {
            let reader = LocalStorage.FileReader(path: path, key: key, chunkSize: chunkSize)
            return { try await reader.next() }
        }
        return Download(key: key, sizeBytes: status.size, lastModified: status.modified, body: body)
    }

    /// The real path of the file at `key` and its status, after checking it lies inside the real root.
    private func confinedPath(of key: String) async throws -> (String, FileSystem.Status) {
        let root = storage.root
        return try await LocalStorage.POSIXFile.offload {
            guard let realRoot = Self.realPath(root) else {
                throw StorageError(code: .io, key: nil, message: "the storage root cannot be resolved")
            }
            guard let realFile = Self.realPath(root + "/" + key) else {
                let code = errno
                if code == ENOENT || code == ENOTDIR {
                    throw StorageError(code: .notFound, key: key, message: "no such object")
                }
                throw LocalStorage.POSIXFile.error(code, key: key, action: "resolve")
            }
            let base = realRoot == "/" ? "/" : realRoot + "/"
            guard realFile.hasPrefix(base), realFile.count > base.count else {
                throw LinkError(code: .forbiddenKey, message: "the key resolves outside the storage root")
            }
            guard let status = try LocalStorage.POSIXFile.statusIfPresent(realFile, key: key), status.isRegular else {
                throw StorageError(code: .notFound, key: key, message: "no such object")
            }
            return (realFile, status)
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: Storage

    /// Forwards to ``LocalStorage/put(_:at:options:)``.
    public func put(_ body: ByteStream, at key: String, options: PutOptions) async throws -> ObjectInfo {
        try await storage.put(body, at: key, options: options)
    }

    /// Forwards to ``LocalStorage/get(_:)``.
    public func get(_ key: String) async throws -> ByteStream { try await storage.get(key) }

    /// Forwards to ``LocalStorage/head(_:)``.
    public func head(_ key: String) async throws -> ObjectInfo? { try await storage.head(key) }

    /// Forwards to ``LocalStorage/list(prefix:after:limit:)``.
    public func list(prefix: String, after continuation: String?, limit: Int) async throws -> ListPage {
        try await storage.list(prefix: prefix, after: continuation, limit: limit)
    }

    /// Forwards to ``LocalStorage/delete(_:)``.
    public func delete(_ key: String) async throws { try await storage.delete(key) }

    /// Forwards to ``LocalStorage/removeAbandonedUploads(of:)``.
    public func removeAbandonedUploads(of key: String) async throws -> Int {
        try await storage.removeAbandonedUploads(of: key)
    }
}

extension SignedLocalStorage {
    /// A verified download: what the endpoint needs for its response headers, and the body.
    public struct Download: Sendable {
        /// The object's key.
        public var key: String
        /// The file's size, for `Content-Length`.
        public var sizeBytes: Int64
        /// The file's modification time, for `Last-Modified`.
        public var lastModified: Date?
        /// The file's bytes.
        public var body: ByteStream
    }
}
