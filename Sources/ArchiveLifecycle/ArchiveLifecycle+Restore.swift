import BackupCatalog
public import BackupModels
public import Foundation
import Logging
public import Retention

extension ArchiveLifecycle {
    /// The prefix restored indices get (`rename_pattern (.+)` → `restore_$1`).
    public static let restorePrefix = "restore_"

    /// Validates a restore, records it and starts restoring its indices, one request per snapshot.
    ///
    /// The archived indices whose time range overlaps `[start, end]` (both inclusive, UTC instants) are
    /// chosen (an index whose range could not be read is chosen for every range up to its archive time).
    /// Restored indices that already exist are shared only when another live restore owns them; a
    /// `restore_*` index that no live restore lists is an error naming it, never adopted. Restored names
    /// longer than 255 bytes are refused before any request. The disk check asks every data node: after
    /// an even share of this restore and of the restores still in flight, the fullest node must stay
    /// within ``Options-swift.struct/diskLimit``. On clusters before 6.6 (one restore at a time) the
    /// snapshots are restored one after another: the rest wait in ``BackupModels/RestoreConfig/waitingIndices``
    /// and each refresh sends the next. Nothing is recorded until the request is valid, data exists and
    /// the disk check passes. Restored indices never inherit the original's lifecycle policy or
    /// allocation filters (``ClusterRestoreRequest/inheritedSettingsToIgnore``).
    ///
    /// - Parameters:
    ///   - request: The table, range and expiry.
    ///   - now: The current time.
    /// - Returns: The recorded restore: `running`, or `failed` with the reason if the cluster refused it.
    /// - Throws: ``BackupModels/ModelError`` naming `start_time` or `expires_at`;
    ///   ``ArchiveError/Code-swift.struct/noArchivedData``; ``ArchiveError/Code-swift.struct/invalidName``
    ///   for a restored name over 255 bytes; ``ArchiveError/Code-swift.struct/conflict`` for a `restore_*`
    ///   index no live restore owns; ``ArchiveError/Code-swift.struct/insufficientDisk``; a cluster error.
    public func startRestore(_ request: ArchiveRestoreRequest, now: Date) async throws -> RestoreConfig {
        var restore = RestoreConfig(
            businessID: request.businessID, indexSetID: request.indexSetID, indexSetName: request.indexSetName,
            tableID: request.tableID, startTime: request.start, endTime: request.end, expiresAt: request.expiresAt,
            state: .pending, createdAt: now, notifyUsers: request.notifyUsers)
        try restore.validate(now: now)
        let chosen = try await restoreCandidates(tableID: request.tableID, start: request.start, end: request.end)
        for index in chosen where (Self.restorePrefix + index.index).utf8.count > 255 {
            throw ArchiveError(
                code: .invalidName, subject: Self.restorePrefix + index.index,
                message: "the restored index name would be \((Self.restorePrefix + index.index).utf8.count) bytes; the cluster allows 255")
        }
        let live = try await catalog.restores(states: [.pending, .running, .done])
        let owned = Set(live.flatMap(\.indices))
        let existing = Set(try await cluster.restoredIndices(matching: restorePattern(of: request.tableID)).map(\.name))
        if let stranger = chosen.map({ Self.restorePrefix + $0.index }).first(where: { existing.contains($0) && !owned.contains($0) }) {
            throw ArchiveError(
                code: .conflict, subject: stranger,
                message: "the cluster holds this index but no live restore owns it; delete it (or let its owner expire) "
                    + "before restoring this range")
        }
        let toRestore = chosen.filter { !existing.contains(Self.restorePrefix + $0.index) }
        try await checkDisk(
            adding: toRestore.reduce(Int64(0)) { $0 + $1.storeSizeBytes }, count: toRestore.count, live: live, table: request.tableID)
        restore.indices = chosen.map { Self.restorePrefix + $0.index }
        restore.totalDocCount = chosen.reduce(0) { $0 + $1.docCount }
        restore.totalStoreSizeBytes = chosen.reduce(0) { $0 + $1.storeSizeBytes }
        restore.waitingIndices = toRestore.map { Self.restorePrefix + $0.index }.sorted()
        try await catalog.save(restore)

        restore.state = .running
        restore.startedAt = now
        return try await sendWaitingRestores(restore, candidates: chosen, now: now)
    }

