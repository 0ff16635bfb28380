import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// The daily cycle against the double laid out as the platform lays out its indices: it finds them,
/// judges them by their aliases, and never deletes an index that is not provably archived.
@Suite("Archive cycle on the platform's layout")
struct ArchiveCycleTests {
    typealias H = ArchiveHarness
    /// 2026-11-25 10:00 in Shanghai; with 7 days of retention, aliases older than 2026-11-17 10:00 expired.
    let now = H.at(20261125, hour: 10)

    @Test("expired v2 and old-layout indices are found, write-blocked, snapshotted with facts, recorded, then deleted")
    func archivesPlatformLayout() async throws {
        try await H.run { h in
            try await h.save(H.config())
            let old = h.seedDay(20261110)
            let oldLayout = h.seedIndex(
                created: H.at(20261111), lastSlice: H.at(20261111, hour: 22), docs: 500, layout: "")
            let live = h.seedDay(20261120)
            let current = h.seedIndex(created: now)
            let report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.error == nil, "\(report.error ?? "")")
            #expect(report.expiredIndices == [oldLayout, old].sorted())
            #expect(report.archivedIndices == [oldLayout, old].sorted())
            #expect(report.deletedIndices == [oldLayout, old].sorted())
            #expect(report.blocked.isEmpty)
            #expect(h.double.indexNames().contains(live))
            #expect(h.double.indexNames().contains(current))
            #expect(!h.double.indexNames().contains(old))
            let snapshot = "2_bklog_nginx_access_snapshot_20261125"
            #expect(h.double.snapshotState(named: snapshot, in: H.repository) == "SUCCESS")
            let row = try #require(try await h.rows(of: old).first)
            #expect(row.snapshot == snapshot)
            #expect(row.docCount == 1_000)
            #expect(row.indexUUID != nil)
            #expect(row.startTime == H.at(20261110))
            // The facts beside the snapshot say the same, and the snapshot's metadata carries their digest.
            let facts = try await h.client.facts(of: [snapshot], in: H.repository, index: h.lifecycle.options.factsIndex)
            #expect(facts[snapshot]?.indices.map(\.name) == [oldLayout, old].sorted())
            let info = try await h.client.snapshot(named: snapshot, in: H.repository)
            #expect(info.metadata?["facts_digest"]?.stringValue == facts[snapshot]?.digest)
            // Writes were blocked before the snapshot started.
            let order = h.double.requests().map { "\($0.method) \($0.path)" }
            let blocked = try #require(order.firstIndex { $0.hasPrefix("PUT /") && $0.hasSuffix("/_settings") })
            let started = try #require(order.firstIndex { $0 == "PUT /_snapshot/archive/\(snapshot)" })
            #expect(blocked < started)
        }
    }

    @Test("a red index (null counts) and a closed one are blocked with the reason, never deleted as empty")
    func unreadableIndicesBlocked() async throws {
        try await H.run { h in
            try await h.save(H.config())
            let red = h.seedDay(20261110)
            h.double.setHealth(.red, of: red)
            let closed = h.seedIndex(created: H.at(20261111), lastSlice: H.at(20261111, hour: 22))
            h.double.addIndex(name: closed, docs: 10, sizeBytes: 10, open: false, aliases: ["write_2026111100_\(H.prefix)"])
            let empty = h.seedDay(20261112, docs: 0)
            let report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.deletedIndices == [empty])
            #expect(Set(report.blockedIndices) == [red, closed])
            #expect(report.blocked.first { $0.index == red }?.reason.contains("red") == true)
            #expect(report.blocked.first { $0.index == closed }?.reason.contains("closed") == true)
            #expect(h.double.indexNames().contains(red))
            #expect(h.double.indexNames().contains(closed))
            #expect(try await h.rows(of: red).isEmpty)
        }
    }

    @Test("an index re-created under an archived name, or written after its snapshot, is archived again, never deleted unarchived")
    func changedIndexNotDeleted() async throws {
        try await H.run { h in
            try await h.save(H.config())
            // Day 1: the index is archived and deleted.
            let name = h.seedDay(20261110)
            var report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.deletedIndices == [name])
            // It is re-created under the same name (a new UUID, other documents) with expired aliases.
            h.seedDay(20261110, docs: 2_000)
            let recreatedUUID = try #require(h.double.indexUUID(name))
            report = await h.lifecycle.runCycle(for: H.config(), now: now)
            // Today's snapshot already exists: it stays until tomorrow's snapshot holds it.
            #expect(report.deletedIndices.isEmpty)
            #expect(report.blockedIndices == [name])
            #expect(h.double.indexNames().contains(name))
            // Tomorrow it goes into a new snapshot with its new UUID and count, then is deleted.
            report = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(86_400))
            #expect(report.deletedIndices == [name])
            let rows = try await h.rows(of: name)
            #expect(rows.contains { $0.indexUUID == recreatedUUID && $0.docCount == 2_000 })
        }
    }

    @Test("a snapshot that succeeds after the run that started it ended is reconciled from its facts before any deletion")
    func lateSnapshotReconciled() async throws {
        try await H.run(options: { $0.maxPolls = 2 }) { h in
            try await h.save(H.config())
            let name = h.seedDay(20261110)
            h.double.holdSnapshots(true)
            var report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.snapshotState == "in_progress")
            #expect(report.deletedIndices.isEmpty)
            #expect(report.blockedIndices == [name])
            #expect(try await h.rows(of: name).isEmpty)
            // The snapshot finishes while nobody watches; the next run records its rows, then deletes.
            h.double.holdSnapshots(false)
            h.double.completeRunningSnapshots()
            report = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(3_600))
            #expect(report.reconciledSnapshots == ["2_bklog_nginx_access_snapshot_20261125"])
            #expect(report.deletedIndices == [name])
            #expect(try await h.rows(of: name).count == 1)
            // The snapshot was never started twice.
            let starts = h.double.requests().filter { $0.method == "PUT" && $0.path.hasPrefix("/_snapshot/archive/2_bklog") }
            #expect(starts.count == 1)
        }
    }

    @Test("a snapshot with no recorded rows and no facts gets rows from the live indices before deletion")
    func foreignSnapshotReconciledFromLiveIndices() async throws {
        try await H.run { h in
            try await h.save(H.config())
            let name = h.seedDay(20261110)
            // A snapshot taken before facts were kept (or by hand), holding the index.
            _ = try await h.client.createSnapshot(
                named: "2_bklog_nginx_access_snapshot_20261120", in: H.repository,
                options: SnapshotOptions(indices: [name], includeGlobalState: false), waitForCompletion: true)
            let report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.reconciledSnapshots == ["2_bklog_nginx_access_snapshot_20261120"])
            #expect(report.deletedIndices == [name])
            #expect(report.snapshot == nil, "no new snapshot is needed")
            #expect(try await h.rows(of: name).first?.indexUUID != nil)
            #expect(!h.double.indexNames().contains(name))
        }
    }

    @Test("PARTIAL (as GET _snapshot reports it, though _status says SUCCESS) is not an archive: retried, bounded, never deleted")
    func partialIsNotSuccess() async throws {
        try await H.run { h in
            try await h.save(H.config())
            let name = h.seedDay(20261110)
            h.double.setSnapshotOutcome("PARTIAL", for: "2_bklog_nginx_access_snapshot_20261125")
            let report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.attempts == 3)
            #expect(report.snapshotState == "partial")
            #expect(report.deletedIndices.isEmpty)
            #expect(report.blockedIndices == [name])
            #expect(h.notifier.kinds().filter { $0 == "snapshot_failed" }.count == 3)
            #expect(try await h.rows(of: name).isEmpty)
        }
    }

    @Test("a snapshot deleted out of band is marked gone and restores stop offering its data")
    func goneSnapshot() async throws {
        try await H.run { h in
            try await h.save(H.config())
            let name = h.seedDay(20261110)
            _ = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(try await h.rows(of: name).count == 1)
            h.double.deleteSnapshotOutOfBand(named: "2_bklog_nginx_access_snapshot_20261125", in: H.repository)
            let report = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(3_600))
            #expect(report.goneSnapshots == ["2_bklog_nginx_access_snapshot_20261125"])
            #expect(try await h.rows(of: name).isEmpty)
            let record = try await h.catalog.archiveSnapshot(repository: H.repository, snapshot: "2_bklog_nginx_access_snapshot_20261125")
            #expect(record?.state == .gone)
            await #expect(throws: ArchiveError.self) {
                _ = try await h.lifecycle.restoreCandidates(tableID: H.table, start: H.at(20261110), end: H.at(20261111))
            }
        }
    }

    @Test("a stale in_progress record whose snapshot the repository never got is marked failed, not kept forever")
    func staleInProgress() async throws {
        try await H.run { h in
            try await h.save(H.config())
            try await h.catalog.save(
                ArchiveSnapshotRecord(
                    repository: H.repository, snapshot: "2_bklog_nginx_access_snapshot_20261120", archiveConfigID: "c1", tableID: H.table,
                    state: .inProgress, attempts: 1, indices: ["x"], startedAt: H.at(20261120)))
            _ = await h.lifecycle.runCycle(for: H.config(), now: now)
            let record = try await h.catalog.archiveSnapshot(repository: H.repository, snapshot: "2_bklog_nginx_access_snapshot_20261120")
            #expect(record?.state == .failed)
            #expect(record?.failureReason?.contains("no such snapshot") == true)
        }
    }

    @Test("before 7.7 a concurrent snapshot is waited out, not counted as an attempt, not notified")
    func concurrentSnapshotIsAWait() async throws {
        try await H.run(version: "7.6.2") { h in
            try await h.save(H.config())
            let name = h.seedDay(20261110)
            // Another table's snapshot is running: 7.6 refuses a second snapshot operation.
            h.double.addIndex(name: "other_index", docs: 1, sizeBytes: 1)
            h.double.holdSnapshots(true)
            _ = try await h.client.createSnapshot(
                named: "other_snapshot", in: H.repository, options: SnapshotOptions(indices: ["other_index"]), waitForCompletion: false)
            h.double.holdSnapshots(false)
            // It finishes while the lifecycle waits: the lifecycle's first start is refused, then succeeds.
            let lifecycle = h.lifecycle
            let double = h.double
            let waiting = ArchiveLifecycle(
                catalog: h.catalog, cluster: h.client, notifier: h.notifier, logger: lifecycle.logger, options: lifecycle.options,
                sleep: { _ in double.completeRunningSnapshots() })
            let report = await waiting.runCycle(for: H.config(), now: now)
            #expect(report.error == nil, "\(report.error ?? "")")
            #expect(report.clusterWaits >= 1)
            #expect(report.attempts == 1)
            #expect(report.deletedIndices == [name])
            #expect(h.notifier.kinds().isEmpty)
        }
    }

    @Test("a cluster that stays busy past the budget leaves the work to the next run, with the reason, and no attempt spent")
    func busyPastBudget() async throws {
        try await H.run(version: "7.6.2", options: { $0.clusterWaitBudget = .milliseconds(20) }) { h in
            try await h.save(H.config())
            let name = h.seedDay(20261110)
            h.double.addIndex(name: "other_index", docs: 1, sizeBytes: 1)
            h.double.holdSnapshots(true)
            _ = try await h.client.createSnapshot(
                named: "other_snapshot", in: H.repository, options: SnapshotOptions(indices: ["other_index"]), waitForCompletion: false)
            let report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.blockedIndices == [name])
            #expect(report.blocked.first?.reason.contains("busy") == true)
            #expect(report.clusterWaits >= 1)
            #expect(h.notifier.kinds().isEmpty)
            let record = try await h.catalog.archiveSnapshot(repository: H.repository, snapshot: "2_bklog_nginx_access_snapshot_20261125")
            #expect(record == nil, "waiting is not an attempt")
        }
    }

    @Test("two runs on one table: the second skips it and says so; an expired lease is taken over")
    func leasePerTable() async throws {
        try await H.run { h in
            try await h.save(H.config())
            h.seedDay(20261110)
            let other = LeaseOwner(host: "other-host", pid: 4242)
            _ = try await h.catalog.acquireLease(
                ArchiveLifecycle.leaseName(forTable: H.table), owner: other, duration: .seconds(600), now: now)
            var report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.skipped?.contains("other-host") == true)
            #expect(report.deletedIndices.isEmpty)
            #expect(!report.succeeded)
            // Eleven minutes later the other run's lease has expired (it died): this run takes over.
            report = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(660))
            #expect(report.skipped == nil)
            #expect(report.deletedIndices.count == 1)
            #expect(report.notes.contains { $0.contains("took over") })
        }
    }

    @Test("requests per daily cycle grow with tables, not with indices or aliases")
    func requestCountPerTable() async throws {
        func count(indicesPerTable: Int) async throws -> Int {
            try await H.run { h in
                for table in 0..<3 {
                    let config = H.config(id: "c\(table)", table: "2_bklog.t\(table)")
                    try await h.save(config)
                    for day in 0..<indicesPerTable {
                        h.seedIndex(
                            created: H.at(20261101).addingTimeInterval(Double(day) * 3_600 * 8),
                            lastSlice: H.at(20261101).addingTimeInterval(Double(day) * 3_600 * 8 + 6 * 3_600),
                            prefix: "2_bklog_t\(table)")
                    }
                }
                h.double.clearRequests()
                let reports = await h.lifecycle.runDailyCycle(now: now)
                #expect(reports.allSatisfy { $0.error == nil })
                #expect(reports.allSatisfy { $0.deletedIndices.count == indicesPerTable })
                return h.double.requests().count
            }
        }
        let few = try await count(indicesPerTable: 3)
        let many = try await count(indicesPerTable: 30)
        #expect(few == many, "requests: \(few) with 3 indices per table, \(many) with 30")
    }
}

extension ArchiveCycleTests {
    @Test("a repository that suddenly lists none of several recorded snapshots is not taken as deletions")
    func emptiedRepositoryIsSuspicious() async throws {
        try await H.run { h in
            try await h.save(H.config())
            h.seedDay(20261110)
            _ = await h.lifecycle.runCycle(for: H.config(), now: now)
            h.seedDay(20261111)
            _ = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(86_400))
            for name in h.double.snapshotNames(in: H.repository) { h.double.deleteSnapshotOutOfBand(named: name, in: H.repository) }
            let report = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(2 * 86_400))
            #expect(report.goneSnapshots.isEmpty)
            #expect(report.notes.contains { $0.contains("lists none of the table's 2 recorded snapshots") })
            #expect(try await h.catalog.archivedIndices(tableID: H.table, overlapping: .distantPast, .distantFuture).count == 2)
        }
    }
}
