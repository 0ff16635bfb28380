public import AsyncHTTPClient
import Crypto
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A ``Storage`` in a WebDAV-style HTTP artifact repository (nginx with the DAV modules, Apache
/// mod_dav, Artifactory, Nexus raw repositories).
///
/// Keys map to URLs below the configured base URL, each segment percent-encoded. A put streams the body
/// with chunked transfer encoding (`PUT`), after creating the parent collections it has not seen yet
/// (`MKCOL`), and then checks the stored object with `HEAD`: its size must equal the bytes sent, and
/// when the server reports a checksum (`X-Checksum-Sha256`, `Digest: SHA-256=…` or
/// `Repr-Digest: sha-256=:…:`), it must equal the SHA-256 computed while sending; a mismatch deletes the
/// object and throws `integrity`. Gets stream the response body with back-pressure. Listings walk the
/// collections with `PROPFIND` (`Depth: 1`).
///
/// Create-only puts send `If-None-Match: *`, which servers that implement it answer with 412; nginx
/// ignores that header on `PUT`, so the storage first checks with `HEAD` that the key is free. Between
/// that check and the upload another writer could still create the key: against nginx, create-only is a
/// guard against mistakes, not a lock.
///
/// Requests that are safe to repeat (`GET`, `HEAD`, `DELETE`, `PROPFIND`, `MKCOL`) are retried with
/// exponential backoff after a connection failure or a 5xx status; a `PUT` streams a body that cannot
/// be replayed and is sent once.
///
/// Credentials are sent only in the `Authorization` header; they never appear in errors or logs.
public struct HTTPStorage: Storage {
    /// Timeouts and retries.
    public struct Options: Hashable, Sendable {
        /// The deadline of a request without a streamed body (HEAD, DELETE, PROPFIND, MKCOL).
        public var requestTimeout: Duration
        /// The deadline of a streamed upload or download, from its start to its end.
        public var transferTimeout: Duration
        /// How many times an idempotent request is sent at most (1 = no retry).
        public var maximumAttempts: Int
        /// The wait before the first retry; it doubles before each further one.
        public var retryDelay: Duration

        /// Creates options; the defaults are 60 s, 24 h, 4 attempts and 250 ms.
        public init(
            requestTimeout: Duration = .seconds(60), transferTimeout: Duration = .seconds(86_400), maximumAttempts: Int = 4,
            retryDelay: Duration = .milliseconds(250)
        ) {
            self.requestTimeout = requestTimeout
            self.transferTimeout = transferTimeout
            self.maximumAttempts = maximumAttempts
            self.retryDelay = retryDelay
        }
    }

    /// The repository's base URL, always ending with `/`, without credentials.
    public let baseURL: URL
    /// Timeouts and retries.
    public let options: Options
    /// The bandwidth cap shared by every transfer of this storage, if configured.
    public let bandwidthLimiter: BandwidthLimiter?

    let httpClient: HTTPClient
    let logger: Logger
    /// The `Authorization` header value, if any.
    let authorization: String?
    /// Where the credentials come from, for error messages.
    let credentialSource: String
    /// Collections known to exist (shared by copies of this storage).
    let knownCollections: KnownCollections
    /// Waits between retries (injected by tests).
    let sleep: @Sendable (Duration) async throws -> Void

    /// The credentials sent in the `Authorization` header.
    public enum Credentials: Hashable, Sendable {
        /// HTTP Basic authentication; the user must not contain `:`.
        case basic(user: String, password: String)
        /// A bearer token.
        case bearer(token: String)
    }

    /// Opens the repository at `baseURL`.
    ///
    /// - Parameters:
    ///   - baseURL: the repository's `http(s)` URL with a host, without credentials, query or fragment;
    ///     a trailing `/` is added when missing.
    ///   - credentials: sent with every request; `nil` for none.
    ///   - credentialSource: how to name the credentials' origin in authentication errors (never the
    ///     credentials themselves).
    ///   - bandwidthLimit: a cap in bytes per second shared by every transfer, or `nil`.
    ///   - httpClient: the client that sends the requests; the shared one by default.
    ///   - logger: receives request traces (never credentials).
    ///   - options: timeouts and retries.
    /// - Throws: ``StorageError`` `configuration` when the URL, the user name or the bandwidth limit is
    ///   unusable; never a credential.
    public init(
        baseURL: URL, credentials: Credentials? = nil, credentialSource: String = "the configured credentials",
        bandwidthLimit: Int64? = nil, httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "BackupKit.HTTPStorage"), options: Options = Options()
    ) throws {
        func fail(_ message: String) -> StorageError { StorageError(code: .configuration, key: nil, message: message) }
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: true),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            throw fail("the repository URL '\(Self.redacted(baseURL.absoluteString))' is not an http(s) URL with a host")
        }
        guard components.user == nil, components.password == nil else {
            throw fail("the repository URL must not hold credentials; pass them separately")
        }
        guard components.query == nil, components.fragment == nil else {
            throw fail("the repository URL '\(baseURL.absoluteString)' must not have a query or fragment")
        }
        if !components.percentEncodedPath.hasSuffix("/") { components.percentEncodedPath += "/" }
        guard let url = components.url else { throw fail("the repository URL '\(baseURL.absoluteString)' cannot be parsed") }
        switch credentials {
        case nil:
            authorization = nil
        case .bearer(let token):
            authorization = "Bearer " + token
        case .basic(let user, let password):
            guard !user.contains(":") else { throw fail("the user name must not contain ':'") }
            authorization = "Basic " + Data((user + ":" + password).utf8).base64EncodedString()
        }
        if let limit = bandwidthLimit, limit <= 0 {
            throw fail("the bandwidth limit must be a positive number of bytes per second")
        }

        self.baseURL = url
        self.options = options
        self.bandwidthLimiter = bandwidthLimit.map { BandwidthLimiter(bytesPerSecond: $0) }
        self.credentialSource = credentialSource
        self.httpClient = httpClient
        self.logger = logger
        self.knownCollections = KnownCollections()
        self.sleep = { try await Task.sleep(for: $0) }
    }

    /// Streams `body` to `key` and checks the stored size (and checksum, where the server offers one).
    ///
    /// - Returns: the stored object's facts as the server reports them after the upload.
    /// - Throws: ``StorageError`` (`invalidKey`, `alreadyExists`, `permissionDenied`, `integrity`, `io`),
    ///   the body's own error, or `CancellationError`.
    public func put(_ body: ByteStream, at key: String, options putOptions: PutOptions) async throws -> ObjectInfo {
        let url = try url(of: key)
        if putOptions.createOnly, try await head(key) != nil {
            throw StorageError(code: .alreadyExists, key: key, message: "the object already exists")
        }
        try await createParentCollections(of: key)

        let meter = UploadMeter()
        let chunks = UploadChunks(stream: body.throttled(by: bandwidthLimiter), meter: meter)
        var request = makeRequest(.PUT, url: url)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        if putOptions.createOnly { request.headers.add(name: "If-None-Match", value: "*") }
        request.body = .stream(chunks, length: .unknown)
        logger.debug("HTTP storage PUT", metadata: ["key": "\(key)"])
        let response = try await send(request, key: key, timeout: self.options.transferTimeout, retryable: false)
        _ = try? await response.body.collect(upTo: 1 << 20)
        switch Int(response.status.code) {
        case 200..<300: break
        case 409:
            knownCollections.forget()
            throw StorageError(
                code: .io, key: key, message: "the server refused the upload: a parent collection is missing",
                underlying: "HTTP 409")
        case 412 where putOptions.createOnly:
            throw StorageError(code: .alreadyExists, key: key, message: "the object already exists")
        default:
            throw failure(status: response.status, key: key, action: "upload")
        }

        let (sentBytes, digest) = meter.result()
        guard let stored = try await headResponse(key) else {
            throw StorageError(code: .integrity, key: key, message: "the object is missing right after its upload")
        }
        guard stored.info.sizeBytes == sentBytes else {
            try? await delete(key)
            throw StorageError(
                code: .integrity, key: key,
                message: "the server stored \(stored.info.sizeBytes) bytes but \(sentBytes) were sent; the object was deleted")
        }
        if let reported = Self.reportedSHA256(in: stored.headers), reported != digest {
            try? await delete(key)
            throw StorageError(
                code: .integrity, key: key, message: "the server's SHA-256 differs from the bytes sent; the object was deleted")
        }
        return stored.info
    }

    /// Streams the object at `key`. The first iteration reads the response already received; later
    /// iterations send a new `GET`.
    ///
    /// - Throws: ``StorageError`` `notFound` if no object is at `key`, `permissionDenied`, `io`.
    public func get(_ key: String) async throws -> ByteStream {
        let first = try await openBody(key)
        let pending = Mutex<HTTPClientResponse.Body?>(first)
        let storage = self
        return ByteStream {
            let reader = ResponseReader(
                pending: pending.withLock { slot in
                    defer { slot = nil }
                    return slot
                }, reopen: { try await storage.openBody(key) })
            return { try await reader.next() }
        }
        .throttled(by: bandwidthLimiter)
    }

    /// The object's size and modification time from `HEAD`, or `nil` when the server answers 404.
    public func head(_ key: String) async throws -> ObjectInfo? {
        try await headResponse(key)?.info
    }

    /// Deletes the object at `key`; a missing one is fine. Empty collections are left in place.
    public func delete(_ key: String) async throws {
        let url = try url(of: key)
        let response = try await send(makeRequest(.DELETE, url: url), key: key, timeout: options.requestTimeout, retryable: true)
        _ = try? await response.body.collect(upTo: 1 << 20)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) || status == 404 else {
            throw failure(status: response.status, key: key, action: "delete")
        }
    }

    // MARK: Internals

    /// A `HEAD` of `key` with its raw headers, or `nil` for 404.
    private func headResponse(_ key: String) async throws -> (info: ObjectInfo, headers: HTTPHeaders)? {
        let url = try url(of: key)
        let response = try await send(makeRequest(.HEAD, url: url), key: key, timeout: options.requestTimeout, retryable: true)
        _ = try? await response.body.collect(upTo: 1 << 20)
        let status = Int(response.status.code)
        if status == 404 { return nil }
        guard (200..<300).contains(status) else { throw failure(status: response.status, key: key, action: "inspect") }
        guard let length = response.headers.first(name: "Content-Length").flatMap({ Int64($0) }) else {
            throw StorageError(code: .io, key: key, message: "the server's HEAD answer has no Content-Length")
        }
        let modified = response.headers.first(name: "Last-Modified").flatMap(HTTPDate.parse)
        return (ObjectInfo(key: key, sizeBytes: length, lastModified: modified), response.headers)
    }

    /// Sends a `GET` of `key` and returns the body once a 2xx head arrived.
    func openBody(_ key: String) async throws -> HTTPClientResponse.Body {
        let url = try url(of: key)
        let response = try await send(makeRequest(.GET, url: url), key: key, timeout: options.transferTimeout, retryable: true)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            _ = try? await response.body.collect(upTo: 1 << 20)
            throw failure(status: response.status, key: key, action: "download")
        }
        return response.body
    }

    /// Creates the collections above `key` that this storage has not seen yet, top down.
    private func createParentCollections(of key: String) async throws {
        let segments = key.split(separator: "/").dropLast()
        var path = ""
        for segment in segments {
            path += segment + "/"
            if knownCollections.contains(path) { continue }
            var status = try await makeCollection(path, key: key)
            if status == 409 && !path.dropLast().contains("/") {
                // The repository's base collection itself is missing: create it, then the first level.
                _ = try await makeCollection("", key: key)
                status = try await makeCollection(path, key: key)
            }
            // 201 created; 405 (and some servers' 409 for an existing name) when it exists already.
            guard (200..<300).contains(status) || status == 405 else {
                throw failure(
                    status: HTTPResponseStatus(statusCode: status), key: key, action: "create the collection '\(path)' for")
            }
            knownCollections.insert(path)
        }
    }

    /// Sends `MKCOL` for the collection at `path` (empty for the base) and returns the status.
    private func makeCollection(_ path: String, key: String) async throws -> Int {
        let url = try collectionURL(path)
        let response = try await send(makeRequest(.MKCOL, url: url), key: key, timeout: options.requestTimeout, retryable: true)
        _ = try? await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    /// Strips credentials from a URL-like text before it goes into a message.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text) else { return "(unparsable URL)" }
        if components.password != nil || components.user != nil {
            components.user = nil
            components.password = nil
        }
        return components.string ?? "(unparsable URL)"
    }

    /// The SHA-256 a server reports for an object, if any of the known headers carries one.
    static func reportedSHA256(in headers: HTTPHeaders) -> [UInt8]? {
        if let hex = headers.first(name: "X-Checksum-Sha256"), let bytes = hexBytes(hex), bytes.count == 32 {
            return bytes
        }
        for field in headers["Digest"].flatMap({ $0.split(separator: ",") }) {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "sha-256",
                let data = Data(base64Encoded: parts[1].trimmingCharacters(in: .whitespaces)), data.count == 32
            {
                return Array(data)
            }
        }
        for field in headers["Repr-Digest"].flatMap({ $0.split(separator: ",") }) {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "sha-256" {
                let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: ": "))
                if let data = Data(base64Encoded: value), data.count == 32 { return Array(data) }
            }
        }
        return nil
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let characters = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = hexValue(characters[index]), let low = hexValue(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Collections a storage has created or seen, so each is created once per process.
final class KnownCollections: Sendable {
    private let paths = Mutex<Set<String>>([])

    func contains(_ path: String) -> Bool { paths.withLock { $0.contains(path) } }
    func insert(_ path: String) { _ = paths.withLock { $0.insert(path) } }
    /// Forgets everything (a collection was removed behind our back).
    func forget() { paths.withLock { $0.removeAll() } }
}

/// Counts and hashes the bytes of an upload as they are sent.
final class UploadMeter: Sendable {
    private let state = Mutex<(count: Int64, hasher: SHA256)>((0, SHA256()))

    func record(_ chunk: [UInt8]) {
        state.withLock {
            $0.count += Int64(chunk.count)
            $0.hasher.update(data: chunk)
        }
    }

    /// The byte count and SHA-256 digest of everything recorded.
    func result() -> (Int64, [UInt8]) {
        state.withLock { ($0.count, Array($0.hasher.finalize())) }
    }
}

/// A ``ByteStream`` as the `ByteBuffer` sequence an `HTTPClientRequest` body streams, metered.
struct UploadChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let stream: ByteStream
    let meter: UploadMeter

    struct AsyncIterator: AsyncIteratorProtocol {
        var upstream: ByteStream.AsyncIterator
        let meter: UploadMeter

        mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await upstream.next() else { return nil }
            meter.record(chunk)
            return ByteBuffer(bytes: chunk)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(upstream: stream.makeAsyncIterator(), meter: meter) }
}

/// The iterator behind a get's stream: reads a response body, or opens a new one for a later iteration.
/// Iteration is sequential (one consumer), which is what makes the unchecked conformance sound.
final class ResponseReader: @unchecked Sendable {
    private var body: HTTPClientResponse.Body?
    private var iterator: HTTPClientResponse.Body.AsyncIterator?
    private let reopen: @Sendable () async throws -> HTTPClientResponse.Body

    init(pending: HTTPClientResponse.Body?, reopen: @escaping @Sendable () async throws -> HTTPClientResponse.Body) {
        self.body = pending
        self.reopen = reopen
    }

    func next() async throws -> [UInt8]? {
        if iterator == nil {
            let opened: HTTPClientResponse.Body
            if let pending = body {
                opened = pending
            } else {
                opened = try await reopen()
            }
            body = nil
            iterator = opened.makeAsyncIterator()
        }
        guard var current = iterator else { return nil }
        defer { iterator = current }
        while let buffer = try await current.next() {
            if buffer.readableBytes > 0 { return Array(buffer.readableBytesView) }
        }
        return nil
    }
}