    /// Sends the restore requests of a restore's waiting indices, one per snapshot: all of them, or on a
    /// cluster that restores one at a time, the next snapshot's once nothing else is being restored.
    private func sendWaitingRestores(_ restore: RestoreConfig, candidates: [ArchivedIndex], now: Date) async throws -> RestoreConfig {
        var restore = restore
        guard !restore.waitingIndices.isEmpty else {
            try await catalog.save(restore)
            return restore
        }
        let waiting = Set(restore.waitingIndices)
        let rows = candidates.filter { waiting.contains(Self.restorePrefix + $0.index) }
        let groups = Dictionary(grouping: rows) { SnapshotKey(repository: $0.repository, snapshot: $0.snapshot) }
        let oneAtATime = try await cluster.limits().oneRestoreAtATime
        if oneAtATime {
            let states = try await cluster.restoredIndices(matching: Self.restorePrefix + "*")
            if states.contains(where: { $0.health == "red" && $0.failure == nil }) {
                try await catalog.save(restore)
                return restore
            }
        }
        var budget = ClusterWaitBudget(total: options.clusterWaitBudget, initial: options.clusterWaitInitial)
        for key in groups.keys.sorted() {
            let indices = (groups[key] ?? []).map(\.index).sorted()
            do {
                try await waitingOnLimits(&budget, "restore from \(key.snapshot)") {
                    try await cluster.restore(ClusterRestoreRequest(repository: key.repository, snapshot: key.snapshot, indices: indices))
                }
            } catch let error as ArchiveError where error.code == .busy {
                break  // still waiting: the next refresh sends it
            } catch {
                return try await finish(restore, state: .failed, reason: "restoring from \(key.snapshot): \(error)", now: now)
            }
            let sent = Set(indices.map { Self.restorePrefix + $0 })
            restore.waitingIndices.removeAll { sent.contains($0) }
            if oneAtATime { break }
        }
        try await catalog.save(restore)
        return restore
    }

    /// Refuses a restore that would fill a data node past the limit: each node takes an even share of
    /// `bytes` and of what live restores still have to bring back.
    private func checkDisk(adding bytes: Int64, count: Int, live: [RestoreConfig], table: String) async throws {
        let nodes = try await cluster.dataNodeDisks().filter { $0.totalBytes > 0 }
        guard !nodes.isEmpty else { return }
        let inFlight = live.filter { $0.state == .running || $0.state == .pending }.reduce(Int64(0)) { sum, restore in
            let left = restore.totalDocCount > 0 ? 1 - Double(restore.restoredDocCount) / Double(restore.totalDocCount) : 1
            return sum + Int64(Double(restore.totalStoreSizeBytes) * max(0, min(1, left)))
        }
        let share = (bytes + inFlight) / Int64(nodes.count)
        let fullest = nodes.max {
            Double($0.usedBytes + share) / Double($0.totalBytes) < Double($1.usedBytes + share) / Double($1.totalBytes)
        }
        guard let fullest, Double(fullest.usedBytes + share) > Double(fullest.totalBytes) * options.diskLimit else { return }
        throw ArchiveError(
            code: .insufficientDisk, subject: table,
            message: "restoring \(count) indices (\(bytes) bytes, plus \(inFlight) bytes of restores in flight) would fill node "
                + "\(fullest.node) to \(Int(Double(fullest.usedBytes + share) / Double(fullest.totalBytes) * 100))% of its "
                + "\(fullest.totalBytes) bytes, past \(Int(options.diskLimit * 100))%; narrow the time range or free space")
    }

    /// The pattern of a table's restored indices (both layouts).
    private func restorePattern(of tableID: String) -> String {
        Self.restorePrefix + "*" + ArchiveConfig.indexPrefix(of: tableID) + "_*"
    }

