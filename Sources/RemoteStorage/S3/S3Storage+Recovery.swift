public import Foundation
import Logging
import NIOHTTP1

extension S3Storage {
    /// An unfinished multipart upload found by `ListMultipartUploads`.
    struct PendingUpload: Sendable {
        var objectName: String
        var uploadID: String
        var initiated: Date?
    }

    /// Aborts the unfinished multipart uploads of `key` (left by a killed process or a lost
    /// machine). The object at `key`, if any, is not touched.
    ///
    /// - Parameter key: The key whose leftovers to remove.
    /// - Returns: How many uploads were aborted.
    /// - Throws: ``StorageError`` when listing or aborting fails after retries.
    public func removeAbandonedUploads(of key: String) async throws -> Int {
        try validateStorageKey(key)
        let name = objectName(key)
        var aborted = 0
        for upload in try await pendingUploads(prefix: name, key: key) where upload.objectName == name {
            try await abortMultipartUpload(upload.objectName, uploadID: upload.uploadID)
            aborted += 1
        }
        return aborted
    }

    /// Aborts every unfinished multipart upload under the storage prefix started before `date`: a
    /// maintenance call for buckets without an `AbortIncompleteMultipartUpload` lifecycle rule.
    ///
    /// Pass a date well before any upload that may still be running (a day ago), since a running
    /// upload that is aborted fails.
    ///
    /// - Parameter date: Uploads initiated before this are aborted; uploads without a date are kept.
    /// - Returns: How many uploads were aborted.
    /// - Throws: ``StorageError`` when listing or aborting fails after retries.
    public func abortAbandonedUploads(olderThan date: Date) async throws -> Int {
        var aborted = 0
        for upload in try await pendingUploads(prefix: prefix, key: nil) {
            guard let initiated = upload.initiated, initiated < date else { continue }
            try await abortMultipartUpload(upload.objectName, uploadID: upload.uploadID)
            logger.info("aborted an abandoned multipart upload", metadata: ["object": "\(upload.objectName)"])
            aborted += 1
        }
        return aborted
    }

    /// Every unfinished upload whose object name starts with `prefix`, all pages.
    func pendingUploads(prefix: String, key: String?) async throws -> [PendingUpload] {
        var uploads: [PendingUpload] = []
        var keyMarker: String?
        var uploadMarker: String?
        repeat {
            var query: [(String, String)] = [("uploads", ""), ("prefix", prefix)]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadMarker { query.append(("upload-id-marker", uploadMarker)) }
            let request = S3Request(method: .GET, query: query, timeout: options.requestTimeout)
            let root: S3XMLElement
            do {
                root = try await exchange(request).document()
            } catch {
                throw storageError(error, key: key, operation: "ListMultipartUploads")
            }
            for entry in root.children(named: "Upload") {
                guard let name = entry.text(of: "Key"), let id = entry.text(of: "UploadId") else { continue }
                uploads.append(
                    PendingUpload(
                        objectName: name, uploadID: id,
                        initiated: entry.text(of: "Initiated").flatMap(S3Timestamp.parseISO8601)))
            }
            let truncated = root.text(of: "IsTruncated") == "true"
            let nextKey = root.text(of: "NextKeyMarker").flatMap { $0.isEmpty ? nil : $0 }
            let nextUpload = root.text(of: "NextUploadIdMarker").flatMap { $0.isEmpty ? nil : $0 }
            guard truncated, nextKey != nil || nextUpload != nil,
                nextKey != keyMarker || nextUpload != uploadMarker
            else { break }
            keyMarker = nextKey
            uploadMarker = nextUpload
        } while true
        return uploads
    }
}
