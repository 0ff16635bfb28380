import AsyncHTTPClient
import BackupSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import RemoteStorage

@Suite(
    .enabled(
        if: S3TestServer.isAvailable,
        "set BACKUPKIT_S3_* (scripts/services/seaweedfs.sh starts SeaweedFS and writes them)"))
struct S3StorageTests {
    @Test(arguments: [
        ("small.bin", 1000),
        ("empty.bin", 0),
        ("daily/2026/11/25/db backup é 日本.sql.zst", 70_000),
        ("keys/with+plus&amp=equals?.bin", 17),
    ])
    func objectsRoundTripByteIdentical(key: String, size: Int) async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket, prefix: "plan")
            let bytes = sampleBytes(count: size, seed: UInt64(size + 1))
            let stored = try await storage.put(bytes, at: key)
            #expect(stored.sizeBytes == Int64(size))
            #expect(try await storage.getBytes(key) == bytes)
            let info = try #require(try await storage.head(key))
            #expect(info.sizeBytes == Int64(size))
            #expect(info.lastModified != nil)
            let listed = try await storage.list(prefix: "", after: nil, limit: 10)
            #expect(listed.objects.map(\.key) == [key])
            try await storage.delete(key)
            #expect(try await storage.head(key) == nil)
            try await storage.delete(key)
        }
    }

    @Test func multipartUploadRoundTripsAndLeavesNoUpload() async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket)
            let size: Int64 = 40 << 20 + 12_345
            let body = deterministicStream(size: size)
            let stored = try await storage.put(body, at: "big/archive.tar.zst", options: .overwrite)
            #expect(stored.sizeBytes == size)
            let expected = try await sha256Hex(of: body)
            let actual = try await sha256Hex(of: try await storage.get("big/archive.tar.zst"))
            #expect(actual.count == size)
            #expect(actual.hash == expected.hash)
            #expect(try await storage.pendingUploads(prefix: "", key: nil).isEmpty)
        }
    }

    @Test func rangedGetReturnsTheRequestedBytes() async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket)
            let bytes = sampleBytes(count: 10_000)
            try await storage.put(bytes, at: "ranged.bin")
            let middle = try await storage.get("ranged.bin", range: 100...199).collect()
            #expect(middle == Array(bytes[100...199]))
            let tail = try await storage.get("ranged.bin", range: 9_990...20_000).collect()
            #expect(tail == Array(bytes[9_990...]))
        }
    }

    @Test func missingObjectIsNotFound() async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket)
            let error = await #expect(throws: StorageError.self) { _ = try await storage.get("absent.bin") }
            #expect(error?.code == .notFound)
            #expect(try await storage.head("absent.bin") == nil)
        }
    }

    @Test func missingBucketNamesTheBucket() async throws {
        let storage = try S3TestServer.storage(bucket: "bk-test-no-such-bucket-here")
        let error = await #expect(throws: StorageError.self) { try await storage.put([1, 2, 3], at: "a.bin") }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("bk-test-no-such-bucket-here") == true)
    }

    @Test func listingPagesWithContinuationTokens() async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket, prefix: "root/")
            let keys = ["a/1.bin", "a/2 two.bin", "a/3-é.bin", "a/4.bin", "a/5.bin", "b/outside.bin"]
            for key in keys { try await storage.put([UInt8(key.count)], at: key) }
            var pages: [[String]] = []
            var token: String?
            repeat {
                let page = try await storage.list(prefix: "a/", after: token, limit: 2)
                pages.append(page.objects.map(\.key))
                token = page.continuation
            } while token != nil && pages.count < 10
            #expect(pages.flatMap { $0 } == Array(keys.prefix(5)))
            #expect(pages.allSatisfy { $0.count <= 2 })
            #expect(pages.count >= 3)
            var all: [String] = []
            for try await object in storage.listAll(prefix: "", pageSize: 4) { all.append(object.key) }
            #expect(all == keys)
        }
    }

    @Test func createOnlyRefusesAnExistingObject() async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket)
            try await storage.put([1], at: "once.bin", options: .createOnly)
            let error = await #expect(throws: StorageError.self) {
                try await storage.put([2], at: "once.bin", options: .createOnly)
            }
            #expect(error?.code == .alreadyExists)
            #expect(try await storage.getBytes("once.bin") == [1])
        }
    }

    @Test func wrongSecretIsPermissionDeniedWithoutTheSecret() async throws {
        try await S3TestServer.withBucket { bucket in
            let good = try #require(S3TestServer.readWrite)
            let wrongSecret = "wrong-" + UUID().uuidString
            let storage = try S3TestServer.storage(
                bucket: bucket, credentials: S3Credentials(accessKeyID: good.accessKeyID, secretAccessKey: wrongSecret))
            let error = await #expect(throws: StorageError.self) { try await storage.put([1, 2], at: "denied.bin") }
            #expect(error?.code == .permissionDenied)
            #expect(error?.message.contains("authentication failed: check the access key pair") == true)
            #expect(error?.message.contains("BACKUPKIT_S3_ACCESS_KEY / BACKUPKIT_S3_SECRET_KEY") == true)
            #expect(error?.underlying?.contains("SignatureDoesNotMatch") == true)
            let text = error.map { String(describing: $0) } ?? ""
            #expect(!text.contains(wrongSecret))
            #expect(!text.contains(good.secretAccessKey))
        }
    }

    @Test func readOnlyIdentityCannotPut() async throws {
        try await S3TestServer.withBucket { bucket in
            let writer = try S3TestServer.storage(bucket: bucket)
            try await writer.put([7, 7], at: "readable.bin")
            let reader = try S3TestServer.storage(bucket: bucket, credentials: S3TestServer.readOnly)
            #expect(try await reader.getBytes("readable.bin") == [7, 7])
            let error = await #expect(throws: StorageError.self) { try await reader.put([1], at: "forbidden.bin") }
            #expect(error?.code == .permissionDenied)
            #expect(error?.message.contains("BACKUPKIT_S3_ACCESS_KEY / BACKUPKIT_S3_SECRET_KEY") == true)
            #expect(try await writer.head("forbidden.bin") == nil)
        }
    }

    @Test func presignedLinksWorkUntilTamperedOrExpired() async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket)
            let bytes = sampleBytes(count: 4096)
            let key = "exports/report é.csv"
            try await storage.put(bytes, at: key)

            let link = try storage.downloadLink(for: key, lifetime: 300, now: Date())
            let (status, body) = try await fetch(link)
            #expect(status == 200)
            #expect(body == bytes)

            let tampered = try #require(
                URL(string: link.absoluteString.replacingOccurrences(of: "X-Amz-Expires=300", with: "X-Amz-Expires=301")))
            #expect(try await fetch(tampered).status == 403)

            let expired = try storage.downloadLink(for: key, lifetime: 60, now: Date().addingTimeInterval(-3600))
            #expect(try await fetch(expired).status == 403)
        }
    }

    @Test func downloadDomainReplacesTheHost() throws {
        let endpoint = try S3Endpoint.tencentCOS(bucket: "backups-1250000000", region: "ap-guangzhou")
        let storage = try S3Storage(
            endpoint: endpoint, credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"),
            prefix: "bklog", downloadDomain: URL(string: "https://dl.example.com"))
        let link = try storage.downloadLink(for: "a b.zst", lifetime: 86_400, now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(link.host == "dl.example.com")
        #expect(link.path == "/bklog/a b.zst")
        #expect(link.query?.contains("X-Amz-Expires=86400") == true)
    }

    @Test func cancellingAMultipartPutLeavesNothing() async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket)
            let (reached, signal) = AsyncStream.makeStream(of: Void.self)
            let partSize = Int64(S3StorageOptions.minimumPartSize)
            let leading = deterministicStream(size: 3 * partSize)
            // Three parts' worth of bytes, then a producer that waits until the put is cancelled.
            let body = ByteStream {
                let iterator = SharedIterator(leading)
                let source = Shared(false)
                return {
                    if let chunk = try await iterator.next() { return chunk }
                    if !source.withLock({ $0 }) {
                        source.withLock { $0 = true }
                        signal.yield()
                    }
                    try await Task.sleep(for: .seconds(3600))
                    return nil
                }
            }
            let put = Task { try await storage.put(body, at: "cancelled.bin", options: .overwrite) }
            var waiter = reached.makeAsyncIterator()
            _ = await waiter.next()
            #expect(try await storage.pendingUploads(prefix: "", key: nil).count == 1)
            put.cancel()
            let result = await put.result
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(try await storage.head("cancelled.bin") == nil)
            #expect(try await storage.pendingUploads(prefix: "", key: nil).isEmpty)
        }
    }

    @Test func abandonedUploadsAreRemoved() async throws {
        try await S3TestServer.withBucket { bucket in
            let storage = try S3TestServer.storage(bucket: bucket, prefix: "p/")
            try await storage.put([1, 2, 3], at: "kept.bin")
            _ = try await storage.initiateMultipartUpload("p/kept.bin", key: "kept.bin")
            _ = try await storage.initiateMultipartUpload("p/kept.bin", key: "kept.bin")
            _ = try await storage.initiateMultipartUpload("p/other.bin", key: "other.bin")
            #expect(try await storage.removeAbandonedUploads(of: "kept.bin") == 2)
            #expect(try await storage.getBytes("kept.bin") == [1, 2, 3])
            let left = try await storage.pendingUploads(prefix: "", key: nil)
            #expect(left.map(\.objectName) == ["p/other.bin"])
            #expect(try await storage.abortAbandonedUploads(olderThan: Date().addingTimeInterval(-86_400)) == 0)
            #expect(try await storage.abortAbandonedUploads(olderThan: Date().addingTimeInterval(3600)) == 1)
            #expect(try await storage.pendingUploads(prefix: "", key: nil).isEmpty)
        }
    }

    @Test func bandwidthLimitPacesUploadsAndDownloads() async throws {
        try await S3TestServer.withBucket { bucket in
            // A fake clock: the limiter's sleeps advance it instead of waiting.
            let clock = Shared<Duration>(.zero)
            let limiter = BandwidthLimiter(
                bytesPerSecond: 1 << 20, elapsed: { clock.withLock { $0 } },
                sleep: { duration in clock.withLock { $0 += duration } })
            var options = S3TestServer.testOptions()
            options.bandwidthLimiter = limiter
            let storage = try S3TestServer.storage(bucket: bucket, options: options)
            try await storage.put(deterministicStream(size: 3 << 20), at: "paced.bin", options: .overwrite)
            let afterUpload = clock.withLock { $0 }
            // 3 MiB at 1 MiB/s, of which the first second's worth may go at once.
            #expect(afterUpload >= .seconds(2))
            let downloaded = try await sha256Hex(of: try await storage.get("paced.bin"))
            #expect(downloaded.count == 3 << 20)
            #expect(clock.withLock { $0 } - afterUpload >= .seconds(2))
        }
    }

    /// GETs `url` without credentials and returns the status and body.
    private func fetch(_ url: URL) async throws -> (status: Int, body: [UInt8]) {
        let request = HTTPClientRequest(url: url.absoluteString)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }
}
