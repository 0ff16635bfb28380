import ArtifactFormat
import BackupCatalog
public import BackupModels
public import BackupSources
import BackupSupport
import Foundation
import Logging
package import RemoteStorage

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
    public func restore(_ id: BackupID, to directory: String, options: FolderRestoreOptions = FolderRestoreOptions()) async throws
        -> RestoreReport
    {
        let chain = try await restoreChain(for: id)
        let record = chain.newest.record
        let source = try source(of: record, manifest: chain.newest.manifest)
        try prepareTarget(directory, allowNonEmpty: options.allowNonEmptyTarget)
        logger.info("restore started", metadata: ["backup": "\(record.id)", "label": "\(record.label)", "target": "\(directory)"])
        let restored = try await source.restore(chain, into: directory, options: options, logger: logger)
        return RestoreReport(
            target: directory, chain: Array(chain.records.suffix(restored.backupsApplied)),
            filesWritten: restored.filesWritten, bytesWritten: restored.bytesWritten)
    }

    /// The committed chain of backup `id`, full first, with the newest manifest and readers for the
    /// others and for each payload (decoded, its stored size and SHA-256 checked) — what a source's
    /// restore consumes.
    ///
    /// - Throws: ``EngineError`` `notRestorable` if the backup or a parent is missing or not committed.
    public func restoreChain(for id: BackupID) async throws -> RestoreChain {
        guard let record = try await catalog.record(id) else {
            throw EngineError(code: .notRestorable, message: "no backup \(id) in the catalog", backupID: id)
        }
        let records = try await restoreChain(for: record)
        return RestoreChain(
            records: records, newest: RestoreChain.Link(record: record, manifest: try await readManifest(of: record)),
            manifest: { try await readManifest(of: $0) }, payload: { try await withArtifactStream(of: $0, $1) })
    }

    /// The committed chain from the full backup up to `record`.
    package func restoreChain(for record: BackupRecord) async throws -> [BackupRecord] {
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
    package func withArtifactStream(of record: BackupRecord, _ body: (ByteStream) async throws -> Void) async throws {
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
                throw EngineError(
                    code: .io, message: "cannot create restore target '\(directory)': \(error.localizedDescription)", underlying: error)
            }
        }
    }
}
