import BackupCatalog
public import BackupModels
public import Foundation
import Logging

extension ArchiveLifecycle {
    /// Runs the daily cycle for every enabled configuration, one table after the other, after refreshing
    /// every live restore (so `restore_finished` events fire with nobody polling).
    ///
    /// For each table (under its lease, see ``runCycle(for:now:)``):
    /// 1. the table's indices in both platform layouts, and the aliases on them, are listed; an index has
    ///    expired when every alias on it is past retention (see ``BackupModels/ArchiveConfig/expiry(of:aliases:now:)``);
    /// 2. the table's snapshots in the repository are reconciled with the catalog (rows recorded for
    ///    SUCCESS snapshots an earlier run did not record, snapshots gone out of band marked gone, running
    ///    ones waited for);
    /// 3. expired indices that are unreadable (red, closed, counts unknown) are blocked; expired indices
    ///    not provably archived are write-blocked, their facts written beside the snapshot, and snapshotted
    ///    into today's `<table>_snapshot_<YYYYMMDD>` (FAILED or PARTIAL attempts are reported and retried
    ///    up to ``Options-swift.struct/maxSnapshotAttempts`` per day);
    /// 4. an expired index is deleted only when provably empty, or when a SUCCESS snapshot holds it and the
    ///    catalog holds its row with the UUID and document count the cluster reports now;
    /// 5. snapshots past `snapshot_days` are deleted with their records.
    ///
    /// A table's failure (an unreachable cluster, a missing repository) is written into its report and
    /// does not stop the other tables. Safe to run several times a day and from several processes.
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
        await refreshLiveRestores(now: now)
        var reports: [ArchiveTableReport] = []
        for config in configs { reports.append(await runCycle(for: config, now: now)) }
        return reports
    }

    /// The name of a table's archive lease: `archive:<table id>`.
    public static func leaseName(forTable tableID: String) -> String { "archive:\(tableID)" }

    /// Runs the daily cycle for one configuration (see ``runDailyCycle(now:)``) while holding the table's
    /// lease; a table whose lease another run holds is skipped and the report says so. An expired lease
    /// (a run that died) is taken over.
    public func runCycle(for config: ArchiveConfig, now: Date) async -> ArchiveTableReport {
        var report = ArchiveTableReport(configID: config.id, tableID: config.tableID, repository: config.repository)
        let lease: Lease
        do {
            switch try await catalog.acquireLease(
                Self.leaseName(forTable: config.tableID), owner: leaseOwner, duration: options.leaseDuration, now: now)
            {
            case .acquired(let acquired, let previous):
                lease = acquired
                if let previous {
                    report.notes.append(
                        "took over the expired lease of \(previous.owner) (acquired \(ISO8601.string(from: previous.acquiredAt)))")
                }
            case .held(let holder):
                report.skipped =
                    "another archive run (\(holder.owner)) holds this table since \(ISO8601.string(from: holder.acquiredAt)) "
                    + "until \(ISO8601.string(from: holder.expiresAt)); skipped"
                logger.notice("archive cycle skipped", metadata: ["table": "\(config.tableID)", "holder": "\(holder.owner)"])
                return report
            }
        } catch {
            report.error = "cannot take the table's lease: \(error)"
            return report
        }
        var budget = ClusterWaitBudget(total: options.clusterWaitBudget, initial: options.clusterWaitInitial)
        do {
            try await cycle(config, now: now, report: &report, budget: &budget)
        } catch {
            report.error = "\(error)"
            logger.error("archive cycle failed", metadata: ["table": "\(config.tableID)", "error": "\(error)"])
        }
        report.clusterWaits = budget.waits
        do {
            try await catalog.releaseLease(lease)
        } catch {
            logger.warning("lease not released; it expires on its own", metadata: ["table": "\(config.tableID)", "error": "\(error)"])
        }
        return report
    }

    private func cycle(
        _ config: ArchiveConfig, now: Date, report: inout ArchiveTableReport, budget: inout ClusterWaitBudget
    ) async throws {
        let listed = try await cluster.listIndices(matchingAny: config.indexPatterns)
        let parsed = listed.compactMap { index in config.parseIndex(index.name).map { (index, $0) } }
        let aliases = parsed.isEmpty ? [:] : try await cluster.aliases(ofIndicesMatching: config.indexPatterns)
        let expired = parsed.filter { config.expiry(of: $0.1, aliases: aliases[$0.0.name] ?? [], now: now) == .expired }.map(\.0)
        report.expiredIndices = expired.map(\.name).sorted()

        let listedSnapshots = try await cluster.listSnapshots(in: config.repository, matching: config.snapshotPattern)
        var known = try await reconcile(
            config, snapshots: listedSnapshots.filter { config.snapshotDay(of: $0.name) != nil }, live: listed, now: now,
            report: &report)

        var deletable: [String] = []
        var pending: [ClusterIndex] = []
        for index in expired.sorted(by: { $0.name < $1.name }) {
            if let reason = index.unreadableReason {
                report.block(index.name, reason)
            } else if index.isProvablyEmpty {
                deletable.append(index.name)
            } else if known.proves(index) {
                deletable.append(index.name)
            } else if let running = known.running.first(where: { $0.indices.contains(index.name) }) {
                report.block(index.name, "snapshot \(running.name) holding it is still IN_PROGRESS; the next cycle looks again")
            } else {
                pending.append(index)
            }
        }
        if !pending.isEmpty {
            let outcome = try await archive(pending, config: config, known: known, now: now, report: &report, budget: &budget)
            known = outcome.known
            for index in pending {
                if let current = outcome.current[index.name], known.proves(current) {
                    deletable.append(index.name)
                } else {
                    report.block(index.name, outcome.reasons[index.name] ?? "not in a SUCCESS snapshot yet")
                }
            }
        }
        if !deletable.isEmpty {
            try await cluster.removeIndices(deletable.sorted())
            report.deletedIndices = deletable.sorted()
        }
        try await applySnapshotRetention(config, snapshots: known.snapshots, now: now, report: &report)
    }

    /// What the outcome of archiving `pending` is: the refreshed knowledge, each index as listed after
    /// its writes were blocked, and why an index is not archived.
    private struct ArchiveOutcome {
        var known: KnownSnapshots
        var current: [String: ClusterIndex] = [:]
        var reasons: [String: String] = [:]
    }

    /// Blocks writes to `pending`, writes their facts, and takes (or finishes, or retries) today's
    /// snapshot of them.
    private func archive(
        _ pending: [ClusterIndex], config: ArchiveConfig, known: KnownSnapshots, now: Date, report: inout ArchiveTableReport,
        budget: inout ClusterWaitBudget
    ) async throws -> ArchiveOutcome {
        var outcome = ArchiveOutcome(known: known)
        let name = config.snapshotName(for: now)
        let pendingNames = pending.map(\.name).sorted()
        func blockAll(_ reason: String) {
            for index in pendingNames where outcome.reasons[index] == nil { outcome.reasons[index] = reason }
        }
        if let today = known.snapshots.first(where: { $0.name == name }), today.state == .success || today.state == .inProgress {
            // Today's name is taken by a snapshot without these indices (they expired later in the day,
            // or changed since): tomorrow's snapshot takes them.
            blockAll(
                "today's snapshot \(name) is already taken (\(today.state.rawValue)) and does not prove it; tomorrow's snapshot takes it")
            return outcome
        }
        report.snapshot = name
        var record = try await catalog.archiveSnapshot(repository: config.repository, snapshot: name)
        report.attempts = record?.attempts ?? 0
        report.snapshotState = record?.state.rawValue
        guard (record?.attempts ?? 0) < options.maxSnapshotAttempts else {
            blockAll(
                "today's \(record?.attempts ?? 0) snapshot attempts failed (\(record?.failureReason ?? "no reason given")); retried tomorrow"
            )
            return outcome
        }

        // Freeze the indices, then read the facts the snapshot will hold.
        try await waitingOnLimits(&budget, "block writes to \(pendingNames.count) indices") {
            try await cluster.blockWrites(to: pendingNames)
        }
        let relisted = Dictionary(
            try await cluster.listIndices(matchingAny: config.indexPatterns).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var frozen: [ClusterIndex] = []
        for name in pendingNames {
            guard let index = relisted[name] else {
                outcome.reasons[name] = "disappeared before its snapshot started"
                continue
            }
            if let reason = index.unreadableReason {
                outcome.reasons[name] = reason
            } else {
                frozen.append(index)
                outcome.current[name] = index
            }
        }
        guard !frozen.isEmpty else { return outcome }
        let ranges = try await cluster.timeRanges(of: frozen.map(\.name), field: options.timeField)
        let facts = SnapshotFacts(
            repository: config.repository, snapshot: name, tableID: config.tableID, archiveConfigID: config.id,
            createdMillis: SnapshotFacts.millis(now),
            indices: frozen.map { SnapshotFacts.Index($0, ranges: ranges, datetime: config.parseIndex($0.name)?.datetime, now: now) })
        try await cluster.saveFacts(facts, in: options.factsIndex)
        let names = facts.indices.map(\.name)

        var existing = known.snapshots.first { $0.name == name }
        while true {
            if let failed = existing, failed.state != .inProgress, failed.state != .success {
                // A failed or partial attempt: clear the name before retrying.
                try await waitingOnLimits(&budget, "delete failed snapshot \(name)") {
                    try await cluster.deleteSnapshotIfPresent(named: name, in: config.repository)
                }
                existing = nil
            }
            let attempts = record?.attempts ?? 0
            guard attempts < options.maxSnapshotAttempts else {
                blockAll("today's \(attempts) snapshot attempts failed (\(record?.failureReason ?? "no reason given")); retried tomorrow")
                return outcome
            }
            let previous = record
            var started = ArchiveSnapshotRecord(
                repository: config.repository, snapshot: name, archiveConfigID: config.id, tableID: config.tableID,
                state: .inProgress, attempts: attempts + 1, indices: names, startedAt: now)
            try await catalog.save(started)
            record = started
            report.attempts = started.attempts
            report.snapshotState = started.state.rawValue
            do {
                try await start(name, in: config.repository, indices: names, metadata: facts.snapshotMetadata, budget: &budget)
            } catch let error as ArchiveError where error.code == .busy {
                // Waiting for the cluster is not an attempt: put the record back as it was.
                if let previous {
                    try await catalog.save(previous)
                } else {
                    try await catalog.deleteArchiveSnapshot(repository: config.repository, snapshot: name)
                }
                report.attempts = previous?.attempts ?? 0
                report.snapshotState = previous?.state.rawValue
                blockAll(error.message)
                return outcome
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
            let finished = try await poll(name, in: config.repository)
            switch finished.state {
            case .success:
                let rows = facts.rows(heldBy: Set(finished.indices))
                started.state = .success
                started.finishedAt = now
                started.indices = finished.indices.sorted()
                try await catalog.commit(started, indices: rows)
                report.snapshotState = started.state.rawValue
                report.archivedIndices = rows.map(\.index).sorted()
                outcome.known.record(finished, rows: rows)
                for name in pendingNames where !finished.indices.contains(name) && outcome.reasons[name] == nil {
                    outcome.reasons[name] = "snapshot \(name) succeeded without it"
                }
                return outcome
            case .inProgress:
                report.snapshotState = started.state.rawValue
                outcome.known.running.append(finished)
                blockAll("snapshot \(name) is still IN_PROGRESS after \(options.maxPolls) polls; the next cycle reconciles it")
                return outcome
            default:
                started.state = finished.state == .partial ? .partial : .failed
                started.finishedAt = now
                started.failureReason = finished.failureReason ?? "the cluster reported \(finished.state.rawValue)"
                try await catalog.save(started)
                record = started
                report.snapshotState = started.state.rawValue
                await deliver(
                    .snapshotFailed(
                        repository: config.repository, snapshot: name, reason: started.failureReason ?? finished.state.rawValue,
                        attempt: started.attempts, at: now))
                existing = finished
            }
        }
    }

    /// Starts a snapshot, waiting out the cluster's limits; a name that is taken after a start that timed
    /// out is adopted (the start did reach the cluster).
    private func start(
        _ name: String, in repository: String, indices: [String], metadata: [String: String], budget: inout ClusterWaitBudget
    ) async throws {
        do {
            try await waitingOnLimits(&budget, "start snapshot \(name)") {
                try await cluster.startSnapshot(named: name, in: repository, indices: indices, metadata: metadata)
            }
        } catch let error where cluster.refusal(of: error) == .snapshotExists {
            logger.notice("snapshot already exists; adopting it", metadata: ["snapshot": "\(name)"])
        }
    }

    /// Runs `body`, waiting with jittered exponential backoff while the cluster refuses on a limit, within
    /// the run's budget; past it, throws ``ArchiveError/Code-swift.struct/busy``.
    package func waitingOnLimits(
        _ budget: inout ClusterWaitBudget, _ action: String, _ body: () async throws -> Void
    ) async throws {
        while true {
            do {
                return try await body()
            } catch {
                guard case .busy(let reason) = cluster.refusal(of: error) else { throw error }
                guard let delay = budget.nextWait(random: Double.random(in: 0...1)) else {
                    throw ArchiveError(
                        code: .busy, subject: action,
                        message: "the cluster stayed busy (\(reason)) through \(budget.waits) waits of the run's budget; "
                            + "the next run tries again", underlying: error)
                }
                logger.info("cluster busy; waiting", metadata: ["action": "\(action)", "reason": "\(reason)", "delay": "\(delay)"])
                try await sleep(delay)
            }
        }
    }

    /// Polls a snapshot until it leaves IN_PROGRESS or the polls run out (then it is returned still
    /// IN_PROGRESS); a snapshot that vanished counts as FAILED.
    package func poll(_ name: String, in repository: String) async throws -> ClusterSnapshot {
        var last = ClusterSnapshot(name: name, state: .inProgress, indices: [])
        for poll in 0..<max(1, options.maxPolls) {
            guard let snapshot = try await cluster.snapshotIfPresent(named: name, in: repository) else {
                return ClusterSnapshot(name: name, state: .failed, indices: [], failureReason: "the snapshot disappeared")
            }
            if snapshot.state != .inProgress { return snapshot }
            last = snapshot
            if poll + 1 < options.maxPolls { try await sleep(options.pollInterval) }
        }
        return last
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

/// How long one table's cycle may still wait for the cluster's limits, and the next wait.
package struct ClusterWaitBudget: Sendable {
    package var total: Duration
    package var initial: Duration
    package private(set) var spent: Duration = .zero
    package private(set) var waits = 0

    package init(total: Duration, initial: Duration) {
        self.total = total
        self.initial = initial
    }

    /// The next wait (exponential from `initial`, capped at 60 s, with up to 50 % jitter), or `nil` when
    /// it would pass the budget.
    package mutating func nextWait(random: Double) -> Duration? {
        let initialSeconds = Double(initial.components.seconds) + Double(initial.components.attoseconds) / 1e18
        let ceiling = min(initialSeconds * Double(1 << min(waits, 16)), 60)
        let wait = Duration.milliseconds(Int64((ceiling * (0.5 + 0.5 * min(max(random, 0), 1)) * 1000).rounded()))
        guard spent + wait <= total else { return nil }
        spent += wait
        waits += 1
        return wait
    }
}
