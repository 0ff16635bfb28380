import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import Retention
import SnapshotClient
import SnapshotClientTesting
import Testing

/// Restores that tell the truth: done per index, failed within a refresh when a restored index fails,
/// nothing adopted that no restore owns, and old clusters' one-restore-at-a-time rule kept.
@Suite("Archive restores")
struct ArchiveRestoreTests {
    typealias H = ArchiveHarness
    let now = H.at(20261125, hour: 10)

    /// Archives the indices of 2026-11-10 and 2026-11-11 (two days, so two snapshots when `split`).
    func archiveTwoDays(_ h: inout ArchiveHarness, split: Bool = false) async throws -> [String] {
        try await h.save(H.config())
        let first = h.seedDay(20261110)
        if split { _ = await h.lifecycle.runCycle(for: H.config(), now: now) }
        let second = h.seedDay(20261111, docs: 2_000)
        let report = await h.lifecycle.runCycle(for: H.config(), now: split ? now.addingTimeInterval(86_400) : now)
        #expect(report.deletedIndices.contains(second))
        return [first, second]
    }

    func request(from start: Date, to end: Date) -> ArchiveRestoreRequest {
        ArchiveRestoreRequest(tableID: H.table, start: start, end: end, expiresAt: now.addingTimeInterval(7 * 86_400))
    }

    @Test("done per index once each restore_* index is readable with its archived count; lifecycle and allocation settings not carried")
    func donePerIndex() async throws {
        try await H.run(
            { $0.restorePolls = 2 },
            { h in
                let names = try await archiveTwoDays(&h)
                var restore = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
                #expect(restore.state == .running)
                #expect(restore.indices == names.map { "restore_" + $0 })
                restore = try await h.lifecycle.refreshRestore(id: restore.id, now: now)
                #expect(restore.state == .running, "restored indices are red until their primaries recover")
                restore = try await h.lifecycle.waitForRestore(id: restore.id, now: { now })
                #expect(restore.state == .done)
                #expect(restore.restoredDocCount == 3_000)
                let settings = h.double.indexSettings("restore_" + names[0])
                #expect(settings["index.lifecycle.name"] == nil)
                #expect(settings["index.routing.allocation.require.box"] == nil)
                #expect(settings["index.number_of_replicas"] == "0")
                #expect(h.notifier.recorded.filter { "\($0.kind)" == "restore_finished" }.count == 1)
            })
    }

    @Test("a restored index whose recovery fails makes the restore fail at the next refresh, with the reason")
    func failedRecovery() async throws {
        try await H.run { h in
            let names = try await archiveTwoDays(&h)
            h.double.failRestores(of: "restore_" + names[1])
            var restore = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            restore = try await h.lifecycle.refreshRestore(id: restore.id, now: now.addingTimeInterval(60))
            #expect(restore.state == .failed)
            #expect(restore.failureReason?.contains("restore_" + names[1]) == true)
            #expect(restore.failureReason?.contains("ALLOCATION_FAILED") == true)
            let events = h.notifier.recorded.filter { "\($0.kind)" == "restore_finished" }
            #expect(events.count == 1)
            #expect(events.first?.details["state"] == "failed")
        }
    }

    @Test("a restored index that disappears fails the restore naming it")
    func disappearedIndex() async throws {
        try await H.run { h in
            let names = try await archiveTwoDays(&h)
            var restore = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            h.double.removeIndex(name: "restore_" + names[0])
            restore = try await h.lifecycle.refreshRestore(id: restore.id, now: now)
            #expect(restore.state == .failed)
            #expect(restore.failureReason?.contains("restore_\(names[0]) disappeared") == true)
        }
    }

    @Test("the daily cycle refreshes live restores: restore_finished fires with nobody polling")
    func cycleRefreshesRestores() async throws {
        try await H.run { h in
            _ = try await archiveTwoDays(&h)
            let restore = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            _ = await h.lifecycle.runDailyCycle(now: now.addingTimeInterval(3_600))
            #expect(try await h.catalog.restore(id: restore.id)?.state == .done)
            #expect(h.notifier.recorded.filter { "\($0.kind)" == "restore_finished" }.count == 1)
        }
    }

