import Foundation
import Testing

@testable import RemoteStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Byte order of keys, the order listings promise.
private func byteOrder(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

/// Creates `keys` below `root` directly (no fsync per file, so that thousands stay fast).
private func createFiles(_ keys: [String], below root: String) throws {
    var folders: Set<String> = []
    for key in keys {
        let path = root + "/" + key
        let folder = (path as NSString).deletingLastPathComponent
        if folders.insert(folder).inserted {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        // Plain open/write/close: Foundation's createFile flushes every file to disk, which is slow.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(descriptor) }
        let bytes = Array(key.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw CocoaError(.fileWriteUnknown) }
    }
}

/// All pages of a listing, checking each page's size limit.
private func pages(of storage: LocalStorage, prefix: String, limit: Int) async throws -> [[ObjectInfo]] {
    var result: [[ObjectInfo]] = []
    var token: String?
    repeat {
        let page = try await storage.list(prefix: prefix, after: token, limit: limit)
        #expect(page.objects.count <= limit)
        result.append(page.objects)
        token = page.continuation
        if let token { #expect(token == page.objects.last?.key) }
        if result.count > 100 { Issue.record("listing does not end"); break }
    } while token != nil
    return result
}

@Suite("LocalStorage: listing")
struct LocalStorageListingTests {
    /// 2,500 keys over several folders, with names that sort differently per segment than per whole
    /// key (`a-b` < `a.b` < `a/…` < `a0` in byte order).
    static let keys: [String] = {
        var keys: [String] = []
        for day in 1...25 {
            for index in 0..<96 {
                keys.append(String(format: "plan/src/2026/01/%02d/plan-src-%04d.tar.zst", day, index))
            }
        }
        for index in 0..<30 { keys.append("plan/sr-other/\(index)") }
        for index in 0..<30 { keys.append("plan/src-\(index)") }
        for index in 0..<20 { keys.append("plan/src.\(index)") }
        for index in 0..<16 { keys.append("plan/src0/\(index)") }
        keys += ["a-b", "a.b", "a/x", "a0"]
        return keys
    }()

    @Test("2,500 files paged by 1,000 come in byte order, each once")
    func pagedInOrder() async throws {
        try await withTemporaryFolder { folder in
            try createFiles(Self.keys, below: folder)
            // A put in progress must not show up.
            _ = FileManager.default.createFile(atPath: folder + "/plan/src/2026/01/03/.x.partial-1234", contents: nil)
            let storage = try LocalStorage(root: folder)

            let all = try await pages(of: storage, prefix: "", limit: 1000)
            #expect(all.map(\.count) == [1000, 1000, 500])
            let listed = all.flatMap { $0 }
            #expect(listed.map(\.key) == Self.keys.sorted(by: byteOrder))
            #expect(listed.allSatisfy { $0.sizeBytes == Int64($0.key.utf8.count) && $0.lastModified != nil })
        }
    }

    @Test("prefixes ending with a slash or inside a segment select exactly the matching keys")
    func prefixes() async throws {
        try await withTemporaryFolder { folder in
            try createFiles(Self.keys, below: folder)
            let storage = try LocalStorage(root: folder)
            let prefixes = [
                "plan/src/2026/", "plan/sr", "plan/src", "plan/src/2026/01/1", "plan/src/2026/01/10/plan-src-000", "a", "a/",
                "zzz", "plan/src0/", "plan/src.1",
            ]
            for prefix in prefixes {
                let expected = Self.keys.filter { $0.hasPrefix(prefix) }.sorted(by: byteOrder)
                for limit in [1000, 97] {
                    let listed = try await pages(of: storage, prefix: prefix, limit: limit).flatMap { $0 }.map(\.key)
                    #expect(listed == expected, "prefix '\(prefix)', limit \(limit)")
                }
            }
        }
    }

    @Test("listAll iterates every object lazily")
    func listAll() async throws {
        try await withTemporaryFolder { folder in
            try createFiles(Self.keys, below: folder)
            let storage = try LocalStorage(root: folder)
            var keys: [String] = []
            for try await object in storage.listAll(prefix: "plan/src/2026/01/2", pageSize: 100) {
                keys.append(object.key)
            }
            #expect(keys == Self.keys.filter { $0.hasPrefix("plan/src/2026/01/2") }.sorted(by: byteOrder))
            #expect(keys.count == 6 * 96)
        }
    }

    @Test("a listing that fits one page has no continuation; a missing prefix lists nothing")
    func endOfListing() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            try await storage.put([1], at: "x/1")
            try await storage.put([2], at: "x/2")
            let page = try await storage.list(prefix: "x/", after: nil, limit: 2)
            #expect(page.objects.map(\.key) == ["x/1", "x/2"])
            #expect(page.continuation == nil)
            let none = try await storage.list(prefix: "nope/", after: nil, limit: 10)
            #expect(none.objects.isEmpty && none.continuation == nil)
        }
    }

    @Test("prefixes that could leave the root are refused", arguments: ["../", "/etc/", "a/../../", "a//b"])
    func invalidPrefixes(prefix: String) async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            await #expect(throws: StorageError.self) {
                _ = try await storage.list(prefix: prefix, after: nil, limit: 10)
            }
        }
    }

    @Test("the bounded heap keeps exactly the smallest keys", arguments: [1, 7, 100])
    func smallestKeys(capacity: Int) {
        var generator = SystemRandomNumberGenerator()
        let keys = (0..<1000).map { _ in (0..<Int.random(in: 1...6, using: &generator)).map { _ in UInt8.random(in: 0x2D...0x31) } }
        var heap = LocalStorage.SmallestKeys(capacity: capacity)
        for key in keys { heap.offer(key) }
        #expect(heap.count == capacity)
        #expect(heap.sorted() == Array(keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).prefix(capacity)))
    }
}
