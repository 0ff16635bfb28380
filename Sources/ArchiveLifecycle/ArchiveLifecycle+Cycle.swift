import BackupCatalog
public import BackupModels
public import Foundation
import Logging

extension ArchiveLifecycle {
    /// Runs the daily cycle for every enabled configuration, one table after the other.
    ///
    /// For each table: the indices due at `now` (see ``BackupModels/ArchiveConfig/isDue(indexDay:now:)``)
    /// that hold documents and are not yet in a successful snapshot go into today's snapshot
    /// `<table>_snapshot_<YYYYMMDD>`; FAILED or PARTIAL attempts are reported and retried up to
    /// ``Options-swift.struct/maxSnapshotAttempts`` times per day (all runs of the day together); due
    /// indices held by a successful snapshot, and empty due indices, are deleted; snapshots past
    /// `snapshot_days` are deleted with their records. Safe to run several times a day.
    ///
    /// A table's failure (an unreachable cluster, a missing repository) is written into its report and
    /// does not stop the other tables.
    /// - Parameter now: The current time.
    /// - Returns: One report per enabled configuration.
    public func runDailyCycle(now: Date) async -> [ArchiveTableReport] {
        let configs: [ArchiveConfig]
        do {
            configs = try await catalog.archiveConfigs(tableID: nil).filter(\.isEnabled)
        } catch {
            var report = ArchiveTableReport(configID: "", tableID: "", repository: "")
            report.error = "\(error)"
            return [report]
        }
        var reports: [ArchiveTableReport] = []
        for config in configs { reports.append(await runCycle(for: config, now: now)) }
        return reports
    }

    /// Runs the daily cycle for one configuration (see ``runDailyCycle(now:)``).
    public func runCycle(for config: ArchiveConfig, now: Date) async -> ArchiveTableReport {
        var report = ArchiveTableReport(configID: config.id, tableID: config.tableID, repository: config.repository)
        do {
            try await cycle(config, now: now, report: &report)
        } catch {
            report.error = "\(error)"
            logger.error("archive cycle failed", metadata: ["table": "\(config.tableID)", "error": "\(error)"])
        }
        return report
    }

    private func cycle(_ config: ArchiveConfig, now: Date, report: inout ArchiveTableReport) async throws {
        let due = try await cluster.listIndices(matching: config.indexPrefix + "_*").filter { index in
            config.indexDay(of: index.name).map { config.isDue(indexDay: $0, now: now) } ?? false
        }
        let empty = due.filter { $0.documentCount == 0 }.map(\.name)
        let withData = due.filter { $0.documentCount > 0 }
        let snapshots = try await cluster.listSnapshots(in: config.repository, matching: config.snapshotPattern)
        var held = Set(snapshots.filter { $0.state == .success }.flatMap(\.indices))
        let pending = withData.filter { !held.contains($0.name) }
        if !pending.isEmpty {
            let name = config.snapshotName(for: now)
            report.snapshot = name
            let existing = snapshots.first { $0.name == name }
            if let archived = try await archive(pending, as: name, existing: existing, config: config, now: now, report: &report) {
                held.formUnion(archived)
                report.archivedIndices = archived.sorted()
            }
        }
        let deletable = (empty + withData.map(\.name).filter(held.contains)).sorted()
        if !deletable.isEmpty {
            try await cluster.removeIndices(deletable)
            report.deletedIndices = deletable
        }
        report.blockedIndices = withData.map(\.name).filter { !held.contains($0) }.sorted()
        try await applySnapshotRetention(config, snapshots: snapshots, now: now, report: &report)
    }

