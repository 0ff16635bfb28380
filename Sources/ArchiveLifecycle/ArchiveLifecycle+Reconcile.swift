import BackupCatalog
import BackupModels
import Foundation
import Logging

/// What a cycle knows about a table's snapshots after reconciling the repository with the catalog.
struct KnownSnapshots {
    /// Every snapshot of the table in the repository, as last seen.
    var snapshots: [ClusterSnapshot]
    /// Snapshots still IN_PROGRESS (their indices are neither archived again nor deleted).
    var running: [ClusterSnapshot]
    /// The catalog's rows of the table in this repository, by index name.
    var rows: [String: [ArchivedIndex]]

    /// Whether `index`, as the cluster reports it now, is provably archived: a SUCCESS snapshot (as
    /// `GET _snapshot` reports it) holds it, and the catalog holds its row in that snapshot with the same
    /// UUID and document count.
    func proves(_ index: ClusterIndex) -> Bool {
        guard let uuid = index.uuid, let count = index.documentCount else { return false }
        let successful = Set(snapshots.filter { $0.state == .success && $0.indices.contains(index.name) }.map(\.name))
        return (rows[index.name] ?? []).contains { row in
            successful.contains(row.snapshot) && row.indexUUID == uuid && row.docCount == count
        }
    }

    /// Takes note of a snapshot that succeeded and the rows just recorded for it.
    mutating func record(_ snapshot: ClusterSnapshot, rows new: [ArchivedIndex]) {
        snapshots.removeAll { $0.name == snapshot.name }
        snapshots.append(snapshot)
        running.removeAll { $0.name == snapshot.name }
        for row in new {
            rows[row.index, default: []].removeAll { $0.snapshot == row.snapshot }
            rows[row.index, default: []].append(row)
        }
    }
}

