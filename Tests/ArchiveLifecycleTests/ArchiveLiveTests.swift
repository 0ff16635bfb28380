import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import SnapshotClient
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The whole lifecycle against a real cluster named by `ES_URL` (with `ES_USER`/`ES_PASSWORD` or `ES_API_KEY`)
/// and a registered `fs` repository named by `ES_ARCHIVE_REPO` (default `backupkit_test`): an index in the
/// platform's layout with an expired alias is archived, deleted, restored and expired. Everything it
/// creates is named `backupkit_live…` and removed at the end.
@Suite(
    "Archive lifecycle against a live cluster",
    .enabled(
        if: LiveCluster.isAvailable, "set ES_URL (and ES_USER/ES_PASSWORD or ES_API_KEY, ES_ARCHIVE_REPO) to run against a live cluster"))
struct ArchiveLiveTests {
    @Test("an expired platform-layout index is archived, deleted, restored by time range and expired")
    func lifecycleAgainstCluster() async throws {
        let client = try LiveCluster.client()
        let repository = LiveCluster.environment["ES_ARCHIVE_REPO"] ?? "backupkit_test"
        let index = "v2_backupkit_live_t_2020010100_0"
        let alias = "write_2020010100_backupkit_live_t"
        try await LiveCluster.send("PUT", "/\(index)", body: #"{"aliases": {"\#(alias)": {}}}"#)
        try await client.putDocument(["dtEventTimeStamp": .int(1_577_840_400_000), "log": "live"], id: "1", in: index)

        let catalog = try SQLiteCatalog.inMemory()
        let lifecycle = ArchiveLifecycle(
            catalog: catalog, cluster: client, options: .init(pollInterval: .seconds(1), maxPolls: 300, factsIndex: "backupkit_live_facts"))
        let now = Date()
        let config = ArchiveConfig(
            id: "live", instanceID: "live", instanceType: .indexSet, businessID: "0", tableID: "backupkit_live.t", repository: repository,
            snapshotDays: 1, indexRetentionDays: 1, createdAt: now)
        try await lifecycle.save(config, now: now)
        let report = await lifecycle.runCycle(for: config, now: now)
        #expect(report.error == nil, "\(report.error ?? "")")
        #expect(report.archivedIndices == [index])
        #expect(report.deletedIndices == [index])

        let start = Date(timeIntervalSince1970: 1_577_836_800)
        var restore = try await lifecycle.startRestore(
            ArchiveRestoreRequest(tableID: config.tableID, start: start, end: start.addingTimeInterval(86_399), expiresAt: now + 3_600),
            now: now)
        restore = try await lifecycle.waitForRestore(id: restore.id, now: { Date() })
        #expect(restore.state == .done, "\(restore.failureReason ?? "")")
        #expect(restore.restoredDocCount == 1)
        _ = try await lifecycle.expireRestores(now: now + 7_200)
        _ = try await lifecycle.delete(configID: "live", purgeSnapshots: true)
        try await client.deleteIndices(["backupkit_live_facts", index, "restore_" + index], ignoreMissing: true)
    }
}

/// The live cluster named by the environment.
enum LiveCluster {
    static let environment = ProcessInfo.processInfo.environment
    static var isAvailable: Bool { environment["ES_URL"].map { !$0.isEmpty } ?? false }

    static var credentials: SnapshotClient.Credentials? {
        if let key = environment["ES_API_KEY"], !key.isEmpty { return .apiKey(key) }
        if let user = environment["ES_USER"], !user.isEmpty { return .basic(username: user, password: environment["ES_PASSWORD"] ?? "") }
        return nil
    }

    static func client() throws -> SnapshotClient {
        try SnapshotClient(configuration: .init(url: environment["ES_URL"] ?? "", credentials: credentials))
    }

    /// Sends one request the client has no call for (creating an index with aliases).
    static func send(_ method: String, _ path: String, body: String) async throws {
        var request = URLRequest(url: URL(string: (environment["ES_URL"] ?? "") + path)!)
        request.httpMethod = method
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key = environment["ES_API_KEY"], !key.isEmpty {
            request.setValue("ApiKey \(key)", forHTTPHeaderField: "Authorization")
        } else if let user = environment["ES_USER"], !user.isEmpty {
            let token = Data("\(user):\(environment["ES_PASSWORD"] ?? "")".utf8).base64EncodedString()
            request.setValue("Basic \(token)", forHTTPHeaderField: "Authorization")
        }
        let (_, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            throw SnapshotClientError(code: .cluster, message: "\(method) \(path) answered HTTP \(status)")
        }
    }
}
