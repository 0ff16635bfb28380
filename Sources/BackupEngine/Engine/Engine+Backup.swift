import ArtifactFormat
import BackupCatalog
public import BackupModels
import BackupSources
import BackupSupport
import Foundation
import Logging
import RemoteStorage
import Retention

/// What a backup run should do.
public struct BackupRequest: Sendable {
    public enum Kind: String, Sendable {
        /// Incremental when the source supports it and has a committed backup to build on, else full.
        case auto
        case full
        /// Incremental; a source that cannot do incrementals (a SQLite copy) takes a full backup and says so.
        case incremental
    }

    public var kind: Kind
    /// Only these sources; all when `nil`.
    public var sources: [String]?
    public var tags: [String]
    /// Apply the plan's retention after the backups.
    public var applyRetention: Bool

    public init(kind: Kind = .auto, sources: [String]? = nil, tags: [String] = [], applyRetention: Bool = true) {
        self.kind = kind
        self.sources = sources
        self.tags = tags
        self.applyRetention = applyRetention
    }
}

/// What happened to one source in a run.
public struct SourceRunOutcome: Sendable {
    public var source: String
    /// The committed record, when the backup succeeded.
    public var record: BackupRecord?
    /// Why it failed, when it did.
    public var error: (any Error)?
    /// Warnings: a full taken instead of an incremental, files that changed while read, skipped files.
    public var notes: [String]

    public var succeeded: Bool { record != nil }
}

/// The result of ``Engine/backup(_:progress:)``.
public struct BackupRunReport: Sendable {
    public var outcomes: [SourceRunOutcome]
    /// Interrupted runs found and cleaned up before this one.
    public var recovered: [BackupRecord]
    /// Retention applied after the backups, when the plan has a policy.
    public var prune: PruneReport?

    /// Whether every source committed (and retention, if run, removed what it planned).
    public var succeeded: Bool { outcomes.allSatisfy(\.succeeded) && (prune?.failures.isEmpty ?? true) }
}

extension Engine {
    /// Backs up the plan's sources one after another.
    ///
    /// For each source: a `running` record is inserted; the payload streams through compression,
    /// encryption and SHA-256 into a create-only put; the stored size is checked; the manifest is written
    /// beside the artifact; only then is the record `committed`. A failure removes what was stored and
    /// marks the record `failed`; other sources still run. Before anything, interrupted runs of the plan
    /// are marked failed and their leftovers removed; after, retention runs if the plan has a policy.
    ///
    /// - Throws: ``EngineError`` with code `locked` if the plan runs elsewhere, ``EngineError`` `unknownSource`
    ///   for a source name the plan lacks, or a catalog error. Source failures do not throw: they are in the report.
    public func backup(_ request: BackupRequest = BackupRequest(), progress: ProgressReporter? = nil) async throws -> BackupRunReport {
        defer { progress?.finish() }
        let selected = try selectSources(request.sources)
        return try await withPlanLock {
            let recovered = try await recoverInterruptedRuns()
            var outcomes: [SourceRunOutcome] = []
            for config in selected {
                try Task.checkCancellation()
                outcomes.append(await backupSource(config, request: request, progress: progress))
            }
            await notifyBackupOutcomes(outcomes)
            var prune: PruneReport? = nil
            if request.applyRetention, plan.retention != nil {
                prune = try await applyRetention(dryRun: false)
            }
            return BackupRunReport(outcomes: outcomes, recovered: recovered, prune: prune)
        }
    }

    private func selectSources(_ names: [String]?) throws -> [SourceConfig] {
        guard let names else { return plan.sources }
        return try names.map { name in
            guard let source = plan.source(named: name) else {
                let known = plan.sources.map(\.name).joined(separator: ", ")
                throw EngineError(code: .unknownSource, message: "plan '\(plan.name)' has no source '\(name)' (sources: \(known))")
            }
            return source
        }
    }

