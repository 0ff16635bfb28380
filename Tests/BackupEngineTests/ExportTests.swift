import BackupModels
import Crypto
import Foundation
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport
@testable import RemoteStorage

private let linkSecret = Array("export-tests-secret-0123456789abcdef".utf8)
private let madeAt = Date(timeIntervalSince1970: 1_795_620_020)  // 2026-11-25 15:20:20 UTC

/// A storage whose puts consume part of the body and then fail, like a network that drops.
private struct FailingStorage: Storage {
    let inner: LocalStorage

    func put(_ body: ByteStream, at key: String, options: PutOptions) async throws -> ObjectInfo {
        var iterator = body.makeAsyncIterator()
        _ = try await iterator.next()
        throw StorageError(code: .io, key: key, message: "the connection dropped")
    }
    func get(_ key: String) async throws -> ByteStream { try await inner.get(key) }
    func head(_ key: String) async throws -> ObjectInfo? { try await inner.head(key) }
    func list(prefix: String, after continuation: String?, limit: Int) async throws -> ListPage {
        try await inner.list(prefix: prefix, after: continuation, limit: limit)
    }
    func delete(_ key: String) async throws { try await inner.delete(key) }
}

private func makeTree(_ scratch: Scratch) throws -> [String] {
    try scratch.write("data/logs/a.log", String(repeating: "line of log\n", count: 5000))
    try scratch.write("data/logs/nested/b.txt", "b")
    try scratch.write("report.csv", "id,value\n1,2\n")
    return [scratch.sub("data/logs"), scratch.sub("report.csv")]
}

private func signedStorage(_ scratch: Scratch) throws -> SignedLocalStorage {
    let signer = try LocalLinkSigner(secret: linkSecret, baseURL: URL(string: "https://files.example.com/download")!)
    return SignedLocalStorage(storage: try LocalStorage(root: scratch.sub("store")), signer: signer)
}

/// The entry paths of a gzip-compressed tar archive.
private func entries(ofArchive bytes: [UInt8]) async throws -> [String] {
    let tar = try await ByteStream(bytes: bytes, chunkSize: 7000).transformed(maxChunkSize: 1 << 20) { try GzipDecompressor() }
        .collect()
    let reader = TarReader(ByteStream(bytes: tar))
    var paths: [String] = []
    while let header = try await reader.nextEntry() { paths.append(header.path) }
    return paths
}

@Suite("Exports: packaging, upload, links, cleanup")
struct ExportTests {
    @Test("an export is a named tar.gz in the storage with a link that verifies")
    func export() async throws {
        let scratch = Scratch("export")
        let paths = try makeTree(scratch)
        let storage = try signedStorage(scratch)
        let exporter = try Exporter(
            storage: storage, workFolder: scratch.sub("work"), now: { madeAt }, randomSuffix: { "abc123xyz0" })
        let result = try await exporter.export(ExportRequest(paths: paths, app: "bklog", indexSetID: 42, linkLifetime: 3600))

        #expect(result.key == "exports/bklog_42_20261125152020_abc123xyz0.tar.gz")
        let stored = try await storage.getBytes(result.key)
        #expect(Int64(stored.count) == result.sizeBytes)
        #expect(result.sha256 == SHA256.hash(data: stored).map { String(format: "%02x", $0) }.joined())
        #expect(
            try await entries(ofArchive: stored).sorted() == ["logs/", "logs/a.log", "logs/nested/", "logs/nested/b.txt", "report.csv"])

