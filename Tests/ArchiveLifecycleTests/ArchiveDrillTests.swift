import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import SnapshotClientTesting
import Testing

/// Archive drills: one index per sampled snapshot restored as `drill_<index>`, its count compared, then deleted.
@Suite("Archive drills")
struct ArchiveDrillTests {
    typealias H = ArchiveHarness
    let now = H.at(20261125, hour: 10)

    /// Archives 2026-11-10 and 2026-11-11 in two snapshots; returns their index names.
    func archiveTwoSnapshots(_ h: inout ArchiveHarness) async throws -> [String] {
        try await h.save(H.config())
        let first = h.seedDay(20261110)
        _ = await h.lifecycle.runCycle(for: H.config(), now: now)
        let second = h.seedDay(20261111, docs: 2_000)
        _ = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(86_400))
        return [first, second]
    }

    @Test("the newest snapshot and a random older one are restored as drill_<index> with 0 replicas, counted, and deleted")
    func drillPasses() async throws {
        try await H.run(
            { $0.restorePolls = 2 },
            { h in
                let names = try await archiveTwoSnapshots(&h)
                #expect(h.double.snapshotNames(in: H.repository).count == 2)
                var generator = SystemRandomNumberGenerator()
                let results = try await h.lifecycle.drill(tableID: H.table, sample: 1, using: &generator)
                #expect(results.map(\.index) == [names[1], names[0]], "newest first")
                #expect(results.allSatisfy { $0.passed }, "\(results)")
                #expect(results.map(\.restoredDocuments) == [2_000, 1_000])
                #expect(results.map(\.restoredAs) == names.reversed().map { "drill_" + $0 })
                #expect(!h.double.indexNames().contains { $0.hasPrefix("drill_") }, "the restored indices are deleted")
                let restores = h.double.requests().filter { $0.path.hasSuffix("/_restore") }
                #expect(restores.count == 2)
                #expect(
                    restores.allSatisfy { $0.body.contains("number_of_replicas") && $0.body.contains("drill_$1") },
                    "\(restores.map(\.body))")
                #expect(!h.notifier.recorded.contains { "\($0.kind)" == "drill_failed" })
            })
    }

    @Test("a count that differs, a failed recovery or an existing drill_ index fail the drill and notify drill_failed")
    func drillFails() async throws {
        try await H.run(
            { $0.restorePolls = 2 },
            { h in
                let names = try await archiveTwoSnapshots(&h)
                let restored = "drill_" + names[1]
                var generator = SystemRandomNumberGenerator()
                // The archive recorded one document more than the snapshot holds.
                let rows = try await h.rows(of: names[1])
                var row = try #require(rows.first)
                row.docCount += 1
                try await h.catalog.deleteArchivedIndices(repository: row.repository, snapshot: row.snapshot)
                try await h.catalog.insert([row])
                let counted = try await h.lifecycle.drill(tableID: H.table, sample: 0, using: &generator)
                #expect(counted.first?.error == "\(restored) holds 2000 documents, the archive recorded 2001", "\(counted)")
                #expect(!h.double.indexNames().contains(restored))

                h.double.failRestores(of: restored)
                let recovery = try await h.lifecycle.drill(tableID: H.table, sample: 0, using: &generator)
                #expect(recovery.first?.error?.contains("recovery failed") == true, "\(recovery)")
                #expect(!h.double.indexNames().contains(restored))

                h.double.addIndex(name: restored, docs: 1, sizeBytes: 100)
                let occupied = try await h.lifecycle.drill(tableID: H.table, sample: 0, using: &generator)
                #expect(occupied.first?.error == "\(restored) already exists on the cluster; a drill never replaces an index")
                #expect(h.double.indexNames().contains(restored), "someone else's index stays")

                let events = h.notifier.recorded.filter { "\($0.kind)" == "drill_failed" }
                #expect(events.count == 3)
                #expect(events.allSatisfy { $0.details["index"] == names[1] && $0.details["table_id"] == H.table })
            })
    }
}