    private func backupSource(_ config: SourceConfig, request: BackupRequest, progress: ProgressReporter?) async -> SourceRunOutcome {
        let source: any BackupSource
        do {
            source = try self.source(for: config)
        } catch {
            return SourceRunOutcome(source: config.name, record: nil, error: error, notes: [])
        }
        var notes: [String] = []
        let started = now()
        var logger = self.logger
        logger[metadataKey: "plan"] = "\(plan.name)"
        logger[metadataKey: "source"] = "\(source.name)"

        // Decide the kind and the parent.
        var kind: BackupKind = .full
        var parentRecord: BackupRecord? = nil
        var parentChain: RestoreChain? = nil
        do {
            if request.kind != .full {
                if !source.supportsIncremental {
                    if request.kind == .incremental {
                        notes.append("source '\(source.name)' (\(source.typeName)) cannot take incremental backups; took a full backup")
                    }
                } else if let parent = try await latestCommitted(source: source.name) {
                    if request.kind == .auto, let note = try await chainRestartReason(growing: parent) {
                        notes.append(note)
                    } else if case .restartWithFull(let note) = try await source.checkChain(from: parent, logger: logger) {
                        notes.append(note)
                    } else if let manifest = try? await readManifest(of: parent) {
                        if let records = try? await restoreChain(for: parent) {
                            kind = .incremental
                            parentRecord = parent
                            parentChain = restoreChain(records, newest: RestoreChain.Link(record: parent, manifest: manifest))
                        } else {
                            notes.append("the chain of parent \(parent.label) is not restorable; took a full backup")
                        }
                    } else {
                        notes.append("the manifest of parent \(parent.label) could not be read; took a full backup")
                    }
                } else if request.kind == .incremental {
                    notes.append("source '\(source.name)' has no committed backup yet; took a full backup")
                }
            }
        } catch {
            return SourceRunOutcome(source: source.name, record: nil, error: error, notes: notes)
        }

        // Insert the running record with a label unique for the source.
        var record: BackupRecord
        do {
            record = try await insertRunningRecord(
                source: source.name, kind: kind, parent: parentRecord, at: started, tags: request.tags)
        } catch {
            return SourceRunOutcome(source: source.name, record: nil, error: error, notes: notes)
        }
        logger[metadataKey: "backup"] = "\(record.id)"
        logger.info("backup started", metadata: ["kind": "\(kind.rawValue)", "label": "\(record.label)"])

        var artifactKey: String? = nil
        do {
            let meter = TransferMeter(
                reporter: progress, template: ProgressEvent(source: source.name, phase: .started, kind: kind))
            let prepared = try await source.prepare(
                SourceRequest(
                    kind: kind, parent: parentChain?.newest.manifest, parentRecord: parentRecord, parentChain: parentChain,
                    logger: logger),
                progress: { meter.add($0) })
            defer { prepared.cleanup() }
            meter.begin(expectedBytes: prepared.expectedBytes, expectedFiles: prepared.expectedFiles)

            let key = try plan.naming.render(
                NamingTemplate.Values(
                    plan: plan.name, source: source.name, kind: kind, label: record.label, host: host,
                    ext: artifactExtension(payload: prepared.fileExtension), date: record.startedAt),
                in: timeZone)
            artifactKey = key

            let pipeline = Pipeline(compression: plan.compression, encryptionKey: encryptionKey)
            let stored = try await storage.put(try pipeline.encode(prepared.stream), at: key, options: .createOnly)
            let digest = pipeline.digest()
            guard stored.sizeBytes == digest.byteCount else {
                throw EngineError(
                    code: .sizeMismatch,
                    message: "storage reports \(stored.sizeBytes) bytes for '\(key)' but \(digest.byteCount) were written",
                    backupID: record.id)
            }
            guard let head = try await storage.head(key), head.sizeBytes == digest.byteCount else {
                throw EngineError(
                    code: .sizeMismatch, message: "'\(key)' is missing or has the wrong size after upload", backupID: record.id)
            }

            let outcome = try prepared.outcome()
            notes += outcome.notes
            var artifacts = [
                ArtifactDescriptor(
                    role: "data", key: key, sizeBytes: digest.byteCount, sha256: digest.hex,
                    compression: plan.compression.algorithm, encryptionKeyID: encryptionKey?.keyID,
                    uncompressedBytes: pipeline.uncompressedByteCount())
            ]
            if let lines = outcome.indexLines {
                artifacts.append(try await storeIndex(lines, forArtifact: key, backupID: record.id))
            } else if let index = outcome.index {
                let deleted = outcome.deletedPaths ?? []
                let payload = ByteStream {
                    let next = Shared(0)
                    return { next.withLock { FileIndex.lines(deleted: deleted, entries: index, from: &$0) } }
                }
                artifacts.append(try await storeIndex(payload, forArtifact: key, backupID: record.id))
            }
            let finished = max(now(), record.startedAt)
            let bytesStored = artifacts.reduce(0) { $0 + $1.sizeBytes }
            let manifest = Manifest(
                backupID: record.id, plan: plan.name, source: source.name, sourceType: source.typeName, kind: kind,
                label: record.label, parentID: parentRecord?.id, parentLabel: parentRecord?.label, startedAt: record.startedAt,
                finishedAt: finished, host: host, artifacts: artifacts,
                encryption: encryptionKey.map {
                    EncryptionInfo(algorithm: FrameEncryptor.formatName, keyID: $0.keyID, frameSize: Pipeline.frameSize)
                },
                position: outcome.position, files: outcome.files, deletedPaths: outcome.deletedPaths,
                stats: BackupStats(
                    filesTotal: outcome.filesTotal, filesStored: outcome.filesStored, bytesRead: outcome.bytesRead,
                    bytesStored: bytesStored),
                notes: notes, tableRows: outcome.tableRows, tags: record.tags)
            try await storage.put(try [UInt8](manifest.jsonData()), at: Self.manifestKey(forArtifact: key), options: .createOnly)

            record = try await catalog.commit(record.id, artifacts: artifacts, position: outcome.position, finishedAt: finished)
            let seconds = finished.timeIntervalSince(record.startedAt)
            recordMetrics(source: source.name, result: "committed", bytes: bytesStored, seconds: seconds)
            meter.end(.finished, detail: record.id.rawValue)
            logger.info(
                "backup committed",
                metadata: ["key": "\(key)", "bytes": "\(digest.byteCount)", "files": "\(outcome.filesStored)/\(outcome.filesTotal)"])
            for note in notes { logger.warning("\(note)") }
            return SourceRunOutcome(source: source.name, record: record, error: nil, notes: notes)
        } catch {
            let reason = Task.isCancelled ? (cancellationReason() ?? "cancelled") : String(describing: error)
            logger.error("backup failed", metadata: ["error": "\(reason)"])
            // The clean-up runs in a task of its own: a cancelled run must still remove what it stored and
            // mark its record failed, and catalog and storage calls refuse to start in a cancelled task.
            let failedID = record.id
            let failedAt = max(now(), record.startedAt)
            await Task { [self] in
                await removeLeftovers(key: artifactKey)
                if let artifactKey { await removeAbandonedUploads(of: artifactKey) }
                do {
                    try await catalog.markFailed(failedID, reason: reason, at: failedAt)
                } catch {
                    logger.error("could not mark the backup failed", metadata: ["error": "\(error)"])
                }
            }.value
            recordMetrics(source: source.name, result: "failed", bytes: 0, seconds: now().timeIntervalSince(started))
            progress?.emit(ProgressEvent(source: source.name, phase: .failed, kind: kind, detail: reason))
            return SourceRunOutcome(source: source.name, record: nil, error: error, notes: notes)
        }
    }

