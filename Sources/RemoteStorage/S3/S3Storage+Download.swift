import AsyncHTTPClient
import BackupSupport
import Logging
import NIOCore
import NIOHTTP1

extension S3Storage {
    /// The size of the chunks a download hands out: network reads are gathered up to this size so
    /// the consumer's per-chunk work stays small next to the bytes.
    static let downloadChunkSize = 512 << 10

    /// Streams the object at `key` with back-pressure: bytes are read from the connection as the
    /// consumer asks for them.
    ///
    /// A connection that breaks mid-body is resumed with a ranged `GET` from the first byte not yet
    /// delivered (`If-Match` on the ETag, so a replaced object fails instead of mixing versions).
    /// Each new iteration of the stream downloads the object again.
    ///
    /// - Parameter key: The key.
    /// - Returns: The object's bytes, throttled by the storage's bandwidth limiter, if any.
    /// - Throws: ``StorageError`` `notFound` when there is no such object, or another code after retries.
    public func get(_ key: String) async throws -> ByteStream {
        try await download(key, range: nil)
    }

    /// Streams bytes `range` (inclusive offsets) of the object at `key`.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - range: The first and last byte offsets; a range past the end is cut at the object's end.
    /// - Returns: The bytes of the range.
    /// - Throws: ``StorageError`` `notFound` when there is no such object, `io` when the range starts
    ///   past the end.
    public func get(_ key: String, range: ClosedRange<Int64>) async throws -> ByteStream {
        try await download(key, range: range)
    }

    private func download(_ key: String, range: ClosedRange<Int64>?) async throws -> ByteStream {
        try validateStorageKey(key)
        let first = try await openDownload(key: key, from: range?.lowerBound, through: range?.upperBound, entityTag: nil)
        let entityTag = first.headers.first(name: "etag")
        let pending = Shared<HTTPClientResponse?>(first)
        let storage = self
        let stream = ByteStream {
            let state = DownloadState(
                storage: storage, key: key, start: range?.lowerBound ?? 0, last: range?.upperBound,
                entityTag: entityTag, response: pending.withLock { $0.take() })
            return { try await state.next() }
        }
        return stream.throttled(by: options.bandwidthLimiter)
    }

    /// Sends a (ranged) `GET` with retries and returns the response once its head arrived.
    func openDownload(key: String, from start: Int64?, through last: Int64?, entityTag: String?) async throws
        -> HTTPClientResponse
    {
        var headers: [(String, String)] = []
        if let start {
            headers.append(("range", "bytes=\(start)-\(last.map(String.init) ?? "")"))
        }
        if let entityTag { headers.append(("if-match", entityTag)) }
        let request = S3Request(method: .GET, objectName: objectName(key), headers: headers, timeout: options.requestTimeout)
        do {
            return try await options.retry.run(isRetryable: Self.isRetryable) { _ in
                try await perform(request, streamingBody: true)
            }
        } catch {
            throw storageError(error, key: key, operation: "GET")
        }
    }
}

/// One iteration of a download: the current response body and how many bytes were delivered, so a
/// broken connection resumes where it stopped. Iteration is sequential (one consumer), which makes
/// the unchecked conformance sound.
private final class DownloadState: @unchecked Sendable {
    let storage: S3Storage
    let key: String
    let start: Int64
    let last: Int64?
    let entityTag: String?
    var response: HTTPClientResponse?
    var body: HTTPClientResponse.Body.AsyncIterator?
    var delivered: Int64 = 0
    var resumes = 0
    var finished = false

    init(storage: S3Storage, key: String, start: Int64, last: Int64?, entityTag: String?, response: HTTPClientResponse?) {
        self.storage = storage
        self.key = key
        self.start = start
        self.last = last
        self.entityTag = entityTag
        self.response = response
    }

    func next() async throws -> [UInt8]? {
        if finished { return nil }
        var chunk: [UInt8] = []
        while chunk.count < S3Storage.downloadChunkSize {
            if body == nil {
                if response == nil {
                    // A new iteration starts at the beginning; a resumed one where it stopped.
                    let from = start + delivered + Int64(chunk.count)
                    let ranged = from > 0 || last != nil || delivered > 0
                    let reopened = try await storage.openDownload(
                        key: key, from: ranged ? from : nil, through: last, entityTag: delivered > 0 ? entityTag : nil)
                    if from > 0, reopened.status != .partialContent {
                        throw StorageError(
                            code: .io, key: key, message: "the server ignored the byte range of a resumed download",
                            underlying: "HTTP \(reopened.status.code)")
                    }
                    response = reopened
                }
                body = response?.body.makeAsyncIterator()
                response = nil
            }
            do {
                guard let buffer = try await body?.next() else {
                    finished = true
                    break
                }
                if chunk.isEmpty { chunk.reserveCapacity(S3Storage.downloadChunkSize + buffer.readableBytes) }
                chunk.append(contentsOf: buffer.readableBytesView)
            } catch {
                let failure = S3Storage.transportError(error)
                guard failure is S3ServiceError, resumes + 1 < storage.options.retry.maximumAttempts else {
                    throw storage.storageError(failure, key: key, operation: "GET")
                }
                resumes += 1
                storage.logger.notice(
                    "download interrupted; resuming", metadata: ["key": "\(key)", "error": "\(failure)"])
                delivered += Int64(chunk.count)
                body = nil
                if !chunk.isEmpty { return chunk }
            }
        }
        delivered += Int64(chunk.count)
        return chunk.isEmpty ? nil : chunk
    }
}
