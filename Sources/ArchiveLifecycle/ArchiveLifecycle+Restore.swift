import BackupCatalog
public import BackupModels
public import Foundation
public import Retention

extension ArchiveLifecycle {
    /// The prefix restored indices get (`rename_pattern (.+)` → `restore_$1`).
    public static let restorePrefix = "restore_"

    /// Validates a restore, records it and starts restoring its indices, one request per snapshot.
    ///
    /// The archived indices whose time range overlaps `[start, end]` (both inclusive, UTC instants) are
    /// chosen. Restored indices that already exist (another live restore brought them back) are shared,
    /// not restored again. Nothing is recorded until the request is valid, data exists and the disk
    /// check passes.
    ///
    /// - Parameters:
    ///   - request: The table, range and expiry.
    ///   - now: The current time.
    /// - Returns: The recorded restore: `running`, or `failed` with the reason if the cluster refused it.
    /// - Throws: ``BackupModels/ModelError`` naming `start_time` or `expires_at`;
    ///   ``ArchiveError/Code-swift.struct/noArchivedData``; ``ArchiveError/Code-swift.struct/insufficientDisk``
    ///   when used disk plus the restore's size would pass ``Options-swift.struct/diskLimit`` of the
    ///   cluster's disk; a cluster error.
    public func startRestore(_ request: ArchiveRestoreRequest, now: Date) async throws -> RestoreConfig {
        var restore = RestoreConfig(
            businessID: request.businessID, indexSetID: request.indexSetID, indexSetName: request.indexSetName,
            tableID: request.tableID, startTime: request.start, endTime: request.end, expiresAt: request.expiresAt,
            state: .pending, createdAt: now, notifyUsers: request.notifyUsers)
        try restore.validate(now: now)
        let chosen = try await restoreCandidates(tableID: request.tableID, start: request.start, end: request.end)
        let prefix = ArchiveConfig.indexPrefix(of: request.tableID)
        let existing = Set(try await cluster.listIndices(matching: Self.restorePrefix + prefix + "_*").map(\.name))
        let toRestore = chosen.filter { !existing.contains(Self.restorePrefix + $0.index) }
        let size = toRestore.reduce(Int64(0)) { $0 + $1.storeSizeBytes }
        let disk = try await cluster.diskUsage()
        let limit = Int64(Double(disk.totalBytes) * options.diskLimit)
        guard disk.usedBytes + size <= limit else {
            throw ArchiveError(
                code: .insufficientDisk, subject: request.tableID,
                message: "restoring \(toRestore.count) indices (\(size) bytes) onto \(disk.usedBytes) used of "
                    + "\(disk.totalBytes) bytes would pass \(Int(options.diskLimit * 100))% of the cluster's disk; "
                    + "narrow the time range or free space")
        }
        restore.indices = chosen.map { Self.restorePrefix + $0.index }
        restore.totalDocCount = chosen.reduce(0) { $0 + $1.docCount }
        restore.totalStoreSizeBytes = chosen.reduce(0) { $0 + $1.storeSizeBytes }
        try await catalog.save(restore)

        restore.state = .running
        restore.startedAt = now
        let groups = Dictionary(grouping: toRestore) { SnapshotKey(repository: $0.repository, snapshot: $0.snapshot) }
        for key in groups.keys.sorted() {
            let indices = (groups[key] ?? []).map(\.index).sorted()
            do {
                try await cluster.restore(ClusterRestoreRequest(repository: key.repository, snapshot: key.snapshot, indices: indices))
            } catch {
                return try await finish(restore, state: .failed, reason: "restoring from \(key.snapshot): \(error)", now: now)
            }
        }
        try await catalog.save(restore)
        return restore
    }

    /// Updates a restore's progress from the restored indices' document counts; marks it `done` once
    /// every index is back with all its documents, or `failed` past ``Options-swift.struct/restoreTimeout``.
    /// One `restore_finished` event is sent when it reaches `done` or `failed`.
    ///
    /// - Parameters:
    ///   - id: The restore.
    ///   - now: The current time.
    /// - Returns: The restore as recorded.
    /// - Throws: ``ArchiveError/Code-swift.struct/notFound``; a cluster error (nothing changes).
    public func refreshRestore(id: String, now: Date) async throws -> RestoreConfig {
        guard var restore = try await catalog.restore(id: id) else {
            throw ArchiveError(code: .notFound, subject: id, message: "no restore with this id")
        }
        guard restore.state == .running || restore.state == .pending else { return restore }
        let prefix = ArchiveConfig.indexPrefix(of: restore.tableID)
        let counts = Dictionary(
            try await cluster.listIndices(matching: Self.restorePrefix + prefix + "_*").map { ($0.name, $0.documentCount) },
            uniquingKeysWith: { first, _ in first })
        restore.restoredDocCount = restore.indices.reduce(0) { $0 + (counts[$1] ?? 0) }
        let complete = restore.indices.allSatisfy { counts[$0] != nil } && restore.restoredDocCount >= restore.totalDocCount
        if complete {
            return try await finish(restore, state: .done, reason: nil, now: now)
        }
        if let started = restore.startedAt, now.timeIntervalSince(started) > options.restoreTimeout {
            let missing = restore.indices.filter { counts[$0] == nil }
            return try await finish(
                restore, state: .failed,
                reason: "not complete after \(Int(options.restoreTimeout)) s: \(restore.restoredDocCount) of "
                    + "\(restore.totalDocCount) documents; missing \(missing.joined(separator: ","))", now: now)
        }
        try await catalog.save(restore)
        return restore
    }

