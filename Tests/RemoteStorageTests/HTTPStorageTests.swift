import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import RemoteStorage

/// The WebDAV server that `scripts/services/nginx-dav.sh` starts.
enum DAVServer {
    static let environment = ProcessInfo.processInfo.environment
    static var url: String? { environment["BACKUPKIT_DAV_URL"] }
    static var isAvailable: Bool {
        url != nil && environment["BACKUPKIT_DAV_USER"] != nil && environment["BACKUPKIT_DAV_PASSWORD"] != nil
    }

    /// A storage rooted at a fresh collection, removed (recursively) when the body returns or throws.
    static func withStorage<T>(
        bandwidthLimit: Int64? = nil, _ body: (HTTPStorage, String) async throws -> T
    ) async throws -> T {
        let base = (url ?? "") + "t-\(UUID().uuidString)/"
        let storage = try HTTPStorage(
            baseURL: try #require(URL(string: base)),
            credentials: .basic(user: environment["BACKUPKIT_DAV_USER"] ?? "", password: environment["BACKUPKIT_DAV_PASSWORD"] ?? ""),
            credentialSource: "BACKUPKIT_DAV_USER/BACKUPKIT_DAV_PASSWORD", bandwidthLimit: bandwidthLimit)
        do {
            let result = try await body(storage, base)
            try await removeCollection(base)
            return result
        } catch {
            try? await removeCollection(base)
            throw error
        }
    }

    static func removeCollection(_ url: String) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .DELETE
        let credentials = "\(environment["BACKUPKIT_DAV_USER"] ?? ""):\(environment["BACKUPKIT_DAV_PASSWORD"] ?? "")"
        request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
    }
}

private func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

@Suite(
    "HTTPStorage against nginx WebDAV",
    .enabled(if: DAVServer.isAvailable, "set BACKUPKIT_DAV_URL/_USER/_PASSWORD (scripts/services/nginx-dav.sh starts it)"))
struct HTTPStorageTests {
    @Test("round trip is byte-identical", arguments: [0, 1, 70_001, 20 << 20])
    func roundTrip(size: Int) async throws {
        try await DAVServer.withStorage { storage, _ in
            let bytes = sampleBytes(count: size)
            let stored = try await storage.put(ByteStream(bytes: bytes, chunkSize: 1 << 20), at: "plan/src/a.bin", options: .overwrite)
            #expect(stored.sizeBytes == Int64(size))
            #expect(stored.lastModified != nil)

            var read: [UInt8] = []
            var chunks = 0
            for try await chunk in try await storage.get("plan/src/a.bin") {
                read += chunk
                chunks += 1
            }
            #expect(read.count == size)
            #expect(sha256(read) == sha256(bytes))
            if size == 20 << 20 { #expect(chunks > 1, "a large body arrives in several chunks") }

            let info = try #require(try await storage.head("plan/src/a.bin"))
            #expect(info.sizeBytes == Int64(size))
        }
    }

    @Test("a get stream can be iterated twice")
    func reiteration() async throws {
        try await DAVServer.withStorage { storage, _ in
            let bytes = sampleBytes(count: 300_000)
            try await storage.put(bytes, at: "x.bin")
            let stream = try await storage.get("x.bin")
            #expect(try await stream.collect() == bytes)
            #expect(try await stream.collect() == bytes)
        }
    }

    @Test(
        "keys with spaces, non-ASCII and reserved characters keep their names",
        arguments: [
            "deep/a/b/c/d/file.bin", "with space/and space.txt", "unicode/ファイル €.bin", "reserved/a+b&c=d;e%20f#g?.txt",
        ])
    func keyNames(key: String) async throws {
        try await DAVServer.withStorage { storage, _ in
            let bytes = Array("content of \(key)".utf8)
            try await storage.put(bytes, at: key)
            #expect(try await storage.getBytes(key) == bytes)
            let listed = try await storage.list(prefix: "", after: nil, limit: 10)
            #expect(listed.objects.map(\.key) == [key])
            #expect(listed.objects.first?.sizeBytes == Int64(bytes.count))
        }
    }

    @Test("listing pages through keys in byte order, restricted to the prefix")
    func listingPages() async throws {
        try await DAVServer.withStorage { storage, _ in
            let keys = [
                "p/a-c.bin", "p/a/b.bin", "p/a/c/d.bin", "p/a0.bin", "p/b.bin", "p/bz/1.bin", "p/bz/2.bin", "q/other.bin",
                "p/ä.bin",
            ]
            for (index, key) in keys.enumerated() { try await storage.put([UInt8](repeating: 7, count: index), at: key) }
            let expected = keys.filter { $0.hasPrefix("p/") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }

            var listed: [String] = []
            var token: String?
            var pages = 0
            repeat {
                let page = try await storage.list(prefix: "p/", after: token, limit: 3)
                #expect(page.objects.count <= 3)
                listed += page.objects.map(\.key)
                token = page.continuation
                pages += 1
            } while token != nil && pages < 10
            #expect(listed == expected)
            #expect(pages == 3)

            var all: [String] = []
            for try await object in storage.listAll(prefix: "p/b", pageSize: 2) { all.append(object.key) }
            #expect(all == ["p/b.bin", "p/bz/1.bin", "p/bz/2.bin"])
            #expect(try await storage.list(prefix: "nothing/", after: nil, limit: 5).objects.isEmpty)
            let sizes = try await storage.list(prefix: "q/", after: nil, limit: 5).objects.map(\.sizeBytes)
            #expect(sizes == [7])
        }
    }

    @Test("head and delete")
    func headAndDelete() async throws {
        try await DAVServer.withStorage { storage, _ in
            #expect(try await storage.head("a/b.bin") == nil)
            try await storage.put([1, 2, 3], at: "a/b.bin")
            #expect(try await storage.head("a/b.bin")?.sizeBytes == 3)
            try await storage.delete("a/b.bin")
            #expect(try await storage.head("a/b.bin") == nil)
            try await storage.delete("a/b.bin")
            let error = await #expect(throws: StorageError.self) { _ = try await storage.get("a/b.bin") }
            #expect(error?.code == .notFound)
        }
    }

    @Test("a create-only put refuses an existing key and keeps its content")
    func createOnly() async throws {
        try await DAVServer.withStorage { storage, _ in
            try await storage.put([1], at: "once.bin", options: .createOnly)
            let error = await #expect(throws: StorageError.self) {
                try await storage.put([2, 2], at: "once.bin", options: .createOnly)
            }
            #expect(error?.code == .alreadyExists)
            #expect(try await storage.getBytes("once.bin") == [1])
            try await storage.put([3], at: "once.bin", options: .overwrite)
            #expect(try await storage.getBytes("once.bin") == [3])
        }
    }

