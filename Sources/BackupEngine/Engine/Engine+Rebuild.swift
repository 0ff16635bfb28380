import BackupCatalog
public import BackupModels
import Foundation
import Logging
import RemoteStorage

/// The result of ``Engine/rebuildCatalog(dryRun:)``.
public struct RebuildReport: Sendable {
    /// A manifest in storage that could not become a record.
    public struct Conflict: Sendable, Hashable {
        /// The backup the manifest names; `nil` when the manifest could not be read.
        public var id: BackupID?
        /// The manifest's key.
        public var key: String
        public var reason: String

        public init(id: BackupID?, key: String, reason: String) {
            self.id = id
            self.key = key
            self.reason = reason
        }
    }

    /// Whether nothing was written (the counts say what a real run would do).
    public var dryRun: Bool
    /// Committed records recreated from their manifests, parents first.
    public var addedIDs: [BackupID]
    /// Committed records already in the catalog whose artifacts are in storage.
    public var present: Int
    /// `missing` records whose artifacts are back in storage; they are `committed` again.
    public var found: [BackupID]
    /// Records whose artifacts are gone from storage (or have another size); they are `missing`.
    public var missingInStorage: [BackupID]
    /// Manifests that did not become records, with the reason.
    public var conflicts: [Conflict]

    /// How many records were recreated.
    public var added: Int { addedIDs.count }

    public init(
        dryRun: Bool, addedIDs: [BackupID] = [], present: Int = 0, found: [BackupID] = [],
        missingInStorage: [BackupID] = [], conflicts: [Conflict] = []
    ) {
        self.dryRun = dryRun
        self.addedIDs = addedIDs
        self.present = present
        self.found = found
        self.missingInStorage = missingInStorage
        self.conflicts = conflicts
    }
}

extension Engine {
    /// How many manifests a rebuild reads at once.
    static let rebuildReadConcurrency = 8

    /// Recreates the plan's committed records from the manifests in its storage, with their original ids.
    ///
    /// Storage is the source of truth and the catalog a cache of it: the listing under the plan's key
    /// prefix (``BackupModels/NamingTemplate/listingPrefix(plan:)``) is streamed page by page, and every
    /// manifest not already known to the catalog is read (``rebuildReadConcurrency`` at a time, without its
    /// file index kept). A manifest becomes a `committed` record only when every artifact it names is in
    /// storage with the size it records; otherwise, or when its parent cannot be restored, it is a conflict.
    /// The new records are inserted in one transaction, parents before children, so incremental and binlog
    /// chains come back whole. Committed records whose artifacts are gone are marked `missing`; `missing`
    /// records whose artifacts are back become `committed` again. Artifacts without a manifest (a run that
    /// died before writing it) and uploads in progress are never records.
    ///
    /// Running twice adds nothing the second time. Holds the plan lock, so no backup of the plan runs meanwhile.
    ///
    /// - Parameter dryRun: report only; the catalog is not changed.
    /// - Throws: ``EngineError`` `locked`, a storage error from listing, or a catalog error.
    public func rebuildCatalog(dryRun: Bool = false) async throws -> RebuildReport {
        try await withPlanLock { try await rebuildLocked(dryRun: dryRun) }
    }

