import BackupCatalog
import BackupModels
import Foundation
import Logging
import Retention
import SnapshotClient
import SnapshotClientTesting
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// The archive lifecycle through the real `SnapshotClient`, over HTTP, against the in-process cluster double.
@Suite("Archive workflow against the cluster double")
struct ArchiveWorkflowTests {
    /// 2026-11-25 02:00 in Shanghai: with 7 days of retention, daily indices up to 20261117 are due.
    let now = ArchiveFixture.day(20261125, hours: 2)

    /// Starts a double, registers the `archive` repository and runs `body` with a lifecycle over it.
    func withCluster<T>(
        _ configure: (inout ClusterDouble.Configuration) -> Void = { _ in },
        _ body: (ClusterDouble, ArchiveLifecycle, SQLiteCatalog, RecordingNotifier) async throws -> T
    ) async throws -> T {
        var configuration = ClusterDouble.Configuration()
        configure(&configuration)
        let double = ClusterDouble(configuration: configuration)
        _ = try await double.start()
        do {
            let credentials = configuration.username.map {
                SnapshotClient.Credentials.basic(username: $0, password: configuration.password ?? "")
            }
            let client = try SnapshotClient(configuration: .init(url: double.url, credentials: credentials, retry: .none))
            try await client.createRepository(named: "archive", settings: .fs(location: "/mnt/archive"))
            let catalog = try SQLiteCatalog.inMemory()
            let notifier = RecordingNotifier()
            var lifecycle = ArchiveLifecycle(
                catalog: catalog, cluster: client, notifier: notifier,
                options: ArchiveLifecycle.Options(pollInterval: .milliseconds(1), maxPolls: 50), sleep: { _ in await Task.yield() })
            lifecycle.logger.logLevel = .critical
            let result = try await body(double, lifecycle, catalog, notifier)
            try await double.shutdown()
            return result
        } catch {
            try? await double.shutdown()
            throw error
        }
    }

    /// Seeds `<prefix>_<day>` indices of 100 documents spanning their Shanghai day.
    func seed(_ double: ClusterDouble, prefix: String = "2_bklog_nginx_access", days: [Int]) {
        for day in days {
            double.addIndex(
                name: "\(prefix)_\(day)", docs: 100, sizeBytes: 100_000,
                timeRange: ArchiveFixture.day(day, hours: 0.5)...ArchiveFixture.day(day, hours: 23.5), open: true)
        }
    }

    @Test("a daily cycle snapshots due indices, records their facts after SUCCESS, then deletes them")
    func archiveCycle() async throws {
        try await withCluster({ $0.snapshotCompletion = .afterPolls(2) }) { double, lifecycle, catalog, notifier in
            seed(double, days: Array(20261114...20261120))
            try await lifecycle.save(ArchiveFixture.config(repository: "archive"), now: now)
            let report = try #require(await lifecycle.runDailyCycle(now: now).first)
            #expect(report.error == nil, "\(report.error ?? "")")
            #expect(report.snapshotState == "success")
            let due = (20261114...20261117).map { "2_bklog_nginx_access_\($0)" }
            #expect(report.archivedIndices == due)
            #expect(double.snapshotNames(in: "archive") == ["2_bklog_nginx_access_snapshot_20261125"])
            #expect(double.snapshotState(named: "2_bklog_nginx_access_snapshot_20261125", in: "archive") == "SUCCESS")
            #expect(Set(double.indexNames()).isDisjoint(with: due))
            #expect(double.indexNames().contains("2_bklog_nginx_access_20261118"))
            let rows = try await catalog.archivedIndices(repository: "archive", snapshot: "2_bklog_nginx_access_snapshot_20261125")
            #expect(rows.map(\.index) == due)
            #expect(rows.first?.docCount == 100)
            #expect(rows.first?.startTime == ArchiveFixture.day(20261114, hours: 0.5))
            #expect(rows.first?.endTime == ArchiveFixture.day(20261114, hours: 23.5))
            #expect(await notifier.events.isEmpty)
            let create = double.requests().filter { $0.method == "PUT" && $0.path.hasPrefix("/_snapshot/archive/") }
            #expect(create.count == 1)
        }
    }