    /// Polls ``refreshRestore(id:now:)`` until the restore is `done` or `failed`, at most
    /// ``Options-swift.struct/maxPolls`` times, pausing between polls.
    /// - Parameters:
    ///   - id: The restore.
    ///   - now: The current time at each poll.
    /// - Returns: The restore as recorded at the last poll.
    public func waitForRestore(id: String, now: @Sendable () -> Date) async throws -> RestoreConfig {
        var restore = try await refreshRestore(id: id, now: now())
        var polls = 1
        while restore.state == .running || restore.state == .pending, polls < options.maxPolls {
            try await sleep(options.pollInterval)
            restore = try await refreshRestore(id: id, now: now())
            polls += 1
        }
        return restore
    }

    /// Moves a restore's expiry.
    /// - Parameters:
    ///   - id: The restore.
    ///   - date: The new expiry; it must be after `now`.
    ///   - now: The current time.
    /// - Returns: The restore as recorded.
    /// - Throws: ``BackupModels/ModelError`` naming `expires_at`; ``ArchiveError/Code-swift.struct/notFound``
    ///   for an unknown or already expired restore.
    public func extendRestore(id: String, until date: Date, now: Date) async throws -> RestoreConfig {
        guard var restore = try await catalog.restore(id: id), restore.state != .expired else {
            throw ArchiveError(code: .notFound, subject: id, message: "no live restore with this id")
        }
        restore.expiresAt = date
        try restore.validate(now: now)
        try await catalog.save(restore)
        return restore
    }

    /// Expires the restores whose expiry passed: deletes their restored indices, except those another
    /// live restore lists by exact name, in URL-length-safe batches, then marks them `expired`.
    /// - Parameter now: The current time.
    /// - Returns: What was expired, deleted and kept.
    /// - Throws: A catalog or cluster error; restores whose indices could not be deleted stay unexpired
    ///   and the next call tries again.
    @discardableResult
    public func expireRestores(now: Date) async throws -> RestoreExpiryPlan {
        let restores = try await catalog.restores(states: nil)
        let plan = RestoreExpiry.plan(for: restores, now: now)
        for batch in plan.deletionBatches() { try await cluster.removeIndices(batch) }
        let expiring = Set(plan.expiring)
        for var restore in restores where expiring.contains(restore.id) {
            restore.state = .expired
            if restore.finishedAt == nil { restore.finishedAt = now }
            try await catalog.save(restore)
        }
        return plan
    }

    /// The archived indices a restore of `[start, end]` would bring back: those whose time range overlaps
    /// it (both ends inclusive, UTC), one row per index (its latest archive when it is in several
    /// snapshots), ordered by start time.
    /// - Throws: ``ArchiveError/Code-swift.struct/noArchivedData`` when there is none.
    public func restoreCandidates(tableID: String, start: Date, end: Date) async throws -> [ArchivedIndex] {
        let rows = try await catalog.archivedIndices(tableID: tableID, overlapping: start, end)
        var latest: [String: ArchivedIndex] = [:]
        for row in rows where (latest[row.index]?.archivedAt ?? .distantPast) <= row.archivedAt { latest[row.index] = row }
        guard !latest.isEmpty else {
            throw ArchiveError(
                code: .noArchivedData, subject: tableID,
                message: "no archived index of this table holds data between \(ISO8601.string(from: start)) and "
                    + "\(ISO8601.string(from: end))")
        }
        return latest.values.sorted { ($0.startTime, $0.index) < ($1.startTime, $1.index) }
    }

    /// Records a final state once and sends its single notification.
    private func finish(_ restore: RestoreConfig, state: RestoreState, reason: String?, now: Date) async throws -> RestoreConfig {
        var finished = restore
        finished.state = state
        finished.failureReason = reason
        finished.finishedAt = now
        if finished.startedAt == nil { finished.startedAt = now }
        let notify = !finished.isNotified
        finished.isNotified = true
        try await catalog.save(finished)
        if notify {
            let milliseconds = Int64(((finished.duration ?? 0) * 1000).rounded())
            await deliver(
                .restoreFinished(
                    restoreID: finished.id, indices: finished.indices, documentCount: finished.restoredDocCount,
                    duration: .milliseconds(milliseconds), state: state, at: now))
        }
        return finished
    }
}

/// A snapshot in a repository, to group a restore's indices.
package struct SnapshotKey: Hashable, Comparable {
    package var repository: String
    package var snapshot: String

    package static func < (lhs: SnapshotKey, rhs: SnapshotKey) -> Bool {
        (lhs.repository, lhs.snapshot) < (rhs.repository, rhs.snapshot)
    }
}

extension ArchiveConfig {
    /// The index prefix of a table id (see ``indexPrefix``).
    public static func indexPrefix(of tableID: String) -> String {
        tableID.replacingOccurrences(of: ".", with: "_").lowercased()
    }
}
