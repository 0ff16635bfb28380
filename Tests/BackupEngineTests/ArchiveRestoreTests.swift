import BackupCatalog
import BackupModels
import Foundation
import Retention
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

@Suite("Archive restore by time range (in-memory cluster)")
struct ArchiveRestoreTests {
    let now = ArchiveFixture.day(20261125, hours: 2)

    /// A catalog and cluster after one cycle archived 20261110…20261117 (each index spans its Shanghai day).
    func archived() async throws -> (SQLiteCatalog, FakeCluster, RecordingNotifier, ArchiveLifecycle) {
        let catalog = try SQLiteCatalog.inMemory()
        let cluster = FakeCluster()
        await ArchiveFixture.seedDays(cluster, Array(20261110...20261117))
        let notifier = RecordingNotifier()
        let lifecycle = ArchiveFixture.lifecycle(catalog, cluster, notifier: notifier)
        try await lifecycle.save(ArchiveFixture.config(), now: now)
        _ = await lifecycle.runDailyCycle(now: now)
        await cluster.clearLog()
        return (catalog, cluster, notifier, lifecycle)
    }

    func request(_ from: Date, _ to: Date, expires: TimeInterval = 86_400) -> ArchiveRestoreRequest {
        ArchiveRestoreRequest(tableID: "2_bklog.nginx_access", start: from, end: to, expiresAt: now.addingTimeInterval(expires))
    }

    @Test("overlapping indices are restored per snapshot as restore_<index>, 0 replicas, no aliases; done once the docs are back")
    func restoresOverlap() async throws {
        let (catalog, cluster, notifier, lifecycle) = try await archived()
        await cluster.set(restoreDelay: 1)
        // Ends exactly where 20261112's data starts (inclusive), starts inside 20261111.
        let restore = try await lifecycle.startRestore(
            request(ArchiveFixture.day(20261111, hours: 12), ArchiveFixture.day(20261112, hours: 0.5)), now: now)
        #expect(restore.state == .running)
        #expect(restore.indices == ["restore_2_bklog_nginx_access_20261111", "restore_2_bklog_nginx_access_20261112"])
        #expect(restore.totalDocCount == 200)
        let requests = await cluster.restoreRequests
        #expect(requests.count == 1, "one request per snapshot")
        let sent = try #require(requests.first)
        #expect(sent.snapshot == "2_bklog_nginx_access_snapshot_20261125")
        #expect(sent.renamePattern == "(.+)")
        #expect(sent.renameReplacement == "restore_$1")
        #expect(sent.indexSettings == ["index.number_of_replicas": "0"])
        #expect(sent.includeAliases == false)

        let progress = try await lifecycle.refreshRestore(id: restore.id, now: now.addingTimeInterval(10))
        #expect(progress.state == .running)
        #expect(progress.restoredDocCount == 0)
        let done = try await lifecycle.refreshRestore(id: restore.id, now: now.addingTimeInterval(20))
        #expect(done.state == .done)
        #expect(done.restoredDocCount == 200)
        #expect(done.duration == 20)
        _ = try await lifecycle.refreshRestore(id: restore.id, now: now.addingTimeInterval(30))
        let events = await notifier.events.filter { $0.kind == .restoreFinished }
        #expect(events.count == 1, "one notification per restore")
        #expect(events.first?.details["state"] == "done")
        #expect(try await catalog.restore(id: restore.id)?.state == .done)
    }

