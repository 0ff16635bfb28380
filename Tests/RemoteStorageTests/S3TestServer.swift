import AsyncHTTPClient
import BackupSupport
import Crypto
import Foundation
import Testing

@testable import RemoteStorage

/// The SeaweedFS server started by `scripts/services/seaweedfs.sh`, found through the variables it
/// writes to `seaweedfs.env`.
enum S3TestServer {
    static let reason = "set BACKUPKIT_S3_* (scripts/services/seaweedfs.sh starts SeaweedFS and writes them)"

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    static var endpoint: URL? { environment["BACKUPKIT_S3_ENDPOINT"].flatMap(URL.init(string:)) }
    static var region: String { environment["BACKUPKIT_S3_REGION"] ?? "us-east-1" }

    static var readWrite: S3Credentials? {
        guard let access = environment["BACKUPKIT_S3_ACCESS_KEY"], let secret = environment["BACKUPKIT_S3_SECRET_KEY"]
        else { return nil }
        return S3Credentials(accessKeyID: access, secretAccessKey: secret)
    }

    static var readOnly: S3Credentials? {
        guard let access = environment["BACKUPKIT_S3_READONLY_ACCESS_KEY"],
            let secret = environment["BACKUPKIT_S3_READONLY_SECRET_KEY"]
        else { return nil }
        return S3Credentials(accessKeyID: access, secretAccessKey: secret)
    }

    static var isAvailable: Bool { endpoint != nil && readWrite != nil && readOnly != nil }

    /// Options for tests: small parts and instant retries.
    static func testOptions(
        partSize: Int = S3StorageOptions.minimumPartSize, retryObserver: (@Sendable (TransferRetry.Event) -> Void)? = nil
    ) -> S3StorageOptions {
        var retry = TransferRetry(maximumAttempts: 6, observer: retryObserver)
        retry.sleep = { _ in try Task.checkCancellation() }
        return S3StorageOptions(
            multipartThreshold: partSize, partSize: partSize, partsInFlight: 3, requestTimeout: .seconds(20),
            minimumUploadRate: 8 << 20, retry: retry)
    }

    /// A storage on `bucket` at `endpoint` (the server, or a proxy in front of it).
    static func storage(
        bucket: String, at endpoint: URL? = nil, credentials: S3Credentials? = nil, prefix: String = "",
        options: S3StorageOptions = testOptions(), httpClient: HTTPClient = .shared
    ) throws -> S3Storage {
        let server = try #require(self.endpoint)
        let location = try S3Endpoint(endpoint: endpoint ?? server, bucket: bucket, region: region, pathStyle: true)
        return try S3Storage(
            endpoint: location, credentials: try #require(credentials ?? readWrite), prefix: prefix, options: options,
            credentialSource: "BACKUPKIT_S3_ACCESS_KEY / BACKUPKIT_S3_SECRET_KEY", httpClient: httpClient)
    }

    /// Runs `body` with a fresh bucket, then deletes its objects, its unfinished uploads and the bucket.
    static func withBucket<T>(_ body: (String) async throws -> T) async throws -> T {
        let bucket = "bk-test-" + UUID().uuidString.prefix(12).lowercased()
        let admin = try storage(bucket: bucket)
        try await admin.createBucket()
        do {
            let result = try await body(bucket)
            try await removeEverything(admin)
            return result
        } catch {
            try? await removeEverything(admin)
            throw error
        }
    }

    private static func removeEverything(_ storage: S3Storage) async throws {
        for upload in try await storage.pendingUploads(prefix: "", key: nil) {
            try await storage.abortMultipartUpload(upload.objectName, uploadID: upload.uploadID)
        }
        for try await object in storage.listAll(prefix: "") {
            try await storage.delete(object.key)
        }
        try await storage.deleteBucket()
    }
}

/// A stream of `size` deterministic bytes in 1 MiB chunks: a fixed pseudo-random block whose first
/// eight bytes are replaced by the chunk number, so reordered or repeated chunks change the hash.
/// Each iteration produces the same bytes; nothing but one chunk is held in memory.
func deterministicStream(size: Int64, chunkSize: Int = 1 << 20) -> ByteStream {
    let block = sampleBytes(count: chunkSize, seed: 0x5EED)
    return ByteStream {
        let cursor = Shared<Int64>(0)
        return {
            cursor.withLock { produced -> [UInt8]? in
                guard produced < size else { return nil }
                let count = Int(min(Int64(chunkSize), size - produced))
                var chunk = Array(block[0..<count])
                let index = produced / Int64(chunkSize)
                withUnsafeBytes(of: index.littleEndian) { raw in
                    for (offset, byte) in raw.enumerated() where offset < count { chunk[offset] = byte }
                }
                produced += Int64(count)
                return chunk
            }
        }
    }
}

/// The SHA-256 (hex) of everything `stream` produces, read chunk by chunk.
func sha256Hex(of stream: ByteStream) async throws -> (hash: String, count: Int64) {
    var hasher = SHA256()
    var count: Int64 = 0
    for try await chunk in stream {
        hasher.update(data: chunk)
        count += Int64(chunk.count)
    }
    return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), count)
}

/// A stream iterator shared with the producer closure of another stream; iterated by one consumer
/// at a time, which makes the unchecked conformance sound.
final class SharedIterator: @unchecked Sendable {
    private var iterator: ByteStream.AsyncIterator

    init(_ stream: ByteStream) { iterator = stream.makeAsyncIterator() }

    func next() async throws -> [UInt8]? { try await iterator.next() }
}

/// Counts events from concurrent tasks.
final class EventCounter: Sendable {
    private let count = Shared(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