    @Test("a bandwidth limit slows nothing down functionally: bytes arrive intact")
    func bandwidthLimited() async throws {
        try await DAVServer.withStorage(bandwidthLimit: 64 << 20) { storage, _ in
            #expect(storage.bandwidthLimiter?.bytesPerSecond == 64 << 20)
            let bytes = sampleBytes(count: 2 << 20)
            _ = try await storage.put(ByteStream(bytes: bytes, chunkSize: 256 << 10), at: "limited.bin", options: .overwrite)
            #expect(try await storage.getBytes("limited.bin") == bytes)
        }
    }
}

@Suite("HTTPStorage configuration")
struct HTTPStorageConfigurationTests {
    @Test("a URL holding credentials or not http(s) is refused without echoing the password, in storage terms")
    func badURL() throws {
        for url in ["ftp://host/repo/", "http://user:hunter2pass@host/repo/", "http://host/repo/?q=1"] {
            let error = #expect(throws: StorageError.self) { _ = try HTTPStorage(baseURL: try #require(URL(string: url))) }
            #expect(error?.code == .configuration)
            #expect(error?.message.contains("the repository URL") == true)
            #expect(error?.message.contains("storage.") == false)
            #expect(error.map { "\($0)" }?.contains("hunter2pass") == false)
        }
        let user = #expect(throws: StorageError.self) {
            _ = try HTTPStorage(baseURL: try #require(URL(string: "http://h/r/")), credentials: .basic(user: "a:b", password: "pw-secret"))
        }
        #expect(user?.message.contains("pw-secret") == false)
        #expect(throws: StorageError.self) { _ = try HTTPStorage(baseURL: try #require(URL(string: "http://h/r/")), bandwidthLimit: 0) }
    }

    @Test("keys are percent-encoded segment by segment and the base URL gains a trailing slash")
    func urls() throws {
        let storage = try HTTPStorage(baseURL: try #require(URL(string: "http://127.0.0.1:1/repo")))
        #expect(storage.baseURL.absoluteString == "http://127.0.0.1:1/repo/")
        #expect(try storage.url(of: "a b/ä+?.bin") == "http://127.0.0.1:1/repo/a%20b/%C3%A4%2B%3F.bin")
        #expect(throws: StorageError.self) { _ = try storage.url(of: "../escape") }
    }

    @Test("a server checksum header is read in each known form")
    func checksumHeaders() {
        let digest = Array(SHA256.hash(data: Array("abc".utf8)))
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        let base64 = Data(digest).base64EncodedString()
        for (name, value) in [("X-Checksum-Sha256", hex), ("Digest", "SHA-256=\(base64)"), ("Repr-Digest", "sha-256=:\(base64):")] {
            #expect(HTTPStorage.reportedSHA256(in: HTTPHeaders([(name, value)])) == digest)
        }
        #expect(HTTPStorage.reportedSHA256(in: HTTPHeaders([("ETag", "\"abc\"")])) == nil)
    }

    @Test("PROPFIND answers are parsed: hrefs, collections, sizes, dates; failed propstats ignored")
    func multistatus() throws {
        let xml = """
            <?xml version="1.0" encoding="utf-8" ?>
            <D:multistatus xmlns:D="DAV:">
            <D:response><D:href>/repo/a/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype>
            </D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
            <D:response><D:href>http://h/repo/a/f%20x.bin</D:href><D:propstat><D:prop><D:resourcetype/>
            <D:getcontentlength>42</D:getcontentlength><D:getlastmodified>Wed, 25 Nov 2026 15:20:20 GMT</D:getlastmodified>
            </D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
            <D:propstat><D:prop><D:getcontentlength>99</D:getcontentlength></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
            </D:response>
            </D:multistatus>
            """
        let entries = try WebDAVMultistatus(parsing: Array(xml.utf8)).entries
        #expect(entries.count == 2)
        #expect(entries[0].isCollection)
        #expect(entries[1].href == "http://h/repo/a/f%20x.bin")
        #expect(!entries[1].isCollection)
        #expect(entries[1].contentLength == 42)
        #expect(entries[1].lastModified == Date(timeIntervalSince1970: 1_795_620_020))
        #expect(throws: StorageError.self) {
            _ = try WebDAVMultistatus(parsing: Array("<D:multistatus xmlns:D=\"DAV:\"><D:response></D:multistatus>".utf8))
        }
    }
}