        let link = try #require(result.link)
        #expect(result.expiresAt == madeAt.addingTimeInterval(3600))
        #expect(try await storage.verifiedKey(for: link, now: madeAt.addingTimeInterval(10)) == result.key)
        #expect(throws: LinkError.self) { _ = try storage.signer.verify(link, now: madeAt.addingTimeInterval(3600)) }
        // Nothing is left in the work folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.sub("work")).isEmpty)
    }

    @Test("a union export's name has no index set id; a storage without links gives no link")
    func unionExport() async throws {
        let scratch = Scratch("export")
        let paths = try makeTree(scratch)
        let storage = try LocalStorage(root: scratch.sub("store"))
        let exporter = try Exporter(
            storage: storage, prefix: "", workFolder: scratch.sub("work"),
            timeZone: TimeZone(identifier: "Asia/Shanghai")!, now: { madeAt }, randomSuffix: { "0000000000" })
        let result = try await exporter.export(ExportRequest(paths: paths, app: "bk-app.v2"))
        #expect(result.key == "bk-app.v2_20261125232020_0000000000.tar.gz")
        #expect(result.link == nil)
        #expect(result.expiresAt == nil)
        #expect(try await storage.head(result.key)?.sizeBytes == result.sizeBytes)
    }

    @Test("a failing upload leaves no local file and no object")
    func failingStorage() async throws {
        let scratch = Scratch("export")
        let paths = try makeTree(scratch)
        let inner = try LocalStorage(root: scratch.sub("store"))
        let exporter = try Exporter(storage: FailingStorage(inner: inner), workFolder: scratch.sub("work"), now: { madeAt })
        let error = await #expect(throws: StorageError.self) {
            _ = try await exporter.export(ExportRequest(paths: paths, app: "bklog", indexSetID: 1))
        }
        #expect(error?.message == "the connection dropped")
        #expect(try entries(below: scratch.sub("work")).isEmpty)
        #expect(try await inner.list(prefix: "", after: nil, limit: 10).objects.isEmpty)
    }

    @Test("a missing path fails before anything is stored, leaving nothing behind")
    func missingPath() async throws {
        let scratch = Scratch("export")
        let storage = try LocalStorage(root: scratch.sub("store"))
        let exporter = try Exporter(storage: storage, workFolder: scratch.sub("work"), now: { madeAt })
        await #expect(throws: SourceError.self) {
            _ = try await exporter.export(ExportRequest(paths: [scratch.sub("nope")], app: "bklog"))
        }
        #expect(try entries(below: scratch.sub("work")).isEmpty)
        #expect(try await storage.list(prefix: "", after: nil, limit: 10).objects.isEmpty)
    }

    @Test(
        "bad requests are refused naming the field",
        arguments: [
            (ExportRequest(paths: [], app: "a"), "no paths"), (ExportRequest(paths: ["/tmp"], app: "my_app"), "app name"),
            (ExportRequest(paths: ["/tmp"], app: ""), "app name"), (ExportRequest(paths: ["/tmp"], app: "a", linkLifetime: 0), "lifetime"),
        ])
    func badRequests(request: ExportRequest, fragment: String) async throws {
        let scratch = Scratch("export")
        let exporter = try Exporter(storage: try LocalStorage(root: scratch.sub("store")), workFolder: scratch.sub("work"))
        let error = await #expect(throws: ExportError.self) { _ = try await exporter.export(request) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains(fragment) == true)
    }

    @Test("cleanup removes exports older than the age, remote and local, and nothing else")
    func cleanup() async throws {
        let scratch = Scratch("export")
        let paths = try makeTree(scratch)
        let storage = try LocalStorage(root: scratch.sub("store"))
        let clock = TestClock("2026-11-01T00:00:00Z")
        let counter = Counter()
        let exporter = try Exporter(
            storage: storage, workFolder: scratch.sub("work"), now: { clock.now },
            randomSuffix: { String(format: "suffix%04d", counter.next()) })
        var made: [String] = []
        for _ in 0..<4 {
            made.append(try await exporter.export(ExportRequest(paths: paths, app: "bklog", indexSetID: 7)).key)
            clock.advance(3 * 86_400)
        }
        // Objects that are not exports are never touched, even old-looking ones.
        try await storage.put(Array("keep".utf8), at: "exports/notes.txt")
        try await storage.put(Array("keep".utf8), at: "exports/sub/bklog_7_20200101000000_aaaaaaaaaa.tar.gz")
        try await storage.put(Array("keep".utf8), at: "other/bklog_7_20200101000000_aaaaaaaaaa.tar.gz")
        // Leftovers of interrupted exports in the work folder: a finished archive and a partial one.
        try scratch.write("work/bklog_20261101000000_bbbbbbbbbb.tar.gz", "stale")
        try scratch.write("work/.bklog_20261101000000_cccccccccc.tar.gz.partial-1f2e", "stale")
        try scratch.write("work/bklog_20261112000000_dddddddddd.tar.gz", "recent")

        // Now is 2026-11-13; 7 days back is 2026-11-06: the exports of Nov 1 and Nov 4 go.
        let result = try await exporter.cleanup(olderThan: 7 * 86_400, now: clock.now)
        #expect(result.removedKeys == Array(made.prefix(2)))
        #expect(
            Set(result.removedLocalFiles) == [
                "bklog_20261101000000_bbbbbbbbbb.tar.gz", ".bklog_20261101000000_cccccccccc.tar.gz.partial-1f2e",
            ])
        let remaining = try await storage.list(prefix: "", after: nil, limit: 100).objects.map(\.key)
        #expect(
            remaining
                == [
                    made[2], made[3], "exports/notes.txt", "exports/sub/bklog_7_20200101000000_aaaaaaaaaa.tar.gz",
                    "other/bklog_7_20200101000000_aaaaaaaaaa.tar.gz",
                ].sorted())
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.sub("work")) == ["bklog_20261112000000_dddddddddd.tar.gz"])
    }

    @Test(
        "names parse back; malformed names do not parse",
        arguments: [
            "bklog_42_20261125152020_abc123xyz0.tar.gz", "bk-app.v2_20261125232020_0000000000.tar.gz",
        ])
    func nameRoundTrip(name: String) throws {
        let utc = TimeZone(identifier: "UTC")!
        let parsed = try #require(ExportName(parsing: name, timeZone: utc))
        #expect(parsed.fileName(in: utc) == name)
        for bad in [
            "bklog_42_20261125152020_ABC123XYZ0.tar.gz", "bklog_42_20261325152020_abc123xyz0.tar.gz",
            "bklog_42_2026112515202_abc123xyz0.tar.gz",
            "bklog_x_20261125152020_abc123xyz0.tar.gz", "bklog_42_20261125152020_abc123xyz0.tar", "a_b_c_20261125152020_abc123xyz0.tar.gz",
        ] {
            #expect(ExportName(parsing: bad, timeZone: utc) == nil)
        }
    }

    @Test("random suffixes are ten characters from a-z0-9")
    func randomSuffix() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let suffix = ExportName.randomSuffix(using: &generator)
            #expect(ExportName.isValidSuffix(suffix))
        }
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.withLock {
            defer { value += 1 }; return value
        }
    }
}

/// Every entry below `path`, hidden ones included.
private func entries(below path: String) throws -> [String] {
    guard FileManager.default.fileExists(atPath: path) else { return [] }
    return (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []).sorted()
}