extension ArchiveLifecycle {
    /// Compares the table's snapshots in the repository with the catalog and makes the catalog true:
    /// - a SUCCESS snapshot without (all) its rows gets them, from the facts kept beside it, or from the
    ///   live indices while they exist (snapshots taken before facts were kept);
    /// - an IN_PROGRESS snapshot is polled (within ``Options-swift.struct/maxPolls``) and left alone if it
    ///   still runs; it is never started twice;
    /// - a recorded `in_progress` attempt the cluster reports FAILED or PARTIAL, or does not have, is
    ///   recorded as failed: a stale `in_progress` never stays;
    /// - a recorded SUCCESS snapshot the repository no longer has is marked gone and its rows forgotten,
    ///   so restores stop offering its data.
    func reconcile(
        _ config: ArchiveConfig, snapshots listed: [ClusterSnapshot], live: [ClusterIndex], now: Date,
        report: inout ArchiveTableReport
    ) async throws -> KnownSnapshots {
        let records = try await catalog.archiveSnapshots(tableID: config.tableID).filter { $0.repository == config.repository }
        let recorded = Dictionary(records.map { ($0.snapshot, $0) }, uniquingKeysWith: { _, last in last })
        var snapshots: [ClusterSnapshot] = []
        for snapshot in listed {
            guard snapshot.state == .inProgress else {
                snapshots.append(snapshot)
                continue
            }
            if recorded[snapshot.name] == nil {
                // Started by a run that died before recording it (or by hand): adopt it, never duplicate it.
                try await catalog.save(
                    ArchiveSnapshotRecord(
                        repository: config.repository, snapshot: snapshot.name, archiveConfigID: config.id, tableID: config.tableID,
                        state: .inProgress, attempts: 1, indices: snapshot.indices.sorted(), startedAt: snapshot.startTime ?? now))
            }
            snapshots.append(try await poll(snapshot.name, in: config.repository))
        }

        // Failed attempts from earlier runs, and stale in_progress records.
        let inRepository = Dictionary(snapshots.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        for var record in records where record.state == .inProgress {
            let state = inRepository[record.snapshot]?.state
            guard state != .inProgress, state != .success else { continue }
            record.state = state == .partial ? .partial : .failed
            record.finishedAt = now
            record.failureReason =
                state == nil
                ? "the repository has no such snapshot: its start never reached the cluster, or it was deleted"
                : (inRepository[record.snapshot]?.failureReason ?? "the cluster reported \(state?.rawValue ?? "")")
            try await catalog.save(record)
        }
        let vanished = records.filter { $0.state == .success && inRepository[$0.snapshot] == nil }
        if !vanished.isEmpty, inRepository.isEmpty, vanished.count > 1 {
            // Every recorded snapshot vanished at once: more likely an unmounted or re-pointed repository than
            // deletions. Forgetting the rows would hide the archive; say so and change nothing.
            report.notes.append(
                "repository \(config.repository) lists none of the table's \(vanished.count) recorded snapshots; "
                    + "not marking them gone — check that the repository's storage is mounted and registered at the same location")
            return try await finishReconcile(config, snapshots: snapshots, recorded: recorded, live: live, now: now, report: &report)
        }
        for record in vanished {
            let reason = "the snapshot left repository \(config.repository) out of band; its data can no longer be restored"
            try await catalog.markArchiveSnapshotGone(repository: config.repository, snapshot: record.snapshot, reason: reason, at: now)
            report.goneSnapshots.append(record.snapshot)
            logger.warning("archived snapshot gone", metadata: ["snapshot": "\(record.snapshot)", "table": "\(config.tableID)"])
        }

        return try await finishReconcile(config, snapshots: snapshots, recorded: recorded, live: live, now: now, report: &report)
    }

    /// Records the rows SUCCESS snapshots lack, and returns what the cycle knows.
    private func finishReconcile(
        _ config: ArchiveConfig, snapshots: [ClusterSnapshot], recorded: [String: ArchiveSnapshotRecord], live: [ClusterIndex],
        now: Date, report: inout ArchiveTableReport
    ) async throws -> KnownSnapshots {
        var rows = try await tableRows(config)
        let unrecorded = snapshots.filter { snapshot in
            guard snapshot.state == .success else { return false }
            let tableIndices = snapshot.indices.filter { config.parseIndex($0) != nil }
            let held = Set(tableIndices)
            let recordedRows = rows.values.joined().filter { $0.snapshot == snapshot.name && held.contains($0.index) }
            return recorded[snapshot.name]?.state != .success || recordedRows.count < tableIndices.count
        }
        if !unrecorded.isEmpty {
            try await recordRows(of: unrecorded, config: config, recorded: recorded, live: live, now: now, report: &report)
            rows = try await tableRows(config)
        }
        return KnownSnapshots(snapshots: snapshots, running: snapshots.filter { $0.state == .inProgress }, rows: rows)
    }

    /// Records the rows of SUCCESS snapshots from their facts, else from the live indices.
    private func recordRows(
        of snapshots: [ClusterSnapshot], config: ArchiveConfig, recorded: [String: ArchiveSnapshotRecord], live: [ClusterIndex],
        now: Date, report: inout ArchiveTableReport
    ) async throws {
        let facts = try await cluster.facts(of: snapshots.map(\.name), in: config.repository, index: options.factsIndex)
        let liveByName = Dictionary(live.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let withoutFacts = snapshots.filter { facts[$0.name] == nil }.flatMap(\.indices).filter { liveByName[$0]?.unreadableReason == nil }
        let ranges =
            withoutFacts.isEmpty
            ? IndexTimeRanges() : try await cluster.timeRanges(of: Array(Set(withoutFacts)).sorted(), field: options.timeField)
        for snapshot in snapshots {
            let held = Set(snapshot.indices)
            var rows: [ArchivedIndex]
            if let kept = facts[snapshot.name], kept.tableID == config.tableID {
                if let digest = snapshot.metadata["facts_digest"], digest != kept.digest {
                    report.notes.append("snapshot \(snapshot.name): its facts do not match the digest in its metadata; not recorded")
                    continue
                }
                rows = kept.rows(heldBy: held)
            } else {
                // A snapshot without facts (taken before facts were kept): the live indices it holds.
                let indices = snapshot.indices.compactMap { liveByName[$0] }.filter { $0.unreadableReason == nil }
                let built = SnapshotFacts(
                    repository: config.repository, snapshot: snapshot.name, tableID: config.tableID, archiveConfigID: config.id,
                    createdMillis: SnapshotFacts.millis(now),
                    indices: indices.map {
                        SnapshotFacts.Index($0, ranges: ranges, datetime: config.parseIndex($0.name)?.datetime, now: now)
                    })
                rows = built.rows(heldBy: held)
                let missing = snapshot.indices.filter { name in config.parseIndex(name) != nil && !rows.contains { $0.index == name } }
                if !missing.isEmpty {
                    report.notes.append(
                        "snapshot \(snapshot.name) has no facts and holds indices no longer readable in the cluster "
                            + "(\(missing.joined(separator: ", "))): they cannot be recorded and restores will not offer them")
                }
            }
            var record =
                recorded[snapshot.name]
                ?? ArchiveSnapshotRecord(
                    repository: config.repository, snapshot: snapshot.name, archiveConfigID: config.id, tableID: config.tableID,
                    state: .success, attempts: 1, indices: snapshot.indices.sorted(), startedAt: snapshot.startTime ?? now)
            record.state = .success
            record.finishedAt = record.finishedAt ?? snapshot.endTime ?? now
            record.failureReason = nil
            record.indices = snapshot.indices.sorted()
            try await catalog.commit(record, indices: rows)
            report.reconciledSnapshots.append(snapshot.name)
        }
    }

    /// The catalog's rows of the table in the configuration's repository, by index.
    private func tableRows(_ config: ArchiveConfig) async throws -> [String: [ArchivedIndex]] {
        let all = try await catalog.archivedIndices(tableID: config.tableID, overlapping: .distantPast, .distantFuture)
        return Dictionary(grouping: all.filter { $0.repository == config.repository }, by: \.index)
    }
}