    /// Takes (or finishes, or retries) today's snapshot of `pending`; returns the indices it holds once
    /// it is SUCCESS and recorded, or `nil` when the day's attempts are spent.
    private func archive(
        _ pending: [ClusterIndex], as name: String, existing: ClusterSnapshot?, config: ArchiveConfig, now: Date,
        report: inout ArchiveTableReport
    ) async throws -> [String]? {
        var record = try await catalog.archiveSnapshot(repository: config.repository, snapshot: name)
        report.attempts = record?.attempts ?? 0
        if let existing, existing.state == .success {
            // Today's snapshot exists and succeeded without these indices (they became due later in the
            // day): they go into tomorrow's snapshot. Make sure what it holds is recorded.
            if record?.state != .success {
                try await recordSuccess(of: existing, config: config, now: now, attempts: max(1, report.attempts))
            }
            report.snapshotState = ArchiveSnapshotRecord.State.success.rawValue
            return nil
        }
        let names = pending.map(\.name).sorted()
        let ranges = try await cluster.timeRanges(of: names, field: options.timeField)
        var current = existing
        while true {
            if let snapshot = current, snapshot.state != .inProgress {
                if snapshot.state == .success {
                    try await commit(snapshot, pending: pending, ranges: ranges, config: config, record: record, now: now)
                    report.snapshotState = ArchiveSnapshotRecord.State.success.rawValue
                    return snapshot.indices
                }
                // A failed or partial attempt from an earlier run: clear the name before retrying.
                try await cluster.deleteSnapshotIfPresent(named: name, in: config.repository)
                current = nil
            }
            if current == nil {
                let attempts = (record?.attempts ?? 0)
                guard attempts < options.maxSnapshotAttempts else {
                    report.snapshotState = record?.state.rawValue
                    return nil
                }
                var started = ArchiveSnapshotRecord(
                    repository: config.repository, snapshot: name, archiveConfigID: config.id, tableID: config.tableID,
                    state: .inProgress, attempts: attempts + 1, indices: names, startedAt: now)
                try await catalog.save(started)
                record = started
                report.attempts = started.attempts
                do {
                    try await cluster.startSnapshot(named: name, in: config.repository, indices: names)
                } catch {
                    started.state = .failed
                    started.finishedAt = now
                    started.failureReason = "\(error)"
                    try await catalog.save(started)
                    record = started
                    report.snapshotState = started.state.rawValue
                    await deliver(
                        .snapshotFailed(
                            repository: config.repository, snapshot: name, reason: "\(error)", attempt: started.attempts, at: now))
                    continue
                }
            }
            let finished = try await waitForSnapshot(name, in: config.repository)
            if finished.state == .success {
                current = finished
                continue
            }
            guard var failed = record else { return nil }
            failed.state = finished.state == .partial ? .partial : .failed
            failed.finishedAt = now
            failed.failureReason = finished.failureReason ?? "the cluster reported \(finished.state.rawValue)"
            try await catalog.save(failed)
            record = failed
            report.snapshotState = failed.state.rawValue
            await deliver(
                .snapshotFailed(
                    repository: config.repository, snapshot: name, reason: failed.failureReason ?? finished.state.rawValue,
                    attempt: failed.attempts, at: now))
            current = finished
        }
    }

    /// Polls a snapshot until it leaves IN_PROGRESS; a snapshot that vanished counts as FAILED.
    private func waitForSnapshot(_ name: String, in repository: String) async throws -> ClusterSnapshot {
        for poll in 0..<max(1, options.maxPolls) {
            guard let snapshot = try await cluster.snapshotIfPresent(named: name, in: repository) else {
                return ClusterSnapshot(name: name, state: .failed, indices: [], failureReason: "the snapshot disappeared")
            }
            if snapshot.state != .inProgress { return snapshot }
            if poll + 1 < options.maxPolls { try await sleep(options.pollInterval) }
        }
        throw ArchiveError(
            code: .timedOut, subject: name,
            message: "snapshot still IN_PROGRESS after \(options.maxPolls) polls; the next cycle looks at it again")
    }

