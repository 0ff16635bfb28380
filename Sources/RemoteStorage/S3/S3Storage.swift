public import AsyncHTTPClient
public import Foundation
public import Logging
import NIOHTTP1

/// A ``Storage`` in an S3-compatible bucket: AWS S3, Tencent COS (S3 endpoint), MinIO, SeaweedFS.
///
/// Requests are signed with ``SigV4Signer`` and sent with AsyncHTTPClient. Bodies are streamed both
/// ways: objects under ``S3StorageOptions/multipartThreshold`` go up in one `PUT`, larger ones as a
/// multipart upload with a bounded number of parts in memory; downloads are the response body with
/// back-pressure. Idempotent steps are retried with exponential backoff and full jitter
/// (``TransferRetry``); a failed or cancelled multipart upload is aborted so nothing is left behind.
///
/// Keys are stored under the storage's ``prefix`` (`bklog/` turns key `a/b` into object `bklog/a/b`);
/// listings return keys without it.
public struct S3Storage: Storage, UploadRecovery, DownloadLinkIssuing {
    /// The bucket and how its URLs are formed.
    public let endpoint: S3Endpoint
    /// The object-name prefix every key is stored under; empty or ending with `/`.
    public let prefix: String
    /// Sizes, parallelism, timeouts, retries and the bandwidth cap.
    public let options: S3StorageOptions
    /// The host handed out in download links instead of the endpoint's, if any.
    public let downloadDomain: URL?

    let signer: SigV4Signer
    let httpClient: HTTPClient
    let logger: Logger
    let now: @Sendable () -> Date
    /// Where the credentials came from, named for error messages (such as the variables holding them).
    let credentialSource: String

    /// Creates a storage from an endpoint and credentials already resolved (tests, hosts that
    /// manage their own secrets).
    ///
    /// - Parameters:
    ///   - endpoint: The bucket and its addressing.
    ///   - credentials: The keys that sign requests.
    ///   - prefix: The object-name prefix keys are stored under (`bklog/`); a missing trailing `/` is added.
    ///   - options: Sizes, parallelism, timeouts, retries and bandwidth cap.
    ///   - downloadDomain: A host (`https://dl.example.com`) replacing the endpoint's in download links.
    ///   - credentialSource: How to name the credentials' origin in authentication errors.
    ///   - httpClient: The client that sends requests; its configuration's read timeout also
    ///     bounds stalls while a download streams.
    ///   - logger: Receives request and retry diagnostics (never secrets or signed URLs).
    ///   - now: The clock that dates signatures.
    /// - Throws: ``StorageError`` `configuration` when the prefix is not a valid key prefix.
    public init(
        endpoint: S3Endpoint,
        credentials: S3Credentials,
        prefix: String = "",
        options: S3StorageOptions = S3StorageOptions(),
        downloadDomain: URL? = nil,
        credentialSource: String = "the configured credentials",
        httpClient: HTTPClient = .shared,
        logger: Logger = Logger(label: "backupkit.s3"),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.endpoint = endpoint
        self.prefix = try Self.normalized(prefix: prefix)
        self.options = options
        self.downloadDomain = downloadDomain
        self.signer = endpoint.signer(credentials: credentials)
        self.credentialSource = credentialSource
        self.httpClient = httpClient
        self.logger = logger
        self.now = now
    }

    /// `prefix` with a trailing `/`, after checking it cannot escape the bucket root.
    static func normalized(prefix: String) throws -> String {
        var trimmed = prefix
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard !trimmed.isEmpty else { return "" }
        do {
            try validateStorageKey(trimmed)
        } catch let error as StorageError {
            throw StorageError(code: .configuration, key: nil, message: "the key prefix '\(prefix)' is not usable: \(error.message)")
        }
        return trimmed + "/"
    }

    /// The object name of `key` in the bucket.
    func objectName(_ key: String) -> String { prefix + key }

    // MARK: Storage