    /// Why an automatic run must start a new chain instead of adding to `parent`'s: the chain already
    /// holds `schedule.max_chain_length` backups, or its full backup is `schedule.full_every` old or older.
    /// `nil` when the chain may grow.
    package func chainRestartReason(growing parent: BackupRecord) async throws -> String? {
        guard let schedule = plan.schedule, schedule.maxChainLength != nil || schedule.fullEverySeconds != nil else {
            return nil
        }
        var length = 1
        var full = parent
        while let parentID = full.parentID, let older = try await catalog.record(parentID) {
            length += 1
            full = older
        }
        if let limit = schedule.maxChainLength, length >= limit {
            return "the chain of \(full.label) holds \(length) backups (max_chain_length \(limit)); took a full backup"
        }
        if let every = schedule.fullEverySeconds, now().timeIntervalSince(full.startedAt) >= every {
            return "the full backup \(full.label) is older than full_every (\(Int(every.rounded())) s); took a full backup"
        }
        return nil
    }

    /// The newest committed record of a source.
    package func latestCommitted(source: String) async throws -> BackupRecord? {
        try await catalog.records(
            RecordQuery(plan: plan.name, source: source, states: [.committed], newestFirst: true, limit: 1)
        ).first
    }

    /// Inserts a `running` record; if its label is taken (two runs in one second), moves a second on.
    private func insertRunningRecord(
        source: String, kind: BackupKind, parent: BackupRecord?, at date: Date, tags: [String]
    ) async throws -> BackupRecord {
        var startedAt = date
        for attempt in 0..<10 {
            let label =
                parent.map { BackupLabel.incremental(on: $0.label, at: startedAt, in: timeZone) }
                ?? BackupLabel.full(at: startedAt, in: timeZone)
            let record = BackupRecord(
                plan: plan.name, source: source, kind: kind, parentID: parent?.id, label: label, state: .running,
                startedAt: startedAt, tags: tags, host: host)
            do {
                try await catalog.insert(record)
                return record
            } catch let error as CatalogError where error.code == .duplicate && attempt < 9 {
                startedAt = startedAt.addingTimeInterval(1)
            }
        }
        throw EngineError(code: .io, message: "could not find a free label for source '\(source)'")
    }

