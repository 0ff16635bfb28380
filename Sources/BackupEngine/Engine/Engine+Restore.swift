import BackupCatalog
public import BackupModels
import Foundation
import Logging
import RemoteStorage

/// How a restore treats its target.
public struct RestoreOptions: Sendable, Hashable {
    /// Restore into a folder that already holds files (they may be overwritten or, for paths the
    /// backup does not hold, deleted). Off by default: restore refuses a non-empty folder.
    public var allowNonEmptyTarget: Bool
    /// Restore symbolic links whose target lies outside the restore folder. Off by default.
    public var allowExternalLinks: Bool

    public init(allowNonEmptyTarget: Bool = false, allowExternalLinks: Bool = false) {
        self.allowNonEmptyTarget = allowNonEmptyTarget
        self.allowExternalLinks = allowExternalLinks
    }
}

/// The result of a restore.
public struct RestoreReport: Sendable {
    /// The folder restored into.
    public var target: String
    /// The backups applied, full first.
    public var chain: [BackupRecord]
    public var filesWritten: Int
    public var bytesWritten: Int64
}

extension Engine {
    /// Rebuilds a source's data as of backup `id` into `directory`: the full backup, then each
    /// incremental up to `id`, then the deletions they recorded.
    ///
    /// Entries that would land outside `directory` (absolute paths, `..`, writing through links,
    /// links pointing out) are refused. Each artifact's SHA-256 is checked as it is read.
    ///
    /// - Throws: ``EngineError`` `notRestorable` if the backup or a parent is not committed,
    ///   `targetNotEmpty`, `damaged` on a checksum mismatch, or a ``TarError`` for unsafe entries.
    public func restore(_ id: BackupID, to directory: String, options: RestoreOptions = RestoreOptions()) async throws -> RestoreReport {
        guard let record = try await catalog.record(id) else {
            throw EngineError(code: .notRestorable, message: "no backup \(id) in the catalog", backupID: id)
        }
        let chain = try await restoreChain(for: record)
        try prepareTarget(directory, allowNonEmpty: options.allowNonEmptyTarget)
        let manifest = try await readManifest(of: record)
        logger.info("restore started", metadata: ["backup": "\(record.id)", "label": "\(record.label)", "target": "\(directory)"])

        switch manifest.sourceType {
        case "files":
            let extractor = TarExtractor(root: directory, allowExternalLinks: options.allowExternalLinks)
            for layer in chain {
                try await withArtifactStream(of: layer) { stream in
                    let reader = TarReader(stream)
                    try await extractor.extract(reader)
                    // Read past the end-of-archive marker so the whole artifact is hashed.
                    try await reader.drain()
                }
            }
            if let files = manifest.files {
                try extractor.removeEverything(except: Set(files.map(\.path)))
            }
            extractor.finish()
            logger.info("restore finished", metadata: ["files": "\(extractor.filesWritten)", "bytes": "\(extractor.bytesWritten)"])
            return RestoreReport(
                target: directory, chain: chain, filesWritten: extractor.filesWritten, bytesWritten: extractor.bytesWritten)
        default:
            let name = manifest.position?.extra["file_name"] ?? "\(record.source).\(manifest.sourceType)"
            let fileName = (try? TarExtractor.safeRelativePath(name)).flatMap { $0.contains("/") ? nil : $0 } ?? "\(record.source).restored"
            var written: Int64 = 0
            try await withArtifactStream(of: record) { stream in
                // A put writes a temporary file, syncs it and renames it into place.
                written = try await LocalStorage(root: directory).put(stream, at: fileName, options: .overwrite).sizeBytes
            }
            return RestoreReport(target: directory, chain: [record], filesWritten: 1, bytesWritten: written)
        }
    }

    /// The committed chain from the full backup up to `record`.
    func restoreChain(for record: BackupRecord) async throws -> [BackupRecord] {
        var chain: [BackupRecord] = []
        var current: BackupRecord? = record
        while let link = current {
            guard link.state == .committed else {
                throw EngineError(
                    code: .notRestorable,
                    message: link.id == record.id
                        ? "backup \(link.label) is \(link.state.rawValue), not committed"
                        : "backup \(record.label) needs \(link.label), which is \(link.state.rawValue)",
                    backupID: record.id)
            }
            chain.append(link)
            guard let parentID = link.parentID else { break }
            guard let parent = try await catalog.record(parentID) else {
                throw EngineError(
                    code: .notRestorable, message: "backup \(link.label) needs parent \(parentID), which is not in the catalog",
                    backupID: record.id)
            }
            guard chain.count < 100_000 else { throw EngineError(code: .notRestorable, message: "parent chain loops", backupID: record.id) }
            current = parent
        }
        return chain.reversed()
    }

    /// Streams one record's decoded payload to `body`, then checks the stored bytes' SHA-256.
    func withArtifactStream(of record: BackupRecord, _ body: (ByteStream) async throws -> Void) async throws {
        guard let artifact = record.artifacts.first(where: { $0.role == "data" }) else {
            throw EngineError(code: .notRestorable, message: "backup \(record.label) has no data artifact", backupID: record.id)
        }
        let decoding = try Pipeline.decode(
            try await storage.get(artifact.key), compression: artifact.compression, key: try key(for: artifact, of: record))
        try await body(decoding.stream)
        let digest = decoding.storedDigest()
        guard digest.hex == artifact.sha256, digest.byteCount == artifact.sizeBytes else {
            throw EngineError(
                code: .damaged,
                message:
                    "artifact '\(artifact.key)' of backup \(record.label) does not match its checksum (read \(digest.byteCount) bytes, sha256 \(digest.hex))",
                backupID: record.id)
        }
    }

    private func prepareTarget(_ directory: String, allowNonEmpty: Bool) throws {
        switch FileSystem.lstatus(directory) {
        case .success(let status):
            guard status.isDirectory else {
                throw EngineError(code: .targetNotEmpty, message: "restore target '\(directory)' exists and is not a folder")
            }
            if case .success(let names) = FileSystem.children(of: directory), !names.isEmpty, !allowNonEmpty {
                throw EngineError(
                    code: .targetNotEmpty,
                    message:
                        "restore target '\(directory)' is not empty (\(names.count) entries); choose an empty folder or allow a non-empty target"
                )
            }
        case .failure:
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw EngineError(code: .io, message: "cannot create restore target '\(directory)': \(error.localizedDescription)")
            }
        }
    }
}
