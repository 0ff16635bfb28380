import ArtifactFormat
import BackupModels
import BackupSources
import BackupSupport
public import Foundation
public import Logging
public import RemoteStorage

/// Packages files and folders as a `.tar.gz`, uploads it to a storage and returns an expiring
/// download link — the platform's "export" — and removes old exports.
///
/// An export streams the tar archive (``FileTreeSource``) through gzip into a file in the
/// ``workFolder`` (so its size and SHA-256 are known before anything reaches the storage), then
/// uploads that file create-only under ``prefix`` and removes it. The local file is removed whatever
/// happens: a failed packaging, a failed upload or a cancellation leaves nothing behind, and a failed
/// upload leaves no object (the ``Storage`` contract).
///
/// The object is named by ``ExportName``: `<app>_<index_set_id>_<YYYYMMDDHHmmss>_<random>.tar.gz`.
/// The clock and the random suffix are injected.
public struct Exporter: Sendable {
    /// Where exports are uploaded.
    public let storage: any Storage
    /// The key prefix of exports (`exports/`); empty or ending with `/`.
    public let prefix: String
    /// The local folder archives are packaged in before upload (created with mode 0700).
    public let workFolder: String
    /// The time zone of the names' time stamps.
    public let timeZone: TimeZone
    /// The gzip level, 1 (fast) to 9 (small).
    public let compressionLevel: Int

    private let logger: Logger
    private let now: @Sendable () -> Date
    private let randomSuffix: @Sendable () -> String

    /// Creates an exporter.
    ///
    /// - Parameters:
    ///   - storage: where exports go; links are issued when it is ``DownloadLinkIssuing``.
    ///   - prefix: the key prefix of exports, `exports/` by default.
    ///   - workFolder: the local folder for packaging; `<temporary folder>/backupkit-exports` by default.
    ///   - timeZone: the time zone of the names' time stamps, UTC by default.
    ///   - compressionLevel: the gzip level, 6 by default.
    ///   - logger: receives progress messages (never links).
    ///   - now: the clock.
    ///   - randomSuffix: makes the names' ten random characters.
    /// - Throws: ``ExportError`` `invalidRequest` for an unusable prefix or level.
    public init(
        storage: any Storage, prefix: String = "exports/",
        workFolder: String = FileManager.default.temporaryDirectory.path + "/backupkit-exports",
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current, compressionLevel: Int = 6,
        logger: Logger = Logger(label: "BackupKit.Exporter"), now: @escaping @Sendable () -> Date = { Date() },
        randomSuffix: @escaping @Sendable () -> String = {
            var generator = SystemRandomNumberGenerator()
            return ExportName.randomSuffix(using: &generator)
        }
    ) throws {
        if !prefix.isEmpty {
            guard prefix.hasSuffix("/"), (try? validateStorageKey(String(prefix.dropLast()))) != nil else {
                throw ExportError(code: .invalidRequest, message: "the export prefix '\(prefix)' must be a key prefix ending with '/'")
            }
        }
        guard (1...9).contains(compressionLevel) else {
            throw ExportError(code: .invalidRequest, message: "the compression level \(compressionLevel) is not in 1...9")
        }
        self.storage = storage
        self.prefix = prefix
        self.workFolder = workFolder
        self.timeZone = timeZone
        self.compressionLevel = compressionLevel
        self.logger = logger
        self.now = now
        self.randomSuffix = randomSuffix
    }

