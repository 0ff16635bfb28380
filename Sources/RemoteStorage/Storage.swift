public import Foundation

/// Facts about one stored object.
public struct ObjectInfo: Hashable, Sendable {
    /// The key relative to the storage root.
    public var key: String
    public var sizeBytes: Int64
    public var lastModified: Date?

    public init(key: String, sizeBytes: Int64, lastModified: Date? = nil) {
        self.key = key
        self.sizeBytes = sizeBytes
        self.lastModified = lastModified
    }
}

/// One page of a listing.
public struct ListPage: Hashable, Sendable {
    /// Objects in this page, in ascending key order.
    public var objects: [ObjectInfo]
    /// Pass to the next ``Storage/list(prefix:after:limit:)`` call; `nil` when the listing is complete.
    public var continuation: String?

    public init(objects: [ObjectInfo], continuation: String?) {
        self.objects = objects
        self.continuation = continuation
    }
}

/// Options of a put.
public struct PutOptions: Hashable, Sendable {
    /// Refuse to overwrite an existing key (``StorageError/Code-swift.struct/alreadyExists``).
    public var createOnly: Bool

    public init(createOnly: Bool = false) { self.createOnly = createOnly }

    /// Overwrite if present.
    public static let overwrite = PutOptions(createOnly: false)
    /// Refuse to overwrite.
    public static let createOnly = PutOptions(createOnly: true)
}

/// A place artifacts are kept: a folder, an S3 bucket, a WebDAV repository.
///
/// Keys are `/`-separated relative paths; backends reject keys that are empty, absolute, contain `..`
/// or `.` segments, empty segments, backslashes or control characters. Bodies are streamed both ways.
public protocol Storage: Sendable {
    /// Stores `body` at `key`. The object becomes visible only when complete: a failed or cancelled
    /// put leaves no object (and no partial file) behind.
    ///
    /// - Returns: the stored object's facts (its size is the number of bytes consumed from `body`).
    func put(_ body: ByteStream, at key: String, options: PutOptions) async throws -> ObjectInfo

    /// Streams the object at `key`, or throws ``StorageError/Code-swift.struct/notFound``.
    func get(_ key: String) async throws -> ByteStream

    /// The object's facts, or `nil` if there is none.
    func head(_ key: String) async throws -> ObjectInfo?

    /// Lists objects whose key starts with `prefix` (recursively), in ascending key order, after the
    /// given continuation token, at most `limit` per page.
    func list(prefix: String, after continuation: String?, limit: Int) async throws -> ListPage

    /// Deletes the object at `key`; deleting a missing key is not an error.
    func delete(_ key: String) async throws
}

extension Storage {
    /// Stores bytes held in memory.
    @discardableResult
    public func put(_ bytes: [UInt8], at key: String, options: PutOptions = .overwrite) async throws -> ObjectInfo {
        try await put(ByteStream(bytes: bytes), at: key, options: options)
    }

    /// Reads a small object whole (manifests); refuses objects over `limit` bytes.
    public func getBytes(_ key: String, limit: Int = 256 << 20) async throws -> [UInt8] {
        try await get(key).collect(upTo: limit)
    }

    /// Every object under `prefix`, fetched one page at a time as the consumer iterates, so memory
    /// holds at most one page however large the folder.
    public func listAll(prefix: String, pageSize: Int = 1000) -> ObjectListing {
        ObjectListing(storage: self, prefix: prefix, pageSize: pageSize)
    }
}

/// The objects under a prefix, paged lazily; see ``Storage/listAll(prefix:pageSize:)``.
public struct ObjectListing: AsyncSequence, Sendable {
    public typealias Element = ObjectInfo
    public typealias Failure = any Error

    let storage: any Storage
    let prefix: String
    let pageSize: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let storage: any Storage
        let prefix: String
        let pageSize: Int
        var buffer: [ObjectInfo] = []
        var index = 0
        var token: String?
        var exhausted = false

        public mutating func next() async throws -> ObjectInfo? {
            while index == buffer.count {
                if exhausted { return nil }
                let page = try await storage.list(prefix: prefix, after: token, limit: pageSize)
                buffer = page.objects
                index = 0
                token = page.continuation
                exhausted = page.continuation == nil
            }
            defer { index += 1 }
            return buffer[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(storage: storage, prefix: prefix, pageSize: pageSize)
    }
}

/// Validates a storage key, throwing ``StorageError/Code-swift.struct/invalidKey`` with the reason.
public func validateStorageKey(_ key: String) throws {
    func reject(_ why: String) -> StorageError { StorageError(code: .invalidKey, key: key, message: why) }
    guard !key.isEmpty else { throw reject("the key is empty") }
    guard !key.hasPrefix("/") else { throw reject("absolute keys are not allowed") }
    guard !key.contains("\\") else { throw reject("backslashes are not allowed") }
    guard !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
        throw reject("control characters are not allowed")
    }
    for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
        if segment.isEmpty { throw reject("empty path segment") }
        if segment == "." || segment == ".." { throw reject("'\(segment)' segments are not allowed") }
    }
}