    @Test("refused when used disk plus the restore would pass 80 %; nothing recorded")
    func refusedOnDisk() async throws {
        let (catalog, cluster, _, lifecycle) = try await archived()
        // Two indices of 100,000 bytes: 800,000 - 200,000 + 1 used of 1,000,000 passes 80 %.
        await cluster.set(disk: ClusterDisk(usedBytes: 600_001, totalBytes: 1_000_000))
        let range = request(ArchiveFixture.day(20261111, hours: 1), ArchiveFixture.day(20261112, hours: 1))
        await #expect { try await lifecycle.startRestore(range, now: now) } throws: {
            ($0 as? ArchiveError)?.code == .insufficientDisk && "\($0)".contains("80%")
        }
        #expect(try await catalog.restores(states: nil).isEmpty)
        #expect(await cluster.restoreRequests.isEmpty)
        await cluster.set(disk: ClusterDisk(usedBytes: 600_000, totalBytes: 1_000_000))
        #expect(try await lifecycle.startRestore(range, now: now).state == .running, "exactly 80 % is allowed")
    }

    @Test("bad input is refused with the field named, and nothing is recorded")
    func badInput() async throws {
        let (catalog, cluster, _, lifecycle) = try await archived()
        let day = ArchiveFixture.day(20261111)
        await #expect { try await lifecycle.startRestore(request(day, day.addingTimeInterval(-1)), now: now) } throws: {
            ($0 as? ModelError)?.subject == "start_time"
        }
        await #expect { try await lifecycle.startRestore(request(day, day, expires: -1), now: now) } throws: {
            ($0 as? ModelError)?.subject == "expires_at"
        }
        let empty = request(ArchiveFixture.day(20261001), ArchiveFixture.day(20261002))
        await #expect { try await lifecycle.startRestore(empty, now: now) } throws: { ($0 as? ArchiveError)?.code == .noArchivedData }
        await cluster.set(reachable: false)
        let inside = day.addingTimeInterval(3600)
        await #expect { try await lifecycle.startRestore(request(inside, inside), now: now) } throws: { "\($0)".contains("unreachable") }
        #expect(try await catalog.restores(states: nil).isEmpty)
        await #expect { try await lifecycle.refreshRestore(id: "nope", now: now) } throws: { ($0 as? ArchiveError)?.code == .notFound }
    }

    @Test("a restore the cluster refuses is recorded failed with its reason and notified once")
    func refusedByCluster() async throws {
        let (catalog, cluster, notifier, lifecycle) = try await archived()
        await cluster.set(restoreRefusal: "repository_missing_exception: [archive] missing")
        let restore = try await lifecycle.startRestore(
            request(ArchiveFixture.day(20261113, hours: 1), ArchiveFixture.day(20261114, hours: 1)), now: now)
        #expect(restore.state == .failed)
        #expect(restore.failureReason?.contains("repository_missing_exception") == true)
        #expect(try await catalog.restore(id: restore.id)?.state == .failed)
        #expect(try await lifecycle.refreshRestore(id: restore.id, now: now.addingTimeInterval(5)).state == .failed)
        let events = await notifier.events.filter { $0.kind == .restoreFinished }
        #expect(events.count == 1)
        #expect(events.first?.details["state"] == "failed")
        #expect(events.first?.isFailure == true)
    }

    @Test("an index restored by a live restore is shared, not restored again")
    func sharesExisting() async throws {
        let (_, cluster, _, lifecycle) = try await archived()
        await cluster.seed("restore_2_bklog_nginx_access_20261113", documents: 100)
        let restore = try await lifecycle.startRestore(
            request(ArchiveFixture.day(20261113, hours: 1), ArchiveFixture.day(20261114, hours: 1)), now: now)
        #expect(await cluster.restoreRequests.first?.indices == ["2_bklog_nginx_access_20261114"])
        #expect(restore.indices == ["restore_2_bklog_nginx_access_20261113", "restore_2_bklog_nginx_access_20261114"])
        #expect(try await lifecycle.refreshRestore(id: restore.id, now: now).state == .done)
    }

    @Test("expiry deletes restored indices no live restore uses, keeps shared ones, and can be extended")
    func expiryWithSharing() async throws {
        let (catalog, cluster, _, lifecycle) = try await archived()
        let a = try await lifecycle.startRestore(
            request(ArchiveFixture.day(20261110, hours: 1), ArchiveFixture.day(20261111, hours: 1), expires: 3600), now: now)
        _ = try await lifecycle.refreshRestore(id: a.id, now: now)
        let b = try await lifecycle.startRestore(
            request(ArchiveFixture.day(20261111, hours: 1), ArchiveFixture.day(20261112, hours: 1), expires: 7200), now: now)
        #expect(await cluster.restoreRequests.last?.indices == ["2_bklog_nginx_access_20261112"], "20261111 is shared, not restored again")
        #expect(b.indices == ["restore_2_bklog_nginx_access_20261111", "restore_2_bklog_nginx_access_20261112"])
        _ = try await lifecycle.refreshRestore(id: b.id, now: now)

        let first = try await lifecycle.expireRestores(now: now.addingTimeInterval(3600))
        #expect(first.expiring == [a.id])
        #expect(first.indicesToDelete == ["restore_2_bklog_nginx_access_20261110"])
        #expect(first.indicesKept["restore_2_bklog_nginx_access_20261111"] == [b.id])
        let present = await cluster.indices.keys.filter { $0.hasPrefix("restore_") }.sorted()
        #expect(present == ["restore_2_bklog_nginx_access_20261111", "restore_2_bklog_nginx_access_20261112"])
        #expect(try await catalog.restore(id: a.id)?.state == .expired)

        // Extending b keeps everything at its old expiry; an expiry in the past is refused.
        await #expect { try await lifecycle.extendRestore(id: b.id, until: now, now: now.addingTimeInterval(60)) } throws: {
            ($0 as? ModelError)?.subject == "expires_at"
        }
        _ = try await lifecycle.extendRestore(id: b.id, until: now.addingTimeInterval(86_400), now: now)
        #expect(try await lifecycle.expireRestores(now: now.addingTimeInterval(7200)).expiring.isEmpty)
        let last = try await lifecycle.expireRestores(now: now.addingTimeInterval(86_400))
        #expect(last.expiring == [b.id])
        #expect(await cluster.indices.keys.filter { $0.hasPrefix("restore_") }.isEmpty)
        await #expect { try await lifecycle.extendRestore(id: a.id, until: now.addingTimeInterval(99_999), now: now) } throws: {
            ($0 as? ArchiveError)?.code == .notFound
        }
    }

    @Test("selecting among many archived rows follows the one inclusive overlap rule")
    func selectionMatchesOverlapRule() async throws {
        let catalog = try SQLiteCatalog.inMemory()
        let base = ArchiveFixture.day(20260101)
        var rows: [ArchivedIndex] = []
        for i in 0..<300 {
            let start = base.addingTimeInterval(Double(i) * 43_200)
            rows.append(
                ArchivedIndex(
                    archiveConfigID: "c1", tableID: "2_bklog.nginx_access", repository: "archive", snapshot: "s\(i / 10)",
                    index: "2_bklog_nginx_access_\(i)", docCount: 1, storeSizeBytes: 1, startTime: start,
                    endTime: start.addingTimeInterval(86_399), archivedAt: start))
        }
        try await catalog.insert(rows)
        let lifecycle = ArchiveFixture.lifecycle(catalog, FakeCluster())
        for (from, to) in [(0.0, 0.0), (86_399.0, 86_400.0), (1_000_000.0, 2_000_000.0)] {
            let start = base.addingTimeInterval(from)
            let end = base.addingTimeInterval(to)
            let chosen = try await lifecycle.restoreCandidates(tableID: "2_bklog.nginx_access", start: start, end: end)
            #expect(Set(chosen.map(\.index)) == Set(rows.filter { $0.overlaps(start: start, end: end) }.map(\.index)))
        }
    }
}