    /// Records a successful snapshot with the facts of the indices it holds.
    private func commit(
        _ snapshot: ClusterSnapshot, pending: [ClusterIndex], ranges: [String: ClosedRange<Date>], config: ArchiveConfig,
        record: ArchiveSnapshotRecord?, now: Date
    ) async throws {
        let held = Set(snapshot.indices)
        let rows = pending.filter { held.contains($0.name) }.map { index in
            archivedIndex(index, range: ranges[index.name], snapshot: snapshot.name, config: config, now: now)
        }
        var success =
            record
            ?? ArchiveSnapshotRecord(
                repository: config.repository, snapshot: snapshot.name, archiveConfigID: config.id, tableID: config.tableID,
                state: .success, attempts: 1, indices: snapshot.indices.sorted(), startedAt: now)
        success.state = .success
        success.finishedAt = now
        success.failureReason = nil
        try await catalog.commit(success, indices: rows)
    }

    /// Records a successful snapshot found in the cluster but not in the catalog (a run that stopped
    /// between the snapshot and its record), with the facts of its indices still in the cluster.
    private func recordSuccess(of snapshot: ClusterSnapshot, config: ArchiveConfig, now: Date, attempts: Int) async throws {
        let live = try await cluster.listIndices(matching: config.indexPrefix + "_*").filter { snapshot.indices.contains($0.name) }
        let ranges = try await cluster.timeRanges(of: live.map(\.name), field: options.timeField)
        let record = ArchiveSnapshotRecord(
            repository: config.repository, snapshot: snapshot.name, archiveConfigID: config.id, tableID: config.tableID,
            state: .success, attempts: attempts, indices: snapshot.indices.sorted(), startedAt: snapshot.startTime ?? now)
        try await commit(snapshot, pending: live, ranges: ranges, config: config, record: record, now: now)
    }

    /// The catalog row of one archived index. An index whose time field has no value is given its
    /// day in the configuration's zone.
    private func archivedIndex(
        _ index: ClusterIndex, range: ClosedRange<Date>?, snapshot: String, config: ArchiveConfig, now: Date
    ) -> ArchivedIndex {
        let day = config.indexDay(of: index.name) ?? now
        let fallbackEnd = Calendar.gregorian(in: config.zone).date(byAdding: .day, value: 1, to: day)?.addingTimeInterval(-0.001) ?? day
        return ArchivedIndex(
            archiveConfigID: config.id, tableID: config.tableID, repository: config.repository, snapshot: snapshot,
            index: index.name, docCount: index.documentCount, storeSizeBytes: index.storeSizeBytes,
            startTime: range?.lowerBound ?? day, endTime: range?.upperBound ?? fallbackEnd, archivedAt: now)
    }

    /// Deletes the table's snapshots past `snapshot_days`, then forgets them (and forgets recorded
    /// snapshots past it that the repository no longer has).
    private func applySnapshotRetention(
        _ config: ArchiveConfig, snapshots: [ClusterSnapshot], now: Date, report: inout ArchiveTableReport
    ) async throws {
        guard !config.keepsForever else { return }
        let today = config.snapshotName(for: now)
        for snapshot in snapshots where snapshot.name != today && snapshot.state != .inProgress {
            guard let day = config.snapshotDay(of: snapshot.name), config.isExpired(snapshotDay: day, now: now) else { continue }
            try await cluster.deleteSnapshotIfPresent(named: snapshot.name, in: config.repository)
            try await catalog.deleteArchiveSnapshot(repository: config.repository, snapshot: snapshot.name)
            report.deletedSnapshots.append(snapshot.name)
        }
        let inCluster = Set(snapshots.map(\.name))
        for record in try await catalog.archiveSnapshots(tableID: config.tableID)
        where record.repository == config.repository && !inCluster.contains(record.snapshot) && record.snapshot != today {
            guard let day = config.snapshotDay(of: record.snapshot), config.isExpired(snapshotDay: day, now: now) else { continue }
            try await catalog.deleteArchiveSnapshot(repository: record.repository, snapshot: record.snapshot)
        }
    }
}
