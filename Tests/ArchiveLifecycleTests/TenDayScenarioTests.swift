import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// Ten simulated days of daily cycles on a 7.6 cluster (one snapshot operation at a time) across a red
/// index, a late snapshot, a concurrent-snapshot conflict, a re-created index and a killed run. After
/// every run: no index left the cluster unless it was empty or a SUCCESS snapshot holds it and the
/// catalog holds its row with the UUID and count it had. At the end every archived day restores whole.
@Suite("Ten days of archive cycles")
struct TenDayScenarioTests {
    typealias H = ArchiveHarness

    struct Seen {
        var uuid: String
        var docs: Int64
    }

    @Test("no index is ever deleted unarchived, and every archived day restores its data")
    func tenDays() async throws {
        try await H.run(version: "7.6.2", options: { $0.maxPolls = 3 }) { h in
            let config = H.config(retention: 3)
            try await h.save(config)
            var seeded: [String: Int64] = [:]  // index → documents its latest incarnation holds
            for day in 20261110...20261119 { seeded[h.seedDay(day, docs: Int64(day % 100) * 10)] = Int64(day % 100) * 10 }
            var deletedEver: Set<String> = []

            for (offset, day) in (20261120...20261129).enumerated() {
                let now = H.at(day, hour: 10)
                seeded[h.seedDay(day, docs: Int64(day % 100) * 10)] = Int64(day % 100) * 10
                var lifecycle = h.lifecycle
                switch offset {
                case 1:  // a red index among the expired ones
                    h.double.setHealth(.red, of: "v2_\(H.prefix)_2026111600_0")
                case 2:  // the red index recovers; today's snapshot finishes only after the run
                    h.double.setHealth(.green, of: "v2_\(H.prefix)_2026111600_0")
                    h.double.holdSnapshots(true)
                case 3:  // the late snapshot finished overnight; another snapshot runs when this run starts
                    h.double.holdSnapshots(false)
                    h.double.completeRunningSnapshots()
                    h.double.addIndex(name: "other_index", docs: 1, sizeBytes: 1)
                    h.double.holdSnapshots(true)
                    _ = try await h.client.createSnapshot(
                        named: "other_\(day)", in: H.repository, options: SnapshotOptions(indices: ["other_index"]),
                        waitForCompletion: false)
                    h.double.holdSnapshots(false)
                    let double = h.double
                    lifecycle.sleep = { _ in double.completeRunningSnapshots() }
                case 4:  // an archived and deleted index is re-created under its name
                    let name = "v2_\(H.prefix)_2026111200_0"
                    #expect(!h.double.indexNames().contains(name))
                    seeded[h.seedDay(20261112, docs: 77)] = 77
                case 6:  // the run is killed while it polls its snapshot (and never releases its lease)
                    h.double.holdSnapshots(true)
                    lifecycle.sleep = { _ in throw CancellationError() }
                case 7:
                    h.double.holdSnapshots(false)
                    h.double.completeRunningSnapshots()
                default:
                    break
                }
                let before = Dictionary(
                    try await h.client.indices(matchingAny: config.indexPatterns).compactMap { index in
                        index.uuid.map { (index.name, Seen(uuid: $0, docs: index.documentCount ?? -1)) }
                    }, uniquingKeysWith: { a, _ in a })
                let reports = await lifecycle.runDailyCycle(now: now)
                let after = Set(h.double.indexNames())
                let deleted = before.keys.filter { !after.contains($0) }

                // The invariant: every deleted index was empty, or is provably archived as it was.
                let snapshots = try await h.client.snapshots(in: H.repository, named: ["\(H.prefix)_snapshot_*"]).snapshots
                let rows = try await h.catalog.archivedIndices(tableID: H.table, overlapping: .distantPast, .distantFuture)
                for name in deleted {
                    guard let seen = before[name], seen.docs != 0 else { continue }
                    let held = snapshots.filter { $0.state == .success && $0.indices.contains(name) }.map(\.name)
                    #expect(!held.isEmpty, "day \(day): \(name) deleted without a SUCCESS snapshot holding it")
                    #expect(
                        rows.contains {
                            $0.index == name && held.contains($0.snapshot) && $0.indexUUID == seen.uuid && $0.docCount == seen.docs
                        },
                        "day \(day): \(name) deleted without a row matching its UUID and count")
                }
                deletedEver.formUnion(deleted)
                if offset == 1 {
                    #expect(reports.first?.blocked.contains { $0.index == "v2_\(H.prefix)_2026111600_0" } == true)
                }
                if offset == 3 { #expect((reports.first?.clusterWaits ?? 0) >= 1, "\(reports)") }
                if offset == 6 {
                    #expect(reports.first?.error != nil)
                    // A killed process never releases its lease: a run an hour later skips the table.
                    _ = try await h.catalog.acquireLease(
                        ArchiveLifecycle.leaseName(forTable: H.table), owner: LeaseOwner(host: "killed-host", pid: 99),
                        duration: h.lifecycle.options.leaseDuration, now: now)
                    let again = await h.lifecycle.runCycle(for: config, now: now.addingTimeInterval(3_600))
                    #expect(again.skipped?.contains("killed-host") == true)
                    #expect(again.deletedIndices.isEmpty)
                }
                if offset == 7 {
                    #expect(reports.first?.notes.contains { $0.contains("took over") } == true, "the dead run's lease expired")
                    #expect(reports.first?.reconciledSnapshots.isEmpty == false)
                }
            }
            // On 2026-11-29 every index up to 2026-11-24 has expired and been archived.
            for day in 20261110...20261124 {
                #expect(deletedEver.contains("v2_\(H.prefix)_\(day)00_0"), "\(day) archived and deleted")
            }

            // Every archived day restores its data.
            let now = H.at(20261129, hour: 12)
            for day in 20261110...20261124 {
                let name = "v2_\(H.prefix)_\(day)00_0"
                var restore = try await h.lifecycle.startRestore(
                    ArchiveRestoreRequest(
                        tableID: H.table, start: H.at(day, hour: 1), end: H.at(day, hour: 20), expiresAt: now.addingTimeInterval(3_600)),
                    now: now)
                restore = try await h.lifecycle.waitForRestore(id: restore.id, now: { now })
                #expect(restore.state == .done, "\(day): \(restore.failureReason ?? "")")
                #expect(restore.restoredDocCount == seeded[name], "\(day)")
                _ = try await h.lifecycle.expireRestores(now: now.addingTimeInterval(7_200))
            }
        }
    }
}
