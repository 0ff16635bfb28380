import AsyncHTTPClient
import BackupSupport
import Foundation
import NIOCore
import Testing

@testable import RemoteStorage

/// Uploads through ``FaultProxy``, which drops connections, answers 500/503/`SlowDown` and stalls.
@Suite(
    .enabled(
        if: S3TestServer.isAvailable,
        "set BACKUPKIT_S3_* (scripts/services/seaweedfs.sh starts SeaweedFS and writes them)"),
    .serialized)
struct S3StorageFaultTests {
    /// The faults injected in turn, one every `interval` requests.
    private static let faults: [FaultProxy.Action] = [
        .fail(status: 503, code: "SlowDown"), .drop, .fail(status: 500, code: "InternalError"),
        .stall(.seconds(12)), .fail(status: 503, code: "ServiceUnavailable"),
    ]

    /// Options for the proxy: request deadlines short enough that a stall (12 s) is noticed, long enough that a
    /// loaded machine (the suites run in parallel) answers a healthy request in time; retries counted.
    private static func options(retries: EventCounter, attempts: Int = 8) -> S3StorageOptions {
        var options = S3TestServer.testOptions(retryObserver: { _ in retries.increment() })
        options.retry.maximumAttempts = attempts
        options.requestTimeout = .seconds(6)
        options.minimumUploadRate = 64 << 20
        return options
    }