    /// Updates a restore from the cluster, index by index: an index is done when it is readable (not red)
    /// with the archived document count; the restore fails, with the reason, as soon as a restored index's
    /// recovery failed, or an index that was requested disappeared; past ``Options-swift.struct/restoreTimeout``
    /// it fails naming what is missing. Waiting snapshots are sent when the cluster may take them. One
    /// `restore_finished` event is sent when it reaches `done` or `failed`.
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
        let candidates = try await catalog.archivedIndices(tableID: restore.tableID, overlapping: restore.startTime, restore.endTime)
        var expected: [String: Int64] = [:]
        for row in Self.latestPerIndex(candidates) { expected[Self.restorePrefix + row.index] = row.docCount }
        let states = Dictionary(
            try await cluster.restoredIndices(matching: restorePattern(of: restore.tableID)).map { ($0.name, $0) },
            uniquingKeysWith: { first, _ in first })
        let waiting = Set(restore.waitingIndices)
        let requested = restore.indices.filter { !waiting.contains($0) }
        var failures: [String] = []
        var done = 0
        restore.restoredDocCount = 0
        for name in requested {
            guard let state = states[name] else {
                failures.append("\(name) disappeared from the cluster")
                continue
            }
            restore.restoredDocCount += state.documentCount ?? 0
            if let failure = state.failure {
                failures.append("\(name): recovery failed: \(failure)")
            } else if state.health != "red", state.health != nil, let count = state.documentCount, count >= (expected[name] ?? 0) {
                done += 1
            }
        }
        if !failures.isEmpty {
            return try await finish(restore, state: .failed, reason: failures.joined(separator: "; "), now: now)
        }
        if done == restore.indices.count {
            return try await finish(restore, state: .done, reason: nil, now: now)
        }
        if let started = restore.startedAt, now.timeIntervalSince(started) > options.restoreTimeout {
            let missing = restore.indices.filter { name in
                guard let state = states[name], let count = state.documentCount else { return true }
                return state.health == "red" || count < (expected[name] ?? 0)
            }
            return try await finish(
                restore, state: .failed,
                reason: "not complete after \(Int(options.restoreTimeout)) s: \(restore.restoredDocCount) of "
                    + "\(restore.totalDocCount) documents; incomplete \(missing.joined(separator: ","))", now: now)
        }
        if !restore.waitingIndices.isEmpty, done == requested.count {
            return try await sendWaitingRestores(restore, candidates: Self.latestPerIndex(candidates), now: now)
        }
        try await catalog.save(restore)
        return restore
    }

    /// Refreshes every `pending` or `running` restore (see ``refreshRestore(id:now:)``); errors are
    /// logged per restore and do not stop the others. The daily cycle and ``expireRestores(now:)`` call
    /// it, so restores finish, fail and notify with nobody polling.
    /// - Parameter now: The current time.
    /// - Returns: The restores as recorded after the refresh.
    @discardableResult
    public func refreshLiveRestores(now: Date) async -> [RestoreConfig] {
        let live: [RestoreConfig]
        do {
            live = try await catalog.restores(states: [.pending, .running])
        } catch {
            logger.error("cannot list live restores", metadata: ["error": "\(error)"])
            return []
        }
        var refreshed: [RestoreConfig] = []
        for restore in live {
            do {
                refreshed.append(try await refreshRestore(id: restore.id, now: now))
            } catch {
                logger.warning("restore not refreshed", metadata: ["restore": "\(restore.id)", "error": "\(error)"])
                refreshed.append(restore)
            }
        }
        return refreshed
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

    /// Refreshes live restores, then expires the restores whose expiry passed: deletes their restored indices, except those another
    /// live restore lists by exact name, in URL-length-safe batches, then marks them `expired`.
    /// - Parameter now: The current time.
    /// - Returns: What was expired, deleted and kept.
    /// - Throws: A catalog or cluster error; restores whose indices could not be deleted stay unexpired
    ///   and the next call tries again.
    @discardableResult
    public func expireRestores(now: Date) async throws -> RestoreExpiryPlan {
        await refreshLiveRestores(now: now)
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
        let latest = Self.latestPerIndex(try await catalog.archivedIndices(tableID: tableID, overlapping: start, end))
        guard !latest.isEmpty else {
            throw ArchiveError(
                code: .noArchivedData, subject: tableID,
                message: "no archived index of this table holds data between \(ISO8601.string(from: start)) and "
                    + "\(ISO8601.string(from: end))")
        }
        return latest
    }

    /// One row per index, its latest archive, ordered by start time and name.
    static func latestPerIndex(_ rows: [ArchivedIndex]) -> [ArchivedIndex] {
        var latest: [String: ArchivedIndex] = [:]
        for row in rows where (latest[row.index]?.archivedAt ?? .distantPast) <= row.archivedAt { latest[row.index] = row }
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
