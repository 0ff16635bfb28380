import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension S3Storage {
    /// One uploaded part: its number and the ETag the server gave it.
    struct CompletedPart: Sendable {
        var number: Int
        var entityTag: String
    }

    /// Uploads `leading` and the rest of the stream as a multipart upload and completes it; aborts
    /// the upload on any failure and on cancellation.
    ///
    /// Part *n* has ``S3StorageOptions/partSize(ofPart:)`` bytes (the total length of a stream is
    /// unknown, so the size grows with the part number instead of being chosen up front). At most
    /// ``S3StorageOptions/partsInFlight`` parts upload at once; reading waits for a free slot, which
    /// is what bounds memory.
    ///
    /// - Returns: The object's size.
    func putMultipart(
        leading: consuming ByteBuffer, rest: S3PartReader, key: String, createOnly: Bool
    ) async throws -> Int64 {
        let name = objectName(key)
        let uploadID = try await initiateMultipartUpload(name, key: key)
        logger.debug("multipart upload started", metadata: ["object": "\(name)"])
        do {
            // The leading bytes are handed out again before the rest; the source holds the only
            // reference to them, so their memory is freed once their parts are sent.
            let source = MultipartSource(leading: consume leading, rest: rest)
            let parts = try await uploadParts(from: source, objectName: name, uploadID: uploadID, key: key)
            try await completeMultipartUpload(
                name, uploadID: uploadID, parts: parts, key: key, size: source.consumed, createOnly: createOnly)
            return source.consumed
        } catch {
            await abortMultipartUploadDetached(name, uploadID: uploadID)
            throw error
        }
    }

    /// Starts a multipart upload and returns its id.
    ///
    /// Not idempotent: a retry after a lost answer could start a second upload nobody completes.
    /// So it is retried only when the server answered with a transient error (nothing was
    /// created), not after a transport failure.
    func initiateMultipartUpload(_ name: String, key: String) async throws -> String {
        let request = S3Request(
            method: .POST, objectName: name, query: [("uploads", "")],
            headers: [("content-type", "application/octet-stream")], timeout: options.requestTimeout)
        do {
            let reply = try await exchange(
                request,
                retryWhen: { error in
                    guard let failure = error as? S3ServiceError else { return false }
                    return failure.status != nil && failure.isRetryable
                })
            guard let id = try reply.document().text(of: "UploadId"), !id.isEmpty else {
                throw S3ServiceError(status: reply.status, code: "MalformedResponse", message: "no UploadId in the answer")
            }
            return id
        } catch {
            throw storageError(error, key: key, operation: "CreateMultipartUpload")
        }
    }

    /// Reads parts and uploads them, at most ``S3StorageOptions/partsInFlight`` at once.
    ///
    /// A part is read only once a slot is free, into the buffer of a part the server already
    /// acknowledged (see ``S3PartBufferPool``), so however many parts the object has, the upload
    /// holds about `partsInFlight` part buffers (one more while the HTTP client keeps a sent body),
    /// plus the leading buffer until its parts are sent.
    private func uploadParts(
        from source: MultipartSource, objectName name: String, uploadID: String, key: String
    ) async throws -> [CompletedPart] {
        try await withThrowingTaskGroup(of: CompletedPart.self) { group in
            let pool = S3PartBufferPool(spareLimit: options.partsInFlight)
            var completed: [CompletedPart] = []
            var running = 0
            var number = 1
            while true {
                if running == options.partsInFlight, let done = try await group.next() {
                    completed.append(done)
                    running -= 1
                }
                let size = options.partSize(ofPart: number)
                let part = try await source.next(size, from: pool)
                let length = part.bytes.readableBytes
                if length == 0 { break }
                guard number <= S3StorageOptions.maximumPartCount else {
                    throw StorageError(
                        code: .tooLarge, key: key,
                        message: "the object needs more than \(S3StorageOptions.maximumPartCount) parts")
                }
                let partNumber = number
                group.addTask {
                    let done = try await uploadPart(
                        part.bytes, number: partNumber, objectName: name, uploadID: uploadID, key: key)
                    if part.isRecyclable { pool.recycle(part.bytes) }
                    return done
                }
                running += 1
                number += 1
                if length < size { break }
            }
            for try await done in group { completed.append(done) }
            logger.debug(
                "multipart upload sent",
                metadata: ["object": "\(name)", "parts": "\(number - 1)", "part buffers": "\(pool.allocations)"])
            return completed.sorted { $0.number < $1.number }
        }
    }

    /// Uploads one part held in memory; retried.
    private func uploadPart(
        _ part: ByteBuffer, number: Int, objectName name: String, uploadID: String, key: String
    ) async throws -> CompletedPart {
        let sums = Self.checksums(of: part)
        let request = S3Request(
            method: .PUT, objectName: name, query: [("partNumber", String(number)), ("uploadId", uploadID)],
            headers: [("content-md5", sums.md5)], body: part, payloadHash: sums.sha256,
            timeout: options.uploadTimeout(bytes: part.readableBytes))
        do {
            let reply = try await exchange(request)
            guard let etag = reply.headers.first(name: "etag"), !etag.isEmpty else {
                throw S3ServiceError(status: reply.status, code: "MalformedResponse", message: "no ETag for part \(number)")
            }
            return CompletedPart(number: number, entityTag: etag)
        } catch {
            throw storageError(error, key: key, operation: "UploadPart")
        }
    }

    /// Completes the upload; retried. A retry that finds the upload gone checks whether an earlier
    /// attempt completed it (the object exists with the expected size).
    private func completeMultipartUpload(
        _ name: String, uploadID: String, parts: [CompletedPart], key: String, size: Int64, createOnly: Bool
    ) async throws {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(Self.escapeXML(part.entityTag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = ByteBuffer(string: xml)
        var headers: [(String, String)] = [("content-type", "application/xml")]
        if createOnly, options.conditionalWrites { headers.append(("if-none-match", "*")) }
        let request = S3Request(
            method: .POST, objectName: name, query: [("uploadId", uploadID)], headers: headers, body: body,
            payloadHash: .sha256(of: Array(xml.utf8)), timeout: options.uploadTimeout(bytes: 0) * 4)
        let attempts = AttemptCounter()
        do {
            _ = try await exchange(request, onAttempt: { attempts.record($0) })
        } catch let error as S3ServiceError
            where attempts.last > 1 && (error.code == "NoSuchUpload" || error.status == 404 || error.status == 412)
        {
            guard let info = try await head(key), info.sizeBytes == size else {
                throw storageError(error, key: key, operation: "CompleteMultipartUpload")
            }
        } catch {
            throw storageError(error, key: key, operation: "CompleteMultipartUpload")
        }
    }

    /// Aborts an upload, even when the calling task is cancelled (the abort runs in its own task,
    /// with retries); failures are logged, not thrown, since the caller is already failing.
    func abortMultipartUploadDetached(_ name: String, uploadID: String) async {
        let storage = self
        let outcome = await Task.detached {
            do {
                try await storage.abortMultipartUpload(name, uploadID: uploadID)
                return nil as String?
            } catch {
                return String(describing: error)
            }
        }.value
        if let outcome {
            logger.warning(
                "could not abort a multipart upload; a bucket lifecycle rule will remove it",
                metadata: ["object": "\(name)", "error": "\(outcome)"])
        }
    }

    /// Aborts an upload; an upload already gone is not an error.
    func abortMultipartUpload(_ name: String, uploadID: String) async throws {
        let request = S3Request(
            method: .DELETE, objectName: name, query: [("uploadId", uploadID)], timeout: options.requestTimeout)
        do {
            _ = try await exchange(request)
        } catch let error as S3ServiceError where error.status == 404 {
            return
        } catch {
            throw storageError(error, key: nil, operation: "AbortMultipartUpload")
        }
    }

    /// `text` with `&`, `<` and `>` escaped for XML character data.
    static func escapeXML(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// The parts of a multipart upload: first the bytes buffered while deciding between one `PUT` and a
/// multipart upload, then the rest of the stream. Used by the reading task only.
final class MultipartSource {
    /// One part's bytes, and whether its buffer may be refilled once the part is uploaded (a slice
    /// of the leading buffer may not: its memory is shared with the other leading parts).
    struct Part: Sendable {
        var bytes: ByteBuffer
        var isRecyclable: Bool
    }

    private var leading: ByteBuffer
    private let rest: S3PartReader
    private(set) var consumed: Int64 = 0

    init(leading: consuming ByteBuffer, rest: S3PartReader) {
        self.leading = leading
        self.rest = rest
    }

    /// The next `size` bytes (fewer at the end): a slice of the leading buffer while it holds a
    /// whole part, then a buffer from `pool`. The source lets go of the leading buffer as soon as
    /// its last bytes are handed out, so its memory is freed when its parts are uploaded.
    func next(_ size: Int, from pool: S3PartBufferPool) async throws -> Part {
        let part: Part
        if leading.readableBytes >= size, let slice = leading.readSlice(length: size) {
            if leading.readableBytes == 0 { leading = ByteBuffer() }
            part = Part(bytes: slice, isRecyclable: false)
        } else {
            var buffer = pool.buffer(capacity: size)
            buffer.writeBuffer(&leading)
            leading = ByteBuffer()
            try await rest.fill(&buffer, upTo: size)
            part = Part(bytes: buffer, isRecyclable: true)
        }
        consumed += Int64(part.bytes.readableBytes)
        return part
    }
}