    @Test func largeUploadThroughFaultsLandsByteIdentical() async throws {
        // Every test of the whole run starts at once on the runner's two pool threads; for its first tens of
        // seconds the in-process proxy may answer late, and a CreateMultipartUpload without an answer is not
        // retried (by design). Start after that burst, so the 6 s deadlines measure the injected faults.
        try await Task.sleep(for: .seconds(45))
        try await S3TestServer.withBucket { bucket in
            let endpoint = try #require(S3TestServer.endpoint)
            let proxy = try await FaultProxy(upstream: endpoint.absoluteString.trimmingSuffix("/")) { request in
                // Every 7th request fails, except CreateMultipartUpload, which is retried only when
                // the server answered (a lost answer could leave a second upload behind).
                guard request.index % 7 == 0, !request.isInitiate else { return .forward }
                return Self.faults[(request.index / 7) % Self.faults.count]
            }
            let retries = EventCounter()
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(5), read: .seconds(60))))
            do {
                let storage = try S3TestServer.storage(
                    bucket: bucket, at: proxy.url, options: Self.options(retries: retries), httpClient: client)
                let size: Int64 = 200 << 20
                let body = deterministicStream(size: size)
                let stored = try await storage.put(body, at: "faults/big.bin", options: .overwrite)
                #expect(stored.sizeBytes == size)

                let direct = try S3TestServer.storage(bucket: bucket)
                let expected = try await sha256Hex(of: body)
                let actual = try await sha256Hex(of: try await direct.get("faults/big.bin"))
                #expect(actual.count == size)
                #expect(actual.hash == expected.hash)
                #expect(proxy.faultCount >= 5)
                #expect(retries.value >= proxy.faultCount)
                #expect(try await direct.pendingUploads(prefix: "", key: nil).isEmpty)
            } catch {
                try? await client.shutdown()
                try? await proxy.stop()
                throw error
            }
            try await client.shutdown()
            try await proxy.stop()
        }
    }

    @Test func failedMultipartPutLeavesNoUpload() async throws {
        try await S3TestServer.withBucket { bucket in
            let endpoint = try #require(S3TestServer.endpoint)
            // Two parts get through; every later part fails with 500 until the put gives up.
            let partsSeen = EventCounter()
            let proxy = try await FaultProxy(upstream: endpoint.absoluteString.trimmingSuffix("/")) { request in
                guard request.isUploadPart else { return .forward }
                partsSeen.increment()
                return partsSeen.value <= 2 ? .forward : .fail(status: 500, code: "InternalError")
            }
            let retries = EventCounter()
            do {
                let storage = try S3TestServer.storage(
                    bucket: bucket, at: proxy.url, options: Self.options(retries: retries, attempts: 3))
                let error = await #expect(throws: StorageError.self) {
                    _ = try await storage.put(deterministicStream(size: 30 << 20), at: "doomed.bin", options: .overwrite)
                }
                #expect(error?.code == .io)
                #expect(error?.underlying?.contains("InternalError") == true)
                #expect(error?.underlying?.contains("fault-proxy") == true)
                #expect(retries.value >= 2)

                let direct = try S3TestServer.storage(bucket: bucket)
                #expect(try await direct.head("doomed.bin") == nil)
                #expect(try await direct.pendingUploads(prefix: "", key: nil).isEmpty)
            } catch {
                try? await proxy.stop()
                throw error
            }
            try await proxy.stop()
        }
    }

    @Test func brokenDownloadResumesWhereItStopped() async throws {
        try await S3TestServer.withBucket { bucket in
            let endpoint = try #require(S3TestServer.endpoint)
            let proxy = try await FaultProxy(upstream: endpoint.absoluteString.trimmingSuffix("/"))
            let retries = EventCounter()
            do {
                let storage = try S3TestServer.storage(
                    bucket: bucket, at: proxy.url, options: Self.options(retries: retries))
                let size: Int64 = 3 << 20
                try await storage.put(deterministicStream(size: size), at: "resumed.bin", options: .overwrite)
                // The first GET is cut off halfway through its body; the stream resumes with a range.
                let ranges = Shared<[String]>([])
                proxy.setSchedule { request in
                    guard request.method == "GET" else { return .forward }
                    return ranges.withLock { seen in
                        seen.append(request.uri)
                        return seen.count == 1 ? .truncate : .forward
                    }
                }
                let downloaded = try await sha256Hex(of: try await storage.get("resumed.bin"))
                let expected = try await sha256Hex(of: deterministicStream(size: size))
                #expect(downloaded.count == size)
                #expect(downloaded.hash == expected.hash)
                #expect(ranges.withLock { $0.count } == 2)
            } catch {
                try? await proxy.stop()
                throw error
            }
            try await proxy.stop()
        }
    }

    @Test(
        "a download whose body stalls fails after the client's read timeout and resumes with a range",
        .timeLimit(.minutes(1)))  // the proxy holds a stalled body for two minutes: only a read timeout ends it sooner
    func stalledDownloadResumes() async throws {
        try await S3TestServer.withBucket { bucket in
            let endpoint = try #require(S3TestServer.endpoint)
            let proxy = try await FaultProxy(upstream: endpoint.absoluteString.trimmingSuffix("/"))
            var configuration = HTTPClient.Configuration()
            configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(5), read: .seconds(1))
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            let retries = EventCounter()
            do {
                let storage = try S3TestServer.storage(
                    bucket: bucket, at: proxy.url, options: Self.options(retries: retries), httpClient: client)
                let size: Int64 = 3 << 20
                try await storage.put(deterministicStream(size: size), at: "stalled.bin", options: .overwrite)
                // The first GET sends half its body, then nothing, with the connection left open.
                let gets = Shared<Int>(0)
                proxy.setSchedule { request in
                    guard request.method == "GET" else { return .forward }
                    return gets.withLock { count in
                        count += 1
                        return count == 1 ? .stallBody : .forward
                    }
                }
                let downloaded = try await sha256Hex(of: try await storage.get("stalled.bin"))
                let expected = try await sha256Hex(of: deterministicStream(size: size))
                #expect(downloaded.count == size)
                #expect(downloaded.hash == expected.hash)
                #expect(gets.withLock { $0 } == 2, "one stalled GET, one ranged GET for the rest")
            } catch {
                try? await client.shutdown()
                try? await proxy.stop()
                throw error
            }
            try await client.shutdown()
            try await proxy.stop()
        }
    }

    @Test func singlePutAndReadsRetryThroughErrors() async throws {
        try await S3TestServer.withBucket { bucket in
            let endpoint = try #require(S3TestServer.endpoint)
            let proxy = try await FaultProxy(upstream: endpoint.absoluteString.trimmingSuffix("/")) { request in
                request.index % 2 == 1 ? .fail(status: 503, code: "SlowDown") : .forward
            }
            let retries = EventCounter()
            do {
                let storage = try S3TestServer.storage(
                    bucket: bucket, at: proxy.url, options: Self.options(retries: retries))
                let bytes = sampleBytes(count: 100_000)
                try await storage.put(bytes, at: "small.bin")
                #expect(try await storage.getBytes("small.bin") == bytes)
                #expect(try await storage.head("small.bin")?.sizeBytes == 100_000)
                #expect(try await storage.list(prefix: "", after: nil, limit: 10).objects.map(\.key) == ["small.bin"])
                try await storage.delete("small.bin")
                #expect(retries.value == 5)
                #expect(proxy.faultCount == 5)
            } catch {
                try? await proxy.stop()
                throw error
            }
            try await proxy.stop()
        }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
