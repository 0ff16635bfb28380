public import Foundation
public import RemoteStorage
import Synchronization

/// A ``Storage`` that keeps objects in memory, for hosts' unit tests.
///
/// It behaves as the backends do where a test can tell: keys are validated the same way, an object
/// becomes visible only once its body was read to the end (a failed or cancelled put leaves nothing),
/// create-only puts refuse an existing key, listings are in ascending key order and paged.
///
/// ```swift
/// let storage = MemoryStorage()
/// try await storage.put(Array("hello".utf8), at: "a/b.txt")
/// #expect(storage.keys == ["a/b.txt"])
/// ```
public final class MemoryStorage: Storage, Sendable {
    private struct Object: Sendable {
        var bytes: [UInt8]
        var modified: Date
    }

    private let objects = Mutex<[String: Object]>([:])
    private let now: @Sendable () -> Date

    /// Creates an empty storage.
    /// - Parameter now: The clock that stamps each object's last-modified time.
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Every stored key, in ascending order.
    public var keys: [String] { objects.withLock { $0.keys.sorted() } }

    /// Reads `body` to its end, then stores it; a failed or cancelled read stores nothing.
    public func put(_ body: ByteStream, at key: String, options: PutOptions) async throws -> ObjectInfo {
        try validateStorageKey(key)
        if options.createOnly, objects.withLock({ $0[key] != nil }) {
            throw StorageError(code: .alreadyExists, key: key, message: "an object already exists at this key")
        }
        var bytes: [UInt8] = []
        for try await chunk in body {
            try Task.checkCancellation()
            bytes += chunk
        }
        let object = Object(bytes: bytes, modified: now())
        try objects.withLock { stored in
            if options.createOnly, stored[key] != nil {
                throw StorageError(code: .alreadyExists, key: key, message: "an object already exists at this key")
            }
            stored[key] = object
        }
        return ObjectInfo(key: key, sizeBytes: Int64(bytes.count), lastModified: object.modified)
    }

    /// The object at `key`, in 64 KiB chunks, or ``RemoteStorage/StorageError`` `notFound`.
    public func get(_ key: String) async throws -> ByteStream {
        try validateStorageKey(key)
        guard let object = objects.withLock({ $0[key] }) else {
            throw StorageError(code: .notFound, key: key, message: "no object at this key")
        }
        return ByteStream(bytes: object.bytes, chunkSize: 64 * 1024)
    }

    /// The object's facts, or `nil` if there is none.
    public func head(_ key: String) async throws -> ObjectInfo? {
        try validateStorageKey(key)
        return objects.withLock { $0[key] }.map { ObjectInfo(key: key, sizeBytes: Int64($0.bytes.count), lastModified: $0.modified) }
    }

    /// Objects under `prefix`, ascending, after `continuation`, at most `limit` per page.
    public func list(prefix: String, after continuation: String?, limit: Int) async throws -> ListPage {
        let matching = objects.withLock { stored in
            stored.filter { entry in entry.key.hasPrefix(prefix) && continuation.map { entry.key > $0 } ?? true }
                .map { ObjectInfo(key: $0.key, sizeBytes: Int64($0.value.bytes.count), lastModified: $0.value.modified) }
        }
        .sorted { $0.key < $1.key }
        let page = Array(matching.prefix(max(1, limit)))
        return ListPage(objects: page, continuation: matching.count > page.count ? page.last?.key : nil)
    }

    /// Removes the object; a missing key is not an error.
    public func delete(_ key: String) async throws {
        try validateStorageKey(key)
        _ = objects.withLock { $0.removeValue(forKey: key) }
    }
}