    /// Packages `request.paths`, uploads the archive and issues its link.
    ///
    /// - Returns: the key, size, SHA-256 and (when the storage issues links) the link and its expiry.
    /// - Throws: ``ExportError`` for a bad request or a size mismatch, ``SourceError`` for a missing or
    ///   unreadable path, ``StorageError`` from the work folder or the storage (`configuration` when links
    ///   are not set up), or `CancellationError`. The local archive is removed in every case.
    public func export(_ request: ExportRequest) async throws -> ExportResult {
        guard !request.paths.isEmpty else {
            throw ExportError(code: .invalidRequest, message: "no paths to export")
        }
        guard request.linkLifetime > 0, request.linkLifetime.isFinite else {
            throw ExportError(code: .invalidRequest, message: "the link lifetime must be a positive number of seconds")
        }
        // Whole seconds: the name, the link's expiry and the result agree.
        let date = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        let name = try ExportName(app: request.app, indexSetID: request.indexSetID, date: date, suffix: randomSuffix())
        let fileName = name.fileName(in: timeZone)
        let key = prefix + fileName

        // The link is signed before anything is uploaded, so a storage without link settings fails early.
        var link: URL?
        var expiresAt: Date?
        if let issuer = storage as? any DownloadLinkIssuing {
            link = try issuer.downloadLink(for: key, lifetime: request.linkLifetime, now: date)
            expiresAt = date.addingTimeInterval(request.linkLifetime)
        }

        let staging = try LocalStorage(root: workFolder)
        let source = FileTreeSource(FileTreeSourceConfig(name: "export", paths: request.paths))
        let prepared = try await source.prepare(SourceRequest(kind: .full, logger: logger), progress: { _ in })
        defer { prepared.cleanup() }

        let hashing = HashingTransformer()
        let level = compressionLevel
        let archive = prepared.stream.transformed { try GzipCompressor(level: level) }.transformed { hashing.restarted() }
        do {
            let staged = try await staging.put(archive, at: fileName, options: .createOnly)
            guard let digest = hashing.hexDigest else {
                throw ExportError(code: .integrity, message: "the archive's checksum is missing after packaging")
            }
            logger.info("export packaged", metadata: ["key": "\(key)", "bytes": "\(staged.sizeBytes)"])
            let stored = try await storage.put(try await staging.get(fileName), at: key, options: .createOnly)
            guard stored.sizeBytes == staged.sizeBytes else {
                try? await storage.delete(key)
                throw ExportError(
                    code: .integrity,
                    message: "the storage holds \(stored.sizeBytes) bytes for '\(key)' but the archive has \(staged.sizeBytes)")
            }
            try await staging.delete(fileName)
            logger.info("export uploaded", metadata: ["key": "\(key)"])
            return ExportResult(key: key, sizeBytes: staged.sizeBytes, sha256: digest, link: link, expiresAt: expiresAt)
        } catch {
            try? await staging.delete(fileName)
            throw error
        }
    }

    /// Removes exports made before `now - age`: objects under ``prefix`` in the storage whose name is an
    /// ``ExportName`` (other objects are never touched), and archives (also partial ones) left in the
    /// ``workFolder`` by interrupted exports.
    ///
    /// The age is read from the time stamp in each name, not from the storage's modification times,
    /// which copies and restores change.
    ///
    /// - Parameters:
    ///   - age: how old an export may get, in seconds.
    ///   - now: the current time.
    /// - Returns: what was removed.
    /// - Throws: ``StorageError`` from listing or deleting.
    public func cleanup(olderThan age: TimeInterval, now: Date) async throws -> ExportCleanupResult {
        let cutoff = now.addingTimeInterval(-age)
        var result = ExportCleanupResult()

        var expired: [String] = []
        for try await object in storage.listAll(prefix: prefix) {
            let name = String(object.key.dropFirst(prefix.count))
            guard !name.contains("/"), let parsed = ExportName(parsing: name, timeZone: timeZone), parsed.date < cutoff else {
                continue
            }
            expired.append(object.key)
        }
        for key in expired {
            try await storage.delete(key)
            result.removedKeys.append(key)
            logger.info("export removed", metadata: ["key": "\(key)"])
        }

        let names = (try? FileManager.default.contentsOfDirectory(atPath: workFolder)) ?? []
        for file in names.sorted() {
            guard let parsed = ExportName(parsing: Self.archiveName(ofLocalFile: file), timeZone: timeZone), parsed.date < cutoff
            else { continue }
            do {
                try FileManager.default.removeItem(atPath: workFolder + "/" + file)
                result.removedLocalFiles.append(file)
            } catch {
                logger.warning("cannot remove a stale export file", metadata: ["file": "\(file)", "error": "\(error)"])
            }
        }
        return result
    }

    /// The archive name a work-folder file belongs to: itself, or `<name>` for a partial file
    /// `.<name>.partial-<random>`.
    package static func archiveName(ofLocalFile file: String) -> String {
        guard file.hasPrefix("."), let marker = file.range(of: ".partial-", options: .backwards) else { return file }
        return String(file[file.index(after: file.startIndex)..<marker.lowerBound])
    }
}
