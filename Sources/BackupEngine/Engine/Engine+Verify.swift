package import ArtifactFormat
import BackupCatalog
public import BackupModels
import BackupSources
import BackupSupport
import Foundation
import Logging
import RemoteStorage

/// The result of verifying one backup.
public struct VerifyResult: Sendable, Hashable {
    public var id: BackupID
    public var label: BackupLabel
    public var source: String
    /// Empty when the backup is sound.
    public var problems: [String]

    public var isSound: Bool { problems.isEmpty }
}

extension Engine {
    /// Re-reads a committed backup's artifacts: checks size and SHA-256, that they decrypt and
    /// decompress, that a tar payload parses to its end, and that the manifest matches the catalog.
    /// The catalog notes when the backup was read (``BackupCatalog/DrillCatalog/markVerified(_:at:)``).
    ///
    /// - Returns: the problems found, naming the backup; an empty list means the backup is sound.
    public func verify(_ id: BackupID) async throws -> VerifyResult {
        guard let record = try await catalog.record(id) else {
            throw EngineError(code: .notRestorable, message: "no backup \(id) in the catalog", backupID: id)
        }
        var problems: [String] = []
        if record.state == .missing {
            problems.append("state is missing: a catalog rebuild found its artifacts gone from storage")
        } else if record.state != .committed {
            problems.append("state is \(record.state.rawValue), not committed")
        }
        // Read the manifest once: it is compared with the record and tells how to check the payload.
        let manifest: Result<Manifest, any Error>
        do { manifest = .success(try await readManifest(of: record)) } catch { manifest = .failure(error) }
        // The source checks its payload's structure (a tar archive parses to its end); a record whose
        // source left the plan, or whose manifest is unreadable, is read through and hashed only.
        let link = (try? manifest.get()).map { RestoreChain.Link(record: record, manifest: $0) }
        let source = try? self.source(of: record, manifest: try? manifest.get())
        for artifact in record.artifacts {
            problems += await verify(artifact, of: record) { stream in
                if let source, let link, artifact.role == "data" {
                    try await source.verifyPayload(stream, of: link)
                } else if artifact.role == FileIndex.role {
                    var index = FileIndexReader()
                    for try await chunk in stream { try index.read(chunk) }
                    _ = try index.finish()
                } else {
                    for try await _ in stream {}
                }
            }
        }
        switch manifest {
        case .success(let manifest):
            if manifest.backupID != record.id || manifest.artifacts != record.artifacts {
                problems.append("manifest does not match the catalog record")
            }
        case .failure(let error):
            problems.append("manifest unreadable: \(error)")
        }
        // Read back, sound or not: rolling verification reads the least recently read backups first.
        do {
            try await catalog.markVerified([record.id], at: now())
        } catch {
            logger.warning("cannot note the verification in the catalog", metadata: ["backup": "\(record.id)", "error": "\(error)"])
        }
        if !problems.isEmpty {
            logger.error("backup damaged", metadata: ["backup": "\(record.id)", "label": "\(record.label)", "problems": "\(problems)"])
        }
        return VerifyResult(id: record.id, label: record.label, source: record.source, problems: problems)
    }

    private func verify(
        _ artifact: ArtifactDescriptor, of record: BackupRecord, reading check: (ByteStream) async throws -> Void
    ) async -> [String] {
        var problems: [String] = []
        do {
            guard let head = try await storage.head(artifact.key) else {
                return ["artifact '\(artifact.key)' is missing"]
            }
            if head.sizeBytes != artifact.sizeBytes {
                problems.append("artifact '\(artifact.key)' has \(head.sizeBytes) bytes, the catalog says \(artifact.sizeBytes)")
            }
            let reading = try Pipeline.decode(
                try await storage.get(artifact.key), compression: artifact.compression,
                key: try key(for: artifact, of: record))
            try await check(reading.stream)
            let digest = reading.storedDigest()
            if digest.hex != artifact.sha256 {
                problems.append("artifact '\(artifact.key)' checksum is \(digest.hex), the catalog says \(artifact.sha256)")
            }
        } catch {
            problems.append("artifact '\(artifact.key)' cannot be read back: \(error)")
        }
        return problems
    }

    /// The key that decrypts an artifact, or an error naming the key id that is needed.
    package func key(for artifact: ArtifactDescriptor, of record: BackupRecord) throws -> EncryptionKey? {
        guard let needed = artifact.encryptionKeyID else { return nil }
        guard let encryptionKey else {
            throw EngineError(
                code: .encryptionKey,
                message: "backup \(record.label) is encrypted with key \(needed) but the plan has no encryption key", backupID: record.id)
        }
        guard encryptionKey.keyID == needed else {
            throw EngineError(
                code: .encryptionKey,
                message: "backup \(record.label) is encrypted with key \(needed); the plan's key is \(encryptionKey.keyID)",
                backupID: record.id)
        }
        return encryptionKey
    }
}
