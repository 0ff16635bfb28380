/// A storage that can clean up after puts that were interrupted (a killed process, a lost machine):
/// temporary files on disk, unfinished multipart uploads in object stores.
public protocol UploadRecovery: Storage {
    /// Removes whatever interrupted puts of `key` left behind. The object at `key` itself, if any,
    /// is not touched.
    ///
    /// - Returns: how many leftovers were removed.
    func removeAbandonedUploads(of key: String) async throws -> Int
}