    @Test("a snapshot that keeps failing is retried a bounded number of times, reported each time, and blocks deletion loudly")
    func failureRetryAndNotification() async throws {
        let name = "2_bklog_nginx_access_snapshot_20261125"
        try await withCluster({ $0.snapshotOutcomes = [name: "FAILED"] }) { double, lifecycle, catalog, notifier in
            seed(double, days: [20261116, 20261117])
            try await lifecycle.save(ArchiveFixture.config(repository: "archive"), now: now)
            let report = try #require(await lifecycle.runDailyCycle(now: now).first)
            #expect(report.snapshotState == "failed")
            #expect(report.attempts == 3)
            #expect(report.blockedIndices == ["2_bklog_nginx_access_20261116", "2_bklog_nginx_access_20261117"])
            #expect(double.indexNames().contains("2_bklog_nginx_access_20261116"), "not deleted without a SUCCESS snapshot")
            let events = await notifier.events
            #expect(events.map(\.kind) == [.snapshotFailed, .snapshotFailed, .snapshotFailed])
            #expect(events.map { $0.details["attempt"] } == ["1", "2", "3"])
            #expect(try await catalog.archivedIndices(repository: "archive", snapshot: name).isEmpty)
        }
    }

    @Test("a restore that would pass 80 % of the cluster's disk is refused and nothing is recorded")
    func restoreRefusedOnDisk() async throws {
        try await withCluster { double, lifecycle, catalog, _ in
            seed(double, days: [20261116, 20261117])
            try await lifecycle.save(ArchiveFixture.config(repository: "archive"), now: now)
            _ = await lifecycle.runDailyCycle(now: now)
            double.setDisk(usedBytes: 750_000, totalBytes: 1_000_000)
            let request = ArchiveRestoreRequest(
                tableID: "2_bklog.nginx_access", start: ArchiveFixture.day(20261116, hours: 1),
                end: ArchiveFixture.day(20261117, hours: 1), expiresAt: now.addingTimeInterval(86_400))
            await #expect { try await lifecycle.startRestore(request, now: now) } throws: {
                ($0 as? ArchiveError)?.code == .insufficientDisk
            }
            #expect(try await catalog.restores(states: nil).isEmpty)
            #expect(!double.requests().contains { $0.path.hasSuffix("/_restore") })
        }
    }

    @Test("restore, progress to done, and expiry that keeps an index another live restore uses")
    func restoreAndExpiry() async throws {
        try await withCluster { double, lifecycle, catalog, notifier in
            seed(double, days: [20261115, 20261116, 20261117])
            try await lifecycle.save(ArchiveFixture.config(repository: "archive"), now: now)
            _ = await lifecycle.runDailyCycle(now: now)
            let first = try await lifecycle.startRestore(
                ArchiveRestoreRequest(
                    tableID: "2_bklog.nginx_access", start: ArchiveFixture.day(20261115, hours: 1),
                    end: ArchiveFixture.day(20261116, hours: 1), expiresAt: now.addingTimeInterval(3_600)), now: now)
            let done = try await lifecycle.waitForRestore(id: first.id, now: { now.addingTimeInterval(60) })
            #expect(done.state == .done)
            #expect(done.restoredDocCount == 200)
            let second = try await lifecycle.startRestore(
                ArchiveRestoreRequest(
                    tableID: "2_bklog.nginx_access", start: ArchiveFixture.day(20261116, hours: 1),
                    end: ArchiveFixture.day(20261117, hours: 1), expiresAt: now.addingTimeInterval(7_200)), now: now)
            #expect(try await lifecycle.waitForRestore(id: second.id, now: { now.addingTimeInterval(90) }).state == .done)
            let restores = double.requests().filter { $0.path.hasSuffix("/_restore") }
            #expect(restores.count == 2, "one request per snapshot and restore; the shared index is not restored twice")
            #expect(await notifier.events.filter { $0.kind == .restoreFinished }.count == 2)

            let plan = try await lifecycle.expireRestores(now: now.addingTimeInterval(3_600))
            #expect(plan.indicesToDelete == ["restore_2_bklog_nginx_access_20261115"])
            let names = Set(double.indexNames())
            #expect(!names.contains("restore_2_bklog_nginx_access_20261115"))
            #expect(names.contains("restore_2_bklog_nginx_access_20261116"), "still used by the second restore")
            _ = try await lifecycle.expireRestores(now: now.addingTimeInterval(7_200))
            #expect(!double.indexNames().contains { $0.hasPrefix("restore_") })
            #expect(try await catalog.restores(states: [.expired]).count == 2)
        }
    }

    @Test("HTTP requests of a cycle grow with tables, not with indices")
    func requestsGrowWithTables() async throws {
        var counts: [Int] = []
        for perTable in [3, 20] {
            let count = try await withCluster { double, lifecycle, _, _ in
                for table in 0..<3 {
                    try await lifecycle.save(
                        ArchiveFixture.config(id: "c\(table)", tableID: "2_bklog.t\(table)", repository: "archive"), now: now)
                    let days = (0..<perTable).map { offset -> Int in
                        let t = CalendarTime(
                            ArchiveFixture.day(20261117, hours: 2).addingTimeInterval(-Double(offset) * 86_400), in: ArchiveFixture.zone)
                        return t.year * 10_000 + t.month * 100 + t.day
                    }
                    seed(double, prefix: "2_bklog_t\(table)", days: days)
                }
                double.clearRequests()
                let reports = await lifecycle.runDailyCycle(now: now)
                #expect(reports.allSatisfy { $0.succeeded && $0.archivedIndices.count == perTable })
                return double.requests().count
            }
            counts.append(count)
        }
        #expect(counts[0] == counts[1], "\(counts)")
    }

    @Test("wrong credentials and an unreachable cluster are clear errors; nothing is recorded")
    func badClusters() async throws {
        try await withCluster({
            $0.username = "elastic"; $0.password = "right"
        }) { double, _, _, _ in
            let catalog = try SQLiteCatalog.inMemory()
            let wrong = try SnapshotClient(
                configuration: .init(url: double.url, credentials: .basic(username: "elastic", password: "wrong")))
            let lifecycle = ArchiveLifecycle(catalog: catalog, cluster: wrong)
            try await lifecycle.save(ArchiveFixture.config(repository: "archive"), now: now)
            let report = try #require(await lifecycle.runDailyCycle(now: now).first)
            #expect(report.error?.contains("401") == true || report.error?.contains("security") == true, "\(report.error ?? "")")
            #expect(report.error?.contains("wrong") == false, "the password never appears")
        }
        let catalog = try SQLiteCatalog.inMemory()
        let down = try SnapshotClient(
            configuration: .init(url: "http://127.0.0.1:1", timeouts: .init(request: .seconds(2)), retry: .none))
        let lifecycle = ArchiveLifecycle(catalog: catalog, cluster: down)
        try await catalog.insert([
            ArchivedIndex(
                archiveConfigID: "c1", tableID: "t", repository: "archive", snapshot: "t_snapshot_20261125", index: "t_20261101",
                docCount: 1, storeSizeBytes: 1, startTime: now, endTime: now, archivedAt: now)
        ])
        let request = ArchiveRestoreRequest(tableID: "t", start: now, end: now, expiresAt: now.addingTimeInterval(60))
        await #expect { try await lifecycle.startRestore(request, now: now) } throws: { ($0 as? SnapshotClientError)?.isConnection == true }
        #expect(try await catalog.restores(states: nil).isEmpty)
    }
}
