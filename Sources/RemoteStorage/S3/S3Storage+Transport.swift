import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension S3Storage {
    /// The largest response body read into memory (listings, error documents).
    static let maximumReplyBytes = 32 << 20

    /// Sends `request` once, signed now, and returns the response once its head arrives with a 2xx
    /// status. The body is left to the caller.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - streamingBody: Whether the caller streams a body of unknown duration: the deadline then
    ///     covers only the wait for the response head.
    /// - Throws: ``S3ServiceError`` for an error status or a transport failure; `CancellationError`
    ///   when the task is cancelled.
    func perform(_ request: S3Request, streamingBody: Bool = false) async throws -> HTTPClientResponse {
        let url = request.url(in: endpoint)
        var headers = request.headers
        if let body = request.body { headers.append(("content-length", String(body.readableBytes))) }
        let signed = signer.signedHeaders(
            method: request.method.rawValue, url: url, headers: headers, payloadHash: request.payloadHash, date: now())
        var outgoing = HTTPClientRequest(url: url.absoluteString)
        outgoing.method = request.method
        for (name, value) in signed where name.lowercased() != "content-length" {
            outgoing.headers.add(name: name, value: value)
        }
        if let body = request.body { outgoing.body = .bytes(body) }
        logger.trace(
            "S3 request", metadata: ["method": "\(request.method.rawValue)", "object": "\(request.objectName ?? "")"])
        let response: HTTPClientResponse
        do {
            if streamingBody {
                response = try await executeWithHeadDeadline(outgoing, timeout: request.timeout)
            } else {
                response = try await httpClient.execute(
                    outgoing, timeout: .nanoseconds(Self.nanoseconds(request.timeout)), logger: logger)
            }
        } catch {
            throw Self.transportError(error)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let body = try? await response.body.collect(upTo: 1 << 20)
            throw Self.serviceError(status: status, headers: response.headers, body: body.map { Array($0.readableBytesView) })
        }
        return response
    }

    /// Sends `request` with retries and reads the whole (small) body.
    ///
    /// - Parameters:
    ///   - request: The request; its body is held in memory, so every attempt resends it.
    ///   - isRetryable: Which failures are retried; by default those ``S3ServiceError/isRetryable`` accepts.
    ///   - onAttempt: Called with each attempt's number before it is sent.
    /// - Returns: The successful reply. A 200 whose body is an `<Error>` document (S3 answers
    ///   `CompleteMultipartUpload` that way) throws instead.
    func exchange(
        _ request: S3Request, retryWhen isRetryable: (any Error) -> Bool = Self.isRetryable,
        onAttempt: @Sendable (Int) -> Void = { _ in }
    ) async throws -> S3Reply {
        try await options.retry.run(isRetryable: isRetryable) { attempt in
            onAttempt(attempt)
            let response = try await perform(request)
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.maximumReplyBytes)
            } catch {
                throw Self.transportError(error)
            }
            let bytes = Array(body.readableBytesView)
            if request.method != .HEAD, bytes.count < 4096, let root = try? S3XMLElement.parse(bytes), root.name == "Error" {
                throw Self.serviceError(status: Int(response.status.code), headers: response.headers, body: bytes)
            }
            return S3Reply(status: Int(response.status.code), headers: response.headers, body: bytes)
        }
    }

    /// Executes `request` with a deadline on the response head only, so a long download is not cut
    /// off; stalls inside the body are bounded by the client's read timeout.
    private func executeWithHeadDeadline(_ request: HTTPClientRequest, timeout: Duration) async throws
        -> HTTPClientResponse
    {
        let client = httpClient
        let logger = logger
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask {
                try await client.execute(request, deadline: .distantFuture, logger: logger)
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                throw HTTPClientError.deadlineExceeded
            }
            return response
        }
    }

    /// Whether `error` is worth another attempt of an idempotent step.
    static func isRetryable(_ error: any Error) -> Bool {
        (error as? S3ServiceError)?.isRetryable ?? false
    }

    /// A transport failure as an ``S3ServiceError``, or `CancellationError` when the task was cancelled.
    static func transportError(_ error: any Error) -> any Error {
        if error is CancellationError || error is S3ServiceError || error is StorageError { return error }
        if Task.isCancelled { return CancellationError() }
        if let client = error as? HTTPClientError, client == .cancelled { return CancellationError() }
        return S3ServiceError(transport: String(describing: error))
    }

    /// The error of a non-2xx answer, from its `<Error>` document when there is one.
    static func serviceError(status: Int, headers: HTTPHeaders, body: [UInt8]?) -> S3ServiceError {
        var error = S3ServiceError(status: status, requestID: headers.first(name: "x-amz-request-id"))
        if let body, !body.isEmpty, let root = try? S3XMLElement.parse(body), root.name == "Error" {
            error.code = root.text(of: "Code")
            error.message = root.text(of: "Message")
            if let id = root.text(of: "RequestId"), error.requestID == nil { error.requestID = id }
        }
        return error
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }

    /// The public error for a failed `operation` on `key`: credentials problems become
    /// `permissionDenied`, a missing bucket `configuration`, a missing key `notFound`; the S3 code
    /// and request id go to ``StorageError/underlying``.
    func storageError(_ error: any Error, key: String?, operation: String) -> any Error {
        guard let failure = error as? S3ServiceError else { return error }
        let underlying = failure.description
        let bucket = endpoint.bucket
        if failure.status == nil {
            return StorageError(
                code: .io, key: key,
                message: "S3 \(operation) failed: \(endpoint.endpoint.absoluteString) did not answer",
                underlying: underlying)
        }
        switch failure.code {
        case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "TokenRefreshRequired":
            return StorageError(
                code: .permissionDenied, key: key,
                message: "authentication failed: check the access key pair (\(credentialSource))",
                underlying: underlying)
        case "AccessDenied", "AllAccessDisabled":
            return StorageError(
                code: .permissionDenied, key: key,
                message:
                    "S3 \(operation) in bucket '\(bucket)' was denied: check that the key pair "
                    + "(\(credentialSource)) may do this",
                underlying: underlying)
        case "NoSuchBucket":
            return StorageError(
                code: .configuration, key: key,
                message: "the bucket '\(bucket)' does not exist at \(endpoint.endpoint.absoluteString)",
                underlying: underlying)
        case "NoSuchKey":
            return StorageError(code: .notFound, key: key, message: "no such object", underlying: underlying)
        case "PreconditionFailed":
            return StorageError(code: .alreadyExists, key: key, message: "the object already exists", underlying: underlying)
        case "EntityTooLarge":
            return StorageError(code: .tooLarge, key: key, message: "S3 refused the object as too large", underlying: underlying)
        case "InvalidBucketName":
            return StorageError(
                code: .configuration, key: key, message: "'\(bucket)' is not a valid bucket name",
                underlying: underlying)
        default:
            break
        }
        switch failure.status {
        case 403:
            return StorageError(
                code: .permissionDenied, key: key,
                message:
                    "S3 \(operation) was refused (HTTP 403): check the access key pair (\(credentialSource))",
                underlying: underlying)
        case 404:
            return StorageError(code: .notFound, key: key, message: "no such object", underlying: underlying)
        case 412:
            return StorageError(code: .alreadyExists, key: key, message: "the object already exists", underlying: underlying)
        default:
            return StorageError(
                code: .io, key: key, message: "S3 \(operation) failed with HTTP \(failure.status ?? 0)",
                underlying: underlying)
        }
    }
}