    /// The object's facts, or `nil` if there is none.
    ///
    /// - Parameter key: The key.
    /// - Returns: Size and modification time from a `HEAD` request.
    /// - Throws: ``StorageError`` for an invalid key, refused credentials or a failure after retries.
    public func head(_ key: String) async throws -> ObjectInfo? {
        try validateStorageKey(key)
        let request = S3Request(method: .HEAD, objectName: objectName(key), timeout: options.requestTimeout)
        do {
            let reply = try await exchange(request)
            let size = reply.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
            let modified = reply.headers.first(name: "last-modified").flatMap(S3Timestamp.parseHTTPDate)
            return ObjectInfo(key: key, sizeBytes: size, lastModified: modified)
        } catch let error as S3ServiceError where error.status == 404 {
            if error.code == "NoSuchBucket" { throw storageError(error, key: key, operation: "HEAD") }
            return nil
        } catch {
            throw storageError(error, key: key, operation: "HEAD")
        }
    }

    /// Deletes the object at `key`; a missing key is not an error.
    ///
    /// - Parameter key: The key.
    /// - Throws: ``StorageError`` for an invalid key, refused credentials or a failure after retries.
    public func delete(_ key: String) async throws {
        try validateStorageKey(key)
        let request = S3Request(method: .DELETE, objectName: objectName(key), timeout: options.requestTimeout)
        do {
            _ = try await exchange(request)
        } catch let error as S3ServiceError where error.status == 404 && error.code != "NoSuchBucket" {
            return
        } catch {
            throw storageError(error, key: key, operation: "DELETE")
        }
    }

    /// Lists objects whose key starts with `prefix` with `ListObjectsV2`, in ascending key order.
    ///
    /// - Parameters:
    ///   - prefix: The start of the keys (relative to the storage prefix); empty lists everything.
    ///   - continuation: The previous page's continuation token, or `nil` for the first page.
    ///   - limit: The most objects in the page (1...1000; S3 never returns more than 1,000).
    /// - Returns: The page; its continuation is S3's `NextContinuationToken` while more keys follow.
    /// - Throws: ``StorageError`` for refused credentials, a missing bucket or a failure after retries.
    public func list(prefix: String, after continuation: String?, limit: Int) async throws -> ListPage {
        guard !prefix.hasPrefix("/"), !prefix.contains("\\") else {
            throw StorageError(code: .invalidKey, key: prefix, message: "a listing prefix must be a relative key prefix")
        }
        var query: [(String, String)] = [
            ("list-type", "2"), ("max-keys", String(min(max(limit, 1), 1000))), ("prefix", objectName(prefix)),
        ]
        if let continuation { query.append(("continuation-token", continuation)) }
        let request = S3Request(method: .GET, query: query, timeout: options.requestTimeout)
        do {
            let reply = try await exchange(request)
            return Self.listPage(from: try reply.document(), prefix: self.prefix)
        } catch {
            throw storageError(error, key: prefix.isEmpty ? nil : prefix, operation: "LIST")
        }
    }

    /// The page a `ListObjectsV2` answer (`<ListBucketResult>`) describes: its objects whose name starts with
    /// the storage's `prefix`, keyed relative to it, and the continuation token while the listing is truncated.
    package static func listPage(from root: S3XMLElement, prefix: String) -> ListPage {
        var objects: [ObjectInfo] = []
        for entry in root.children(named: "Contents") {
            guard let name = entry.text(of: "Key"), name.hasPrefix(prefix) else { continue }
            objects.append(
                ObjectInfo(
                    key: String(name.dropFirst(prefix.count)),
                    sizeBytes: entry.text(of: "Size").flatMap { Int64($0) } ?? 0,
                    lastModified: entry.text(of: "LastModified").flatMap(S3Timestamp.parseISO8601)))
        }
        let truncated = root.text(of: "IsTruncated") == "true"
        let token = root.text(of: "NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        return ListPage(objects: objects, continuation: truncated ? token : nil)
    }
}
