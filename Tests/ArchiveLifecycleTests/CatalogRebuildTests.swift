import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// The archive's rows rebuilt from the repository and the facts kept beside each snapshot alone.
@Suite("Archive catalog rebuild")
struct CatalogRebuildTests {
    typealias H = ArchiveHarness
    let now = H.at(20261125, hour: 10)

    @Test("a lost catalog is rebuilt from the repository and the facts: the same rows, idempotently")
    func rebuildsLostCatalog() async throws {
        try await H.run { h in
            try await h.save(H.config())
            h.seedDay(20261110)
            h.seedDay(20261111, docs: 300)
            _ = await h.lifecycle.runCycle(for: H.config(), now: now)
            h.seedDay(20261112)
            _ = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(86_400))
            let before = try await h.catalog.archivedIndices(tableID: H.table, overlapping: .distantPast, .distantFuture)
            #expect(before.count == 3)

            // A new, empty catalog: restores find nothing until it is rebuilt.
            let fresh = try SQLiteCatalog.inMemory()
            let rebuilt = ArchiveLifecycle(catalog: fresh, cluster: h.client, options: h.lifecycle.options, sleep: { _ in })
            let report = try await rebuilt.rebuildCatalog(repository: H.repository, tableID: H.table, now: now)
            #expect(report.recorded.count == 2)
            #expect(report.conflicts.isEmpty)
            let after = try await fresh.archivedIndices(tableID: H.table, overlapping: .distantPast, .distantFuture)
            #expect(Set(after) == Set(before))
            let candidates = try await rebuilt.restoreCandidates(tableID: H.table, start: H.at(20261111), end: H.at(20261111, hour: 23))
            #expect(candidates.map(\.docCount) == [300])

            let again = try await rebuilt.rebuildCatalog(repository: H.repository, tableID: nil, now: now)
            #expect(again.recorded.isEmpty)
            #expect(again.unchanged.count == 2)
            #expect(try await fresh.archivedIndices(tableID: H.table, overlapping: .distantPast, .distantFuture).count == 3)
        }
    }

    @Test("rows that disagree with the facts are reported as conflicts and left as they are")
    func conflictsNeverOverwrite() async throws {
        try await H.run { h in
            try await h.save(H.config())
            let name = h.seedDay(20261110)
            _ = await h.lifecycle.runCycle(for: H.config(), now: now)
            var row = try #require(try await h.rows(of: name).first)
            row.docCount = 7
            try await h.catalog.insert([row])
            let report = try await h.lifecycle.rebuildCatalog(repository: H.repository, tableID: H.table, now: now)
            #expect(report.conflicts.map(\.snapshot) == [row.snapshot])
            #expect(try await h.rows(of: name).first?.docCount == 7)
        }
    }

    @Test("a SUCCESS snapshot without facts is reported, not guessed")
    func withoutFacts() async throws {
        try await H.run { h in
            let name = h.seedDay(20261110)
            _ = try await h.client.createSnapshot(
                named: "2_bklog_nginx_access_snapshot_20261101", in: H.repository,
                options: SnapshotOptions(indices: [name], includeGlobalState: false), waitForCompletion: true)
            let report = try await h.lifecycle.rebuildCatalog(repository: H.repository, tableID: nil, now: now)
            #expect(report.withoutFacts == ["2_bklog_nginx_access_snapshot_20261101"])
            #expect(report.recorded.isEmpty)
        }
    }
}