    @Test("a restore_* index no live restore owns is never adopted: an error names it")
    func strangerNotAdopted() async throws {
        try await H.run { h in
            let names = try await archiveTwoDays(&h)
            h.double.addIndex(name: "restore_" + names[0], docs: 5, sizeBytes: 5)
            await #expect {
                _ = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            } throws: { error in
                guard let error = error as? ArchiveError else { return false }
                return error.code == .conflict && error.subject == "restore_" + names[0]
            }
            #expect(try await h.catalog.restores(states: nil).isEmpty)
        }
    }

    @Test("an index a live restore owns is shared, not restored again")
    func sharedWithLiveRestore() async throws {
        try await H.run { h in
            _ = try await archiveTwoDays(&h)
            let first = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261110, hour: 23)), now: now)
            h.double.clearRequests()
            let second = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            #expect(second.indices.count == 2)
            let restores = h.double.requests().filter { $0.path.hasSuffix("/_restore") }
            #expect(restores.count == 1, "only the index the first restore does not own is restored")
            #expect(first.indices.allSatisfy(second.indices.contains))
        }
    }

    @Test("restored names over 255 bytes are refused before any request")
    func longNamesRefused() async throws {
        try await H.run { h in
            let table = "2_bklog." + String(repeating: "x", count: 226)  // index 250 bytes, restored name 258
            let config = H.config(table: table)
            try await h.save(config)
            h.seedDay(20261110, prefix: ArchiveConfig.indexPrefix(of: table))
            _ = await h.lifecycle.runCycle(for: config, now: now)
            h.double.clearRequests()
            await #expect {
                _ = try await h.lifecycle.startRestore(
                    ArchiveRestoreRequest(
                        tableID: table, start: H.at(20261110), end: H.at(20261111), expiresAt: now.addingTimeInterval(86_400)),
                    now: now)
            } throws: { ($0 as? ArchiveError)?.code == .invalidName }
            #expect(h.double.requests().isEmpty)
        }
    }

    @Test("the disk guard checks every data node: the fullest after an even share must stay under 80%")
    func diskPerNode() async throws {
        try await H.run { h in
            _ = try await archiveTwoDays(&h)
            // 300,000 bytes to restore over two nodes: 150,000 each. The cluster as a whole has room
            // (350,000 of 2,000,000 used), the fuller node does not (780,000 + 150,000 > 80 % of 1,000,000).
            h.double.setNodes([("node-a", 0, 1_000_000), ("node-b", 780_000, 1_000_000)])
            await #expect {
                _ = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            } throws: { error in
                guard let error = error as? ArchiveError, error.code == .insufficientDisk else { return false }
                return error.message.contains("node-b")
            }
            h.double.setNodes([("node-a", 0, 1_000_000), ("node-b", 600_000, 1_000_000)])
            let restore = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            #expect(restore.state == .running)
        }
    }

    @Test("before 6.6 the snapshots of one restore are restored one after another")
    func oneRestoreAtATime() async throws {
        try await H.run(version: "6.5.4", { $0.restorePolls = 1 }) { h in
            let names = try await archiveTwoDays(&h, split: true)
            var restore = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            #expect(restore.waitingIndices == ["restore_" + names[1]])
            #expect(h.double.requests().filter { $0.path.hasSuffix("/_restore") }.count == 1)
            restore = try await h.lifecycle.waitForRestore(id: restore.id, now: { now })
            #expect(restore.state == .done)
            #expect(restore.waitingIndices.isEmpty)
            #expect(h.double.requests().filter { $0.path.hasSuffix("/_restore") }.count == 2)
        }
    }

    @Test("expiry deletes restored indices no live restore uses, keeps shared ones, and can be extended")
    func expiry() async throws {
        try await H.run { h in
            _ = try await archiveTwoDays(&h)
            let short = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261110, hour: 23)), now: now)
            var long = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            long = try await h.lifecycle.extendRestore(id: long.id, until: now.addingTimeInterval(30 * 86_400), now: now)
            let plan = try await h.lifecycle.expireRestores(now: now.addingTimeInterval(8 * 86_400))
            #expect(plan.expiring == [short.id])
            #expect(plan.indicesToDelete.isEmpty, "the long restore still uses the shared index")
            #expect(try await h.catalog.restore(id: short.id)?.state == .expired)
            #expect(h.double.indexNames().contains(short.indices[0]))
        }
    }
}

extension ArchiveRestoreTests {
    @Test("an index whose time range a failed search shard hid is restored for every request that could touch it")
    func unknownRangeRestoredForEveryRequest() async throws {
        try await H.run { h in
            try await h.save(H.config())
            let hidden = h.seedDay(20261110)
            let known = h.seedDay(20261111)
            h.double.failSearches(of: hidden)
            let report = await h.lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.deletedIndices == [hidden, known])
            let row = try #require(try await h.rows(of: hidden).first)
            #expect(row.startTime == Date(timeIntervalSince1970: 0))
            #expect(row.endTime == now)
            let early = try await h.lifecycle.restoreCandidates(
                tableID: H.table, start: H.at(20261111, hour: 1), end: H.at(20261111, hour: 2))
            #expect(early.map(\.index) == [hidden, known])
            let later = try await h.lifecycle.restoreCandidates(tableID: H.table, start: H.at(20261120), end: H.at(20261121))
            #expect(later.map(\.index) == [hidden])
        }
    }
}

extension ArchiveRestoreTests {
    @Test("before 7.7 a restore refused while a snapshot deletion runs waits for it, then is sent")
    func restoreWaitsForDeletion() async throws {
        try await H.run(version: "7.6.2") { h in
            let names = try await archiveTwoDays(&h)
            // Someone deletes an unrelated snapshot; the cluster reports the deletion for the next 3 requests.
            h.double.addIndex(name: "other_index", docs: 1, sizeBytes: 1)
            _ = try await h.client.createSnapshot(
                named: "other_snapshot", in: H.repository, options: SnapshotOptions(indices: ["other_index"]), waitForCompletion: true)
            h.double.setDeletionPolls(3)
            try await h.client.deleteSnapshot(named: "other_snapshot", in: H.repository)
            h.double.clearRequests()
            let restore = try await h.lifecycle.startRestore(request(from: H.at(20261110), to: H.at(20261111, hour: 23)), now: now)
            #expect(restore.state == .running, "\(restore.failureReason ?? "")")
            #expect(restore.waitingIndices.isEmpty)
            let attempts = h.double.requests().filter { $0.path.hasSuffix("/_restore") }.count
            #expect(attempts > 1, "the first restore request was refused and retried")
            #expect(h.double.indexNames().contains("restore_" + names[0]))
            #expect(h.notifier.kinds().isEmpty)
        }
    }
}
