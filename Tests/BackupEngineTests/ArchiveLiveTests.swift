import BackupCatalog
import BackupModels
import Foundation
import SnapshotClient
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// The whole lifecycle against a real cluster named by `ES_URL` (with `ES_USER`/`ES_PASSWORD` or `ES_API_KEY`)
/// and a registered `fs` repository named by `ES_ARCHIVE_REPO` (default `backupkit_test`). Indices and
/// snapshots it creates are prefixed `backupkit_live_` and removed at the end.
@Suite(
    "Archive lifecycle against a live cluster",
    .enabled(
        if: LiveCluster.isAvailable, "set ES_URL (and ES_USER/ES_PASSWORD or ES_API_KEY, ES_ARCHIVE_REPO) to run against a live cluster"))
struct ArchiveLiveTests {
    @Test("the lifecycle's calls succeed against the cluster; its snapshots are purged")
    func lifecycleCallsSucceed() async throws {
        let client = try LiveCluster.client()
        let repository = LiveCluster.environment["ES_ARCHIVE_REPO"] ?? "backupkit_test"
        let catalog = try SQLiteCatalog.inMemory()
        let lifecycle = ArchiveLifecycle(catalog: catalog, cluster: client)
        let now = Date()
        let config = ArchiveConfig(
            id: "live", instanceID: "live", instanceType: .indexSet, businessID: "0", tableID: "backupkit_live.t", repository: repository,
            snapshotDays: 1, indexRetentionDays: 1, createdAt: now)
        try await lifecycle.save(config, now: now)
        let report = await lifecycle.runCycle(for: config, now: now)
        #expect(report.error == nil, "\(report.error ?? "")")
        let disk = try await client.diskUsage()
        #expect(disk.totalBytes > 0)
        _ = try await lifecycle.delete(configID: "live", purgeSnapshots: true)
    }
}

/// The live cluster named by the environment.
enum LiveCluster {
    static let environment = ProcessInfo.processInfo.environment
    static var isAvailable: Bool { environment["ES_URL"].map { !$0.isEmpty } ?? false }

    static func client() throws -> SnapshotClient {
        var credentials: SnapshotClient.Credentials?
        if let key = environment["ES_API_KEY"], !key.isEmpty {
            credentials = .apiKey(key)
        } else if let user = environment["ES_USER"], !user.isEmpty {
            credentials = .basic(username: user, password: environment["ES_PASSWORD"] ?? "")
        }
        return try SnapshotClient(configuration: .init(url: environment["ES_URL"] ?? "", credentials: credentials))
    }
}
