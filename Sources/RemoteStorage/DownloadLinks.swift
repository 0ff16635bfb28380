public import Foundation

/// A storage that can hand out expiring download links for its objects: presigned S3 URLs, HMAC-signed
/// links to a host's download endpoint for local disk or NFS.
public protocol DownloadLinkIssuing: Storage {
    /// A link that downloads the object at `key` until `now + lifetime`, and is refused after.
    ///
    /// - Parameters:
    ///   - key: The object's key.
    ///   - lifetime: How long the link works, in seconds (the platform uses 300 for transfers and 86,400
    ///     for exports).
    ///   - now: The signing time (injected so links can be tested and replayed).
    /// - Throws: ``StorageError`` `configuration` when links are not set up (no secret, no base URL).
    func downloadLink(for key: String, lifetime: TimeInterval, now: Date) throws -> URL
}
