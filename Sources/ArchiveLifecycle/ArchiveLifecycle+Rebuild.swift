import BackupCatalog
import BackupModels
public import Foundation

/// What ``ArchiveLifecycle/rebuildCatalog(repository:tableID:now:)`` found and did.
public struct CatalogRebuildReport: Hashable, Sendable, Codable {
    enum CodingKeys: String, CodingKey {
        case repository
        case examined, recorded, unchanged, conflicts
        case withoutFacts = "without_facts"
        case notSuccessful = "not_successful"
    }

    /// A snapshot whose facts disagree with what the catalog holds, or with the snapshot itself.
    public struct Conflict: Hashable, Sendable, Codable {
        /// The snapshot.
        public var snapshot: String
        /// What disagrees.
        public var reason: String
    }

    /// The repository rebuilt from.
    public var repository: String
    /// Archive snapshots examined (SUCCESS or not).
    public var examined: [String] = []
    /// Snapshots whose rows were written by this rebuild.
    public var recorded: [String] = []
    /// Snapshots whose rows the catalog already held exactly.
    public var unchanged: [String] = []
    /// Snapshots left as they were because their facts disagree (never overwritten silently).
    public var conflicts: [Conflict] = []
    /// SUCCESS snapshots without facts beside them: their rows cannot be rebuilt.
    public var withoutFacts: [String] = []
    /// Snapshots that are not SUCCESS (PARTIAL, FAILED, IN_PROGRESS): nothing to record.
    public var notSuccessful: [String] = []
}

extension ArchiveLifecycle {
    /// Rebuilds the archive's snapshot records and archived-index rows from the repository and the facts
    /// kept beside each snapshot alone (``SnapshotFacts``), for example after the catalog was lost.
    ///
    /// Idempotent: rows the catalog already holds exactly are left alone; facts that disagree with the
    /// catalog (another UUID, count or range) or with the snapshot (a digest in its metadata that does
    /// not match, an index it does not hold) are reported as conflicts and never overwrite anything.
    /// Archive configurations are not rebuilt (they are the operator's input); rows name the
    /// configuration id their facts carry.
    ///
    /// - Parameters:
    ///   - repository: The snapshot repository.
    ///   - tableID: Only this table's snapshots (`<index name>_snapshot_*`), or every archive snapshot
    ///     (`*_snapshot_*`) when `nil`.
    ///   - now: The current time.
    /// - Returns: What was examined, recorded, unchanged, in conflict, or without facts.
    /// - Throws: ``ArchiveError/Code-swift.struct/invalidName`` for a bad repository name; a cluster or
    ///   catalog error.
    public func rebuildCatalog(repository: String, tableID: String? = nil, now: Date) async throws -> CatalogRebuildReport {
        try ArchiveNames.validateRepository(repository)
        let pattern = tableID.map { ArchiveConfig.indexPrefix(of: $0) + "_snapshot_*" } ?? "*_snapshot_*"
        let snapshots = try await cluster.listSnapshots(in: repository, matching: pattern).sorted { $0.name < $1.name }
        var report = CatalogRebuildReport(repository: repository)
        report.examined = snapshots.map(\.name)
        let successful = snapshots.filter { $0.state == .success }
        report.notSuccessful = snapshots.filter { $0.state != .success }.map(\.name)
        let facts =
            successful.isEmpty ? [:] : try await cluster.facts(of: successful.map(\.name), in: repository, index: options.factsIndex)
        for snapshot in successful {
            guard let kept = facts[snapshot.name] else {
                report.withoutFacts.append(snapshot.name)
                continue
            }
            if let tableID, kept.tableID != tableID {
                report.conflicts.append(.init(snapshot: snapshot.name, reason: "its facts belong to table \(kept.tableID)"))
                continue
            }
            if let digest = snapshot.metadata["facts_digest"], digest != kept.digest {
                report.conflicts.append(.init(snapshot: snapshot.name, reason: "its facts do not match the digest in its metadata"))
                continue
            }
            let held = Set(snapshot.indices)
            let rows = kept.rows(heldBy: held)
            let existing = try await catalog.archivedIndices(repository: repository, snapshot: snapshot.name)
            let record = try await catalog.archiveSnapshot(repository: repository, snapshot: snapshot.name)
            if !existing.isEmpty || record != nil {
                let same = record?.state == .success && Set(existing) == Set(rows)
                if same {
                    report.unchanged.append(snapshot.name)
                } else {
                    report.conflicts.append(
                        .init(
                            snapshot: snapshot.name,
                            reason: "the catalog holds \(existing.count) rows (record \(record?.state.rawValue ?? "absent")) "
                                + "that differ from its \(rows.count) facts; left as they are"))
                }
                continue
            }
            let success = ArchiveSnapshotRecord(
                repository: repository, snapshot: snapshot.name, archiveConfigID: kept.archiveConfigID, tableID: kept.tableID,
                state: .success, attempts: 1, indices: snapshot.indices.sorted(),
                startedAt: snapshot.startTime ?? Date(timeIntervalSince1970: Double(kept.createdMillis) / 1000),
                finishedAt: snapshot.endTime ?? now)
            try await catalog.commit(success, indices: rows)
            report.recorded.append(snapshot.name)
        }
        return report
    }
}
