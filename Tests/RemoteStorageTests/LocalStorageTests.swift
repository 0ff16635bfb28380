import Foundation
import Testing

@testable import RemoteStorage

#if canImport(Glibc)
    import Glibc
#endif

/// A body that yields `chunks` and then fails, like a source process that dies midway.
private func failingBody(after chunks: Int, chunkSize: Int = 64 << 10) -> ByteStream {
    ByteStream {
        let counter = Counter()
        return {
            guard counter.next() < chunks else { throw SourceFailure() }
            return [UInt8](repeating: 0xAB, count: chunkSize)
        }
    }
}

private struct SourceFailure: Error {}

private final class Counter: @unchecked Sendable {
    private var value = 0
    func next() -> Int {
        defer { value += 1 }
        return value
    }
}

@Suite("LocalStorage: put, get, head, delete")
struct LocalStorageTests {
    @Test("round trip is byte-identical", arguments: [0, 1, 1000, (5 << 20) + 123])
    func roundTrip(size: Int) async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder, readChunkSize: 1 << 20)
            let bytes = sampleBytes(count: size)
            let stored = try await storage.put(ByteStream(bytes: bytes, chunkSize: 300_000), at: "plan/src/a.bin", options: .overwrite)
            #expect(stored.sizeBytes == Int64(size))
            #expect(stored.key == "plan/src/a.bin")

            var chunks: [Int] = []
            var read: [UInt8] = []
            for try await chunk in try await storage.get("plan/src/a.bin") {
                chunks.append(chunk.count)
                read += chunk
            }
            #expect(read == bytes)
            // Every chunk but the last is full-sized.
            #expect(chunks.dropLast().allSatisfy { $0 == 1 << 20 })
            #expect(chunks.count == (size + (1 << 20) - 1) / (1 << 20))

            let info = try #require(try await storage.head("plan/src/a.bin"))
            #expect(info.sizeBytes == Int64(size))
            #expect(info.lastModified != nil)
        }
    }

    @Test("a get stream can be iterated twice, each time from the start")
    func reiteration() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder, readChunkSize: 7)
            try await storage.put(Array("hello, twice read".utf8), at: "k")
            let stream = try await storage.get("k")
            #expect(try await stream.collect() == Array("hello, twice read".utf8))
            #expect(try await stream.collect() == Array("hello, twice read".utf8))
        }
    }

    @Test("files are created 0600 and folders 0700, the root included")
    func modes() async throws {
        try await withTemporaryFolder { folder in
            let root = folder + "/new/root"
            let storage = try LocalStorage(root: root)
            #expect(try permissions(of: root) == 0o700)
            try await storage.put([1, 2, 3], at: "a/b/c.bin")
            #expect(try permissions(of: root + "/a") == 0o700)
            #expect(try permissions(of: root + "/a/b") == 0o700)
            #expect(try permissions(of: root + "/a/b/c.bin") == 0o600)
        }
    }

    @Test(
        "malformed keys are refused without touching the disk",
        arguments: ["", "/etc/passwd", "../escape", "a/../../b", "a//b", "a/./b", "a/", "a\\b", "a\u{07}b", "x/\n", "a\u{85}b"]
    )
    func invalidKeys(key: String) async throws {
        try await withTemporaryFolder { folder in
            let root = folder + "/root"
            let storage = try LocalStorage(root: root)
            func expectInvalid(_ operation: () async throws -> Void) async {
                do {
                    try await operation()
                    Issue.record("'\(key)' was accepted")
                } catch let error as StorageError {
                    #expect(error.code == .invalidKey)
                } catch {
                    Issue.record("unexpected error \(error)")
                }
            }
            await expectInvalid { try await storage.put([1], at: key) }
            await expectInvalid { _ = try await storage.get(key) }
            await expectInvalid { _ = try await storage.head(key) }
            await expectInvalid { try await storage.delete(key) }
            #expect(try entries(below: folder) == ["root"])
        }
    }

    @Test("a create-only put refuses to overwrite and keeps the first content")
    func createOnly() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            try await storage.put([1, 2, 3], at: "m/manifest.json", options: .createOnly)
            await #expect(throws: StorageError.self) {
                try await storage.put([9, 9], at: "m/manifest.json", options: .createOnly)
            }
            do {
                try await storage.put([9, 9], at: "m/manifest.json", options: .createOnly)
            } catch let error as StorageError {
                #expect(error.code == .alreadyExists)
                #expect(error.key == "m/manifest.json")
            }
            #expect(try await storage.getBytes("m/manifest.json") == [1, 2, 3])
            #expect(try entries(below: folder + "/m") == ["manifest.json"])
            // A plain put overwrites.
            try await storage.put([7], at: "m/manifest.json")
            #expect(try await storage.getBytes("m/manifest.json") == [7])
        }
    }

    @Test("concurrent create-only puts: exactly one wins")
    func concurrentCreateOnly() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            for round in 0..<5 {
                let key = "race/\(round)"
                let results = await withTaskGroup(of: (Int, Bool).self) { group in
                    for writer in 0..<8 {
                        group.addTask {
                            let body = [UInt8](repeating: UInt8(writer), count: 200_000)
                            do {
                                _ = try await storage.put(ByteStream(bytes: body, chunkSize: 50_000), at: key, options: .createOnly)
                                return (writer, true)
                            } catch let error as StorageError {
                                #expect(error.code == .alreadyExists)
                                return (writer, false)
                            } catch {
                                Issue.record("unexpected error \(error)")
                                return (writer, false)
                            }
                        }
                    }
                    return await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
                }
                let winners = results.filter(\.1).map(\.0)
                #expect(winners.count == 1)
                let winner = try #require(winners.first)
                #expect(try await storage.getBytes(key) == [UInt8](repeating: UInt8(winner), count: 200_000))
            }
            #expect(try entries(below: folder + "/race").count == 5)
        }
    }

    @Test("a body that fails midway leaves neither the object nor a temporary file", arguments: [false, true])
    func failedBody(createOnly: Bool) async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            await #expect(throws: SourceFailure.self) {
                try await storage.put(failingBody(after: 3), at: "p/s/obj", options: PutOptions(createOnly: createOnly))
            }
            #expect(try await storage.head("p/s/obj") == nil)
            // Neither the temporary file nor the folders the put created remain.
            #expect(try entries(below: folder) == [])
        }
    }

    @Test("a failed overwrite keeps the previous object intact")
    func failedOverwrite() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            try await storage.put([1, 2, 3], at: "obj")
            await #expect(throws: SourceFailure.self) {
                try await storage.put(failingBody(after: 2), at: "obj", options: .overwrite)
            }
            #expect(try await storage.getBytes("obj") == [1, 2, 3])
            #expect(try entries(below: folder) == ["obj"])
        }
    }

    @Test("a cancelled put leaves no file behind")
    func cancelledPut() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            let started = AsyncStream<Void>.makeStream()
            // An endless body: only cancellation can end this put.
            let endless = ByteStream {
                let counter = Counter()
                return {
                    if counter.next() == 2 { started.continuation.yield() }
                    await Task.yield()
                    return [UInt8](repeating: 1, count: 4096)
                }
            }
            let task = Task { try await storage.put(endless, at: "c/obj", options: .overwrite) }
            var iterator = started.stream.makeAsyncIterator()
            _ = await iterator.next()
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(try entries(below: folder) == [])
        }
    }

    @Test("get of a missing key or a folder throws notFound; head returns nil")
    func missing() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            try await storage.put([1], at: "dir/file")
            for key in ["nothing", "dir", "dir/file/below", "dir/other"] {
                do {
                    _ = try await storage.get(key)
                    Issue.record("get '\(key)' succeeded")
                } catch let error as StorageError {
                    #expect(error.code == .notFound)
                }
                #expect(try await storage.head(key) == nil)
            }
        }
    }

    @Test("delete removes the object and its emptied folders, never the root")
    func deleteRemovesEmptyParents() async throws {
        try await withTemporaryFolder { folder in
            let root = folder + "/root"
            let storage = try LocalStorage(root: root)
            try await storage.put([1], at: "a/b/c/one")
            try await storage.put([2], at: "a/two")
            try await storage.delete("a/b/c/one")
            #expect(try entries(below: root) == ["a", "a/two"])
            try await storage.delete("a/two")
            #expect(try entries(below: root) == [])
            #expect(FileManager.default.fileExists(atPath: root))
            // Deleting what is not there is fine.
            try await storage.delete("a/two")
            try await storage.delete("never/was")
        }
    }

    @Test("a root that is a file is a configuration error naming the path")
    func rootIsFile() async throws {
        try await withTemporaryFolder { folder in
            let file = folder + "/plain-file"
            _ = FileManager.default.createFile(atPath: file, contents: Data([1]))
            do {
                _ = try LocalStorage(root: file)
                Issue.record("a file was accepted as root")
            } catch let error as StorageError {
                #expect(error.code == .configuration)
                #expect(error.message.contains(file))
            }
        }
    }

    @Test("a key below an object is refused without damage")
    func keyBelowObject() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            try await storage.put([1], at: "a")
            await #expect(throws: StorageError.self) { try await storage.put([2], at: "a/b") }
            #expect(try await storage.getBytes("a") == [1])
            #expect(try entries(below: folder) == ["a"])
        }
    }

    @Test("a read-only root refuses puts with permissionDenied")
    func readOnlyRoot() async throws {
        guard geteuid() != 0 else {
            print(
                "skipping the read-only root test: running as root, where mode 0500 does not prevent writes (the errno mapping is tested directly)"
            )
            return
        }
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder + "/root")
            #expect(chmod(folder + "/root", 0o500) == 0)
            defer { _ = chmod(folder + "/root", 0o700) }
            do {
                try await storage.put([1], at: "a/b")
                Issue.record("a put into a read-only root succeeded")
            } catch let error as StorageError {
                #expect(error.code == .permissionDenied)
            }
            #expect(throws: StorageError.self) { _ = try LocalStorage(root: folder + "/root") }
        }
    }

    @Test("errno values map to storage error codes with the strerror text")
    func errnoMapping() {
        let cases: [(Int32, StorageError.Code)] = [
            (ENOSPC, .noSpace), (EDQUOT, .noSpace), (EACCES, .permissionDenied), (EPERM, .permissionDenied),
            (EROFS, .permissionDenied), (ENOENT, .notFound), (EIO, .io), (EMFILE, .io),
        ]
        for (code, expected) in cases {
            let error = LocalStorage.POSIXFile.error(code, key: "k", action: "write")
            #expect(error.code == expected, "errno \(code)")
            #expect(error.underlying == String(cString: strerror(code)))
            #expect(error.key == "k")
        }
    }

    @Test("a reader closes its descriptor at the end and when dropped early")
    func readerClosesDescriptor() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/data"
            _ = FileManager.default.createFile(atPath: path, contents: Data(sampleBytes(count: 100)))
            func openPath(of descriptor: Int32) -> String? {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)")
            }

            var reader: LocalStorage.FileReader? = LocalStorage.FileReader(path: path, key: "data", chunkSize: 10)
            _ = try await reader?.next()
            let descriptor = try #require(reader?.descriptor)
            #expect(openPath(of: descriptor) == path)
            reader = nil
            #expect(openPath(of: descriptor) != path)

            let complete = LocalStorage.FileReader(path: path, key: "data", chunkSize: 64)
            while try await complete.next() != nil {}
            #expect(complete.descriptor == -1)
        }
    }
}