    package func readManifest(of record: BackupRecord) async throws -> Manifest {
        guard let artifact = Self.dataArtifact(of: record) else {
            throw EngineError(code: .notRestorable, message: "backup \(record.label) has no artifacts", backupID: record.id)
        }
        let bytes = try await storage.getBytes(Self.manifestKey(forArtifact: artifact.key))
        return try Manifest.decode(Data(bytes))
    }

    /// Stores a file index as the `index` artifact beside the data artifact `key`: zstd-compressed whatever
    /// the plan's compression, encrypted with the plan's key, its size checked like the data's.
    private func storeIndex(_ payload: ByteStream, forArtifact key: String, backupID: BackupID) async throws
        -> ArtifactDescriptor
    {
        let indexKey = Self.indexKey(forArtifact: key, encrypted: encryptionKey != nil)
        let pipeline = Pipeline(compression: Self.indexCompression, encryptionKey: encryptionKey)
        let stored = try await storage.put(try pipeline.encode(payload), at: indexKey, options: .createOnly)
        let digest = pipeline.digest()
        guard stored.sizeBytes == digest.byteCount else {
            throw EngineError(
                code: .sizeMismatch,
                message: "storage reports \(stored.sizeBytes) bytes for '\(indexKey)' but \(digest.byteCount) were written",
                backupID: backupID)
        }
        return ArtifactDescriptor(
            role: FileIndex.role, key: indexKey, sizeBytes: digest.byteCount, sha256: digest.hex,
            compression: Self.indexCompression.algorithm, encryptionKeyID: encryptionKey?.keyID,
            uncompressedBytes: pipeline.uncompressedByteCount())
    }

    /// Removes an artifact, its manifest and its file index after a failed run (best effort; missing is fine).
    package func removeLeftovers(key: String?) async {
        guard let key else { return }
        for object in [key, Self.manifestKey(forArtifact: key)] + Self.indexKeys(forArtifact: key) {
            do { try await storage.delete(object) } catch { logger.warning("could not remove leftover '\(object)': \(error)") }
        }
    }

    /// Aborts unfinished uploads of the artifact `key` and of its file index, on storages that have them.
    private func removeAbandonedUploads(of key: String) async {
        guard let recovering = storage as? any UploadRecovery else { return }
        for upload in [key] + Self.indexKeys(forArtifact: key) {
            _ = try? await recovering.removeAbandonedUploads(of: upload)
        }
    }

    /// Where a run that wrote the data artifact `key` may have stored its file index, encrypted or not.
    private static func indexKeys(forArtifact key: String) -> [String] {
        [indexKey(forArtifact: key, encrypted: false), indexKey(forArtifact: key, encrypted: true)]
    }

    /// Every key a run of `record` could have stored its artifact under: each payload extension its
    /// source writes, with each compression, encrypted or not (the plan's settings may have changed
    /// since). A record whose source left the plan is tried with every registered type's extensions.
    private func possibleArtifactKeys(of record: BackupRecord) -> [String] {
        let payloads: [String]
        if let source = try? source(of: record) {
            payloads = source.payloadExtensions
        } else {
            var all: [String] = []
            for config in plan.sources {
                for payload in (try? source(for: config))?.payloadExtensions ?? [] where !all.contains(payload) {
                    all.append(payload)
                }
            }
            payloads = all
        }
        var keys: [String] = []
        for payload in payloads {
            for compression in CompressionAlgorithm.allCases {
                let compressed = compression.fileExtension.map { payload + "." + $0 } ?? payload
                for ext in [compressed, compressed + ".enc"] {
                    let values = NamingTemplate.Values(
                        plan: record.plan, source: record.source, kind: record.kind, label: record.label,
                        host: record.host, ext: ext, date: record.startedAt)
                    if let key = try? plan.naming.render(values, in: timeZone) { keys.append(key) }
                }
            }
        }
        return keys
    }

    /// Marks `running` records of this plan as failed and removes anything they stored.
    ///
    /// Called with the plan lock held: a running record then belongs to a run that died (killed,
    /// crashed, machine lost). Its artifact key is rendered again from the record, for every extension
    /// the plan could have written.
    public func recoverInterruptedRuns() async throws -> [BackupRecord] {
        let stale = try await catalog.records(RecordQuery(plan: plan.name, states: [.running]))
        var recovered: [BackupRecord] = []
        for record in stale {
            for key in possibleArtifactKeys(of: record) {
                await removeLeftovers(key: key)
                await removeAbandonedUploads(of: key)
            }
            try await catalog.markFailed(
                record.id, reason: "interrupted: the run that started it ended without committing",
                at: max(now(), record.startedAt))
            logger.warning("marked interrupted backup failed", metadata: ["backup": "\(record.id)", "label": "\(record.label)"])
            if let failed = try await catalog.record(record.id) { recovered.append(failed) }
        }
        return recovered
    }
}
