import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension S3Storage {
    /// Stores `body` at `key`: one `PUT` when it is shorter than
    /// ``S3StorageOptions/multipartThreshold``, a multipart upload otherwise.
    ///
    /// The body is read once. Every request carries its SHA-256 in the signature and its MD5 in
    /// `Content-MD5`, so the server rejects corrupted bytes. A failed or cancelled multipart upload
    /// is aborted: no object and no unfinished upload remain.
    ///
    /// With ``PutOptions/createOnly`` the key is checked with `HEAD` first (so a large upload fails
    /// early) and the final request carries `If-None-Match: *`, which S3, MinIO and SeaweedFS
    /// enforce atomically; on a server that ignores the header, a writer racing between the `HEAD`
    /// and the end of the upload may be overwritten.
    ///
    /// - Parameters:
    ///   - body: The bytes; throttled by the storage's bandwidth limiter, if any.
    ///   - key: The key.
    ///   - options: Whether an existing object may be replaced.
    /// - Returns: The stored object's key and size.
    /// - Throws: ``StorageError`` (`alreadyExists`, `permissionDenied`, `configuration` for a missing
    ///   bucket, `io` after retries), or `CancellationError`.
    @discardableResult
    public func put(_ body: ByteStream, at key: String, options put: PutOptions) async throws -> ObjectInfo {
        try validateStorageKey(key)
        if put.createOnly, try await head(key) != nil {
            throw StorageError(code: .alreadyExists, key: key, message: "the object already exists")
        }
        let reader = S3PartReader(body.throttled(by: options.bandwidthLimiter))
        let first = try await reader.next(max(options.multipartThreshold, 1))
        let size: Int64
        var single = first.readableBytes < options.multipartThreshold
        if !single { single = try await reader.isAtEnd() }
        if single {
            try await putSingle(first, key: key, createOnly: put.createOnly)
            size = Int64(first.readableBytes)
        } else {
            // Handed over, not copied: the upload frees the leading bytes once their parts are sent.
            size = try await putMultipart(leading: consume first, rest: reader, key: key, createOnly: put.createOnly)
        }
        return ObjectInfo(key: key, sizeBytes: size, lastModified: nil)
    }

    /// The `Content-MD5` value and SHA-256 payload hash of `buffer`.
    static func checksums(of buffer: ByteBuffer) -> (md5: String, sha256: SigV4Signer.PayloadHash) {
        buffer.withUnsafeReadableBytes { raw in
            let md5 = Data(Insecure.MD5.hash(data: raw)).base64EncodedString()
            let sha = SigV4Signer.hex(SHA256.hash(data: raw))
            return (md5, .sha256(sha))
        }
    }

    /// One `PUT` of a body held in memory; retried, since every attempt can resend it.
    func putSingle(_ body: ByteBuffer, key: String, createOnly: Bool) async throws {
        let sums = Self.checksums(of: body)
        var headers: [(String, String)] = [("content-md5", sums.md5), ("content-type", "application/octet-stream")]
        if createOnly, options.conditionalWrites { headers.append(("if-none-match", "*")) }
        let request = S3Request(
            method: .PUT, objectName: objectName(key), headers: headers, body: body, payloadHash: sums.sha256,
            timeout: options.uploadTimeout(bytes: body.readableBytes))
        let attempts = AttemptCounter()
        do {
            _ = try await exchange(request, onAttempt: { attempts.record($0) })
        } catch let error as S3ServiceError where error.status == 412 && attempts.last > 1 {
            // An earlier attempt may have stored the object before its answer was lost: the object
            // is ours when its ETag is the MD5 we sent.
            let expected = Data(base64Encoded: sums.md5).map { SigV4Signer.hex($0) }
            guard let etag = try await entityTag(key), etag == expected else {
                throw storageError(error, key: key, operation: "PUT")
            }
        } catch {
            throw storageError(error, key: key, operation: "PUT")
        }
    }

    /// The object's ETag without quotes, or `nil` when it does not exist.
    func entityTag(_ key: String) async throws -> String? {
        let request = S3Request(method: .HEAD, objectName: objectName(key), timeout: options.requestTimeout)
        do {
            let reply = try await exchange(request)
            return reply.headers.first(name: "etag").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        } catch let error as S3ServiceError where error.status == 404 {
            return nil
        } catch {
            throw storageError(error, key: key, operation: "HEAD")
        }
    }
}
