public import Foundation

extension S3Storage {
    /// A presigned `GET` link to the object at `key`, valid from `now` for `lifetime` seconds.
    ///
    /// The link is signed with the storage's credentials (query-string SigV4) and needs none to use;
    /// after expiry the server answers 403. With ``downloadDomain`` set, the link names that host
    /// instead of the endpoint's and is signed for it. A link is a bearer credential: never log it.
    ///
    /// - Parameters:
    ///   - key: The object's key.
    ///   - lifetime: How long the link works, in seconds, from 1 to 604,800 (seven days).
    ///   - now: The signing time.
    /// - Returns: The link.
    /// - Throws: ``StorageError`` `invalidKey` or `configuration` (lifetime out of range, bad domain).
    public func downloadLink(for key: String, lifetime: TimeInterval, now: Date) throws -> URL {
        try validateStorageKey(key)
        guard lifetime.isFinite, lifetime >= 1 else {
            throw StorageError(
                code: .configuration, key: key, message: "a download link must live at least 1 second, got \(lifetime)")
        }
        let seconds = Int(min(lifetime.rounded(.up), Double(SigV4Signer.maximumExpiry + 1)))
        return try signer.presignedURL(
            method: "GET", url: endpoint.url(for: objectName(key)), expires: seconds, date: now,
            downloadDomain: downloadDomain)
    }
}