    private func rebuildLocked(dryRun: Bool) async throws -> RebuildReport {
        let prefix = plan.naming.listingPrefix(plan: plan.name)
        let suffix = Self.manifestKey(forArtifact: "")

        // The records the catalog already has, and the manifests they own (not read again).
        let existing = try await catalog.records(RecordQuery(plan: plan.name))
        var knownManifests = Set<String>()
        var existingIDs = Set<BackupID>()
        var labels: [String: BackupID] = [:]
        for record in existing {
            existingIDs.insert(record.id)
            labels[record.source + "\u{0}" + record.label.rawValue] = record.id
            if let data = Self.dataArtifact(of: record) { knownManifests.insert(Self.manifestKey(forArtifact: data.key)) }
        }

        // Stream the listing: object sizes (small) and the manifests to read.
        var sizes: [String: Int64] = [:]
        var manifestKeys: [String] = []
        for try await object in storage.listAll(prefix: prefix) {
            if object.key.hasSuffix(suffix) {
                if !knownManifests.contains(object.key) { manifestKeys.append(object.key) }
            } else {
                sizes[object.key] = object.sizeBytes
            }
        }

        let storedSizes = sizes

        // Whether each artifact is in storage with its recorded size: the reason when not.
        func absence(of artifacts: [ArtifactDescriptor]) async throws -> String? {
            for artifact in artifacts {
                let stored: Int64?
                if artifact.key.hasPrefix(prefix) {
                    stored = storedSizes[artifact.key]
                } else {
                    stored = try await storage.head(artifact.key)?.sizeBytes
                }
                guard let stored else { return "artifact '\(artifact.key)' is missing from storage" }
                if stored != artifact.sizeBytes {
                    return "artifact '\(artifact.key)' has \(stored) bytes in storage, the manifest records \(artifact.sizeBytes)"
                }
            }
            return nil
        }

        var report = RebuildReport(dryRun: dryRun)

        // The catalog's own records: still in storage, gone, or back.
        var toMarkMissing: [BackupID] = []
        for record in existing where record.state == .committed || record.state == .missing {
            let gone = try await absence(of: record.artifacts) != nil
            switch (record.state, gone) {
            case (.committed, false): report.present += 1
            case (.committed, true):
                toMarkMissing.append(record.id)
                report.missingInStorage.append(record.id)
            case (.missing, false): report.found.append(record.id)
            default: report.missingInStorage.append(record.id)
            }
        }

        // Read the unknown manifests, a few at a time; keep only what a record needs.
        var candidates: [BackupID: (record: BackupRecord, key: String)] = [:]
        var order: [BackupID] = []
        var refused: [BackupID: String] = [:]
        try await readManifests(manifestKeys) { key, result in
            let manifest: Manifest
            switch result {
            case .failure(let error):
                report.conflicts.append(.init(id: nil, key: key, reason: "manifest unreadable: \(error)"))
                return
            case .success(let read): manifest = read
            }
            guard manifest.plan == plan.name else { return }  // another plan sharing the prefix
            let id = manifest.backupID
            func conflict(_ reason: String) {
                report.conflicts.append(.init(id: id, key: key, reason: reason))
                refused[id] = reason
            }
            guard !existingIDs.contains(id) else { return }  // a leftover of a failed or expired record
            guard let data = manifest.artifacts.first(where: { $0.role == "data" }) ?? manifest.artifacts.first,
                Self.manifestKey(forArtifact: data.key) == key
            else {
                return conflict("the manifest does not describe an artifact stored beside it")
            }
            if let incomplete = manifest.artifacts.first(where: { !$0.isComplete }) {
                return conflict("artifact '\(incomplete.key)' lacks a size or a SHA-256 in the manifest")
            }
            if let reason = try await absence(of: manifest.artifacts) { return conflict(reason) }
            if let other = candidates[id] {
                return conflict("backup id also described by '\(other.key)'")
            }
            let labelKey = manifest.source + "\u{0}" + manifest.label.rawValue
            if let other = labels[labelKey] {
                return conflict("label \(manifest.label) of source '\(manifest.source)' is already used by backup \(other)")
            }
            labels[labelKey] = id
            candidates[id] = (manifest.committedRecord, key)
            order.append(id)
        }

        // Parents first; a child whose parent is neither in the catalog nor restorable from storage is a conflict.
        order.sort { (candidates[$0]!.record.startedAt, $0.rawValue) < (candidates[$1]!.record.startedAt, $1.rawValue) }
        var accepted: [BackupRecord] = []
        var placed = Set<BackupID>()
        func place(_ id: BackupID, depth: Int) -> String? {
            if placed.contains(id) || existingIDs.contains(id) { return nil }
            if let reason = refused[id] { return reason }
            guard let candidate = candidates[id] else { return "not in storage or the catalog" }
            if let parent = candidate.record.parentID {
                let problem = depth > 100_000 ? "parent chain loops" : place(parent, depth: depth + 1)
                if let problem {
                    let reason = "parent \(parent) cannot be restored (\(problem))"
                    refused[id] = reason
                    report.conflicts.append(.init(id: id, key: candidate.key, reason: reason))
                    return reason
                }
            }
            placed.insert(id)
            accepted.append(candidate.record)
            return nil
        }
        for id in order { _ = place(id, depth: 0) }
        report.addedIDs = accepted.map(\.id)
        report.conflicts.sort { ($0.key, $0.reason) < ($1.key, $1.reason) }

        guard !dryRun else { return report }
        if !accepted.isEmpty { try await catalog.insert(contentsOf: accepted) }
        if !toMarkMissing.isEmpty { try await catalog.markMissing(toMarkMissing, at: now()) }
        if !report.found.isEmpty { try await catalog.markFound(report.found, at: now()) }
        logger.info(
            "catalog rebuilt from storage",
            metadata: [
                "plan": "\(plan.name)", "added": "\(report.added)", "present": "\(report.present)",
                "found": "\(report.found.count)", "missing": "\(report.missingInStorage.count)",
                "conflicts": "\(report.conflicts.count)",
            ])
        for conflict in report.conflicts {
            logger.warning("manifest not rebuilt", metadata: ["key": "\(conflict.key)", "reason": "\(conflict.reason)"])
        }
        return report
    }

    /// Reads manifests with at most ``rebuildReadConcurrency`` in flight and hands each, without its
    /// file index, to `handle` in completion order (one at a time).
    private func readManifests(
        _ keys: [String], _ handle: (String, Result<Manifest, any Error>) async throws -> Void
    ) async throws {
        let storage = self.storage
        let read: @Sendable (String) async -> (String, Result<Manifest, any Error>) = { key in
            do {
                var manifest = try Manifest.decode(Data(try await storage.getBytes(key)))
                manifest.files = nil
                manifest.deletedPaths = nil
                return (key, .success(manifest))
            } catch {
                return (key, .failure(error))
            }
        }
        try await withThrowingTaskGroup(of: (String, Result<Manifest, any Error>).self) { group in
            var pending = keys.makeIterator()
            for _ in 0..<Self.rebuildReadConcurrency {
                guard let key = pending.next() else { break }
                group.addTask { await read(key) }
            }
            while let (key, result) = try await group.next() {
                if let next = pending.next() { group.addTask { await read(next) } }
                try await handle(key, result)
            }
        }
    }
}
