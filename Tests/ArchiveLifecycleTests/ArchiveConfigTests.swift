import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import Logging
import SnapshotClient
import SnapshotClientTesting
import Testing

/// Configurations, reruns, snapshot retention and failures of the cluster, against the double.
@Suite("Archive configurations and the cycle's housekeeping")
struct ArchiveConfigTests {
    typealias H = ArchiveHarness
    let now = H.at(20261125, hour: 10)

    @Test("validation names the field and saves nothing invalid; one enabled configuration per table")
    func validation() async throws {
        try await H.run { h in
            var config = H.config()
            config.snapshotDays = -1
            await #expect { try await h.save(config) } throws: { ($0 as? ModelError)?.subject == "snapshot_days" }
            config = H.config(retention: 0)
            await #expect { try await h.save(config) } throws: { ($0 as? ModelError)?.subject == "index_retention_days" }
            config = H.config()
            config.repository = "my repo"
            await #expect { try await h.save(config) } throws: { ($0 as? ArchiveError)?.subject == "repository" }
            config = H.config(table: "2_bklog.ngi*nx")
            await #expect { try await h.save(config) } throws: { ($0 as? ArchiveError)?.subject == "table_id" }
            #expect(try await h.lifecycle.configs().isEmpty, "nothing invalid was saved")

            try await h.save(H.config(snapshotDays: 0))
            await #expect { try await h.save(H.config(id: "c2")) } throws: { ($0 as? CatalogError)?.code == .conflict }
            #expect(try await h.lifecycle.configs().map(\.snapshotDays) == [0])
            // Disabling the first makes room for another; enabling it again is the conflict.
            try await h.lifecycle.setEnabled(configID: "c1", false, now: now)
            try await h.save(H.config(id: "c2"))
            await #expect { try await h.lifecycle.setEnabled(configID: "c1", true, now: now) } throws: {
                ($0 as? CatalogError)?.code == .conflict
            }
        }
    }

    @Test("a second run the same day sends no snapshot and deletes nothing more")
    func rerunIsQuiet() async throws {
        try await H.run { h in
            try await h.save(H.config())
            h.seedDay(20261110)
            _ = await h.lifecycle.runCycle(for: H.config(), now: now)
            let report = await h.lifecycle.runCycle(for: H.config(), now: now.addingTimeInterval(3_600))
            #expect(report.snapshot == nil)
            #expect(report.deletedIndices.isEmpty)
            #expect(h.double.requests().filter { $0.method == "PUT" && $0.path.hasPrefix("/_snapshot/archive/") }.count == 1)
        }
    }

    @Test("snapshots past snapshot_days are deleted with their records; 0 keeps them forever")
    func snapshotRetention() async throws {
        for (days, deleted) in [(10, true), (0, false)] {
            try await H.run { h in
                try await h.save(H.config(snapshotDays: days))
                h.seedDay(20261110)
                _ = await h.lifecycle.runCycle(for: H.config(snapshotDays: days), now: now)
                let old = "2_bklog_nginx_access_snapshot_20261125"
                let later = now.addingTimeInterval(11 * 86_400)
                let report = await h.lifecycle.runCycle(for: H.config(snapshotDays: days), now: later)
                #expect(report.deletedSnapshots == (deleted ? [old] : []))
                #expect(h.double.snapshotNames(in: H.repository).contains(old) == !deleted)
                #expect((try await h.catalog.archiveSnapshot(repository: H.repository, snapshot: old) == nil) == deleted)
                #expect(try await h.catalog.archivedIndices(repository: H.repository, snapshot: old).isEmpty == deleted)
            }
        }
    }

    @Test("deleting a configuration keeps its snapshots unless asked to purge them")
    func deleteKeepsOrPurges() async throws {
        for purge in [false, true] {
            try await H.run { h in
                try await h.save(H.config())
                h.seedDay(20261110)
                _ = await h.lifecycle.runCycle(for: H.config(), now: now)
                let name = "2_bklog_nginx_access_snapshot_20261125"
                let deleted = try await h.lifecycle.delete(configID: "c1", purgeSnapshots: purge)
                #expect(try await h.lifecycle.configs().isEmpty)
                #expect(deleted == (purge ? [name] : []))
                #expect(h.double.snapshotNames(in: H.repository).contains(name) == !purge)
                #expect(try await h.catalog.archivedIndices(repository: H.repository, snapshot: name).isEmpty == purge)
                await #expect { try await h.lifecycle.delete(configID: "nope") } throws: { ($0 as? ArchiveError)?.code == .notFound }
            }
        }
    }

    @Test("an unreachable cluster is reported per table and records nothing")
    func unreachable() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        // A port that just stopped listening: connections are refused at once.
        let stopped = ClusterDouble()
        _ = try await stopped.start()
        let url = stopped.url
        try await stopped.shutdown()
        // AsyncHTTPClient keeps retrying a refused connection until the request's deadline: keep it short.
        let client = try SnapshotClient(configuration: .init(url: url, timeouts: .init(request: .seconds(2)), retry: .none))
        var lifecycle = ArchiveLifecycle(catalog: catalog, cluster: client, sleep: { _ in })
        lifecycle.logger.logLevel = .critical
        try await lifecycle.save(H.config(), now: now)
        try await lifecycle.save(H.config(id: "c2", table: "2_bklog.other"), now: now)
        let reports = await lifecycle.runDailyCycle(now: now)
        #expect(reports.count == 2, "one table's failure does not stop the others")
        #expect(reports.allSatisfy { $0.error?.contains(url) == true }, "\(reports.map(\.error))")
        #expect(try await catalog.archiveSnapshots(tableID: H.table).isEmpty)
        #expect(try await catalog.lease(named: ArchiveLifecycle.leaseName(forTable: H.table)) == nil, "the lease is released")
    }

    @Test("wrong credentials are a clear error naming the cluster's reason; nothing is recorded")
    func wrongCredentials() async throws {
        try await H.run({
            $0.username = "elastic"; $0.password = "right"
        }) { h in
            let client = try SnapshotClient(
                configuration: .init(url: h.double.url, credentials: .basic(username: "elastic", password: "wrong"), retry: .none))
            let lifecycle = ArchiveLifecycle(catalog: h.catalog, cluster: client, sleep: { _ in })
            try await lifecycle.save(H.config(), now: now)
            let report = await lifecycle.runCycle(for: H.config(), now: now)
            #expect(report.error?.contains("unable to authenticate user [elastic]") == true, "\(report.error ?? "")")
            #expect(report.error?.contains("wrong") == false, "the password is never printed")
            #expect(try await h.catalog.archiveSnapshots(tableID: H.table).isEmpty)
        }
    }
}
