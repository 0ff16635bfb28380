import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// `es-archive check` in the library: ArchivePreflight over the real SnapshotClient against the double.
@Suite("Preflight: Elasticsearch archive")
struct ArchivePreflightTests {
    static let table = "2_bklog.nginx_access"
    static let component = "table 2_bklog.nginx_access"
    /// Noon UTC on 2026-11-25: with 7 days of index retention, the indices of 1 and 2 November are expired.
    static let now = ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z")!

    struct Setup {
        let double: ClusterDouble
        let client: SnapshotClient
        let catalog: SQLiteCatalog

        func run(tableID: String? = nil, client other: SnapshotClient? = nil) async -> [CheckResult] {
            let client = other ?? self.client
            return await ArchivePreflight(cluster: client, checking: client, catalog: catalog).run(
                tableID: tableID, now: ArchivePreflightTests.now)
        }

        /// A daily index of `day` (yyyymmdd) with the platform's write and read aliases.
        @discardableResult
        func seed(_ day: Int, open: Bool = true) -> String {
            let name = "v2_2_bklog_nginx_access_\(day)00_0"
            double.addIndex(
                name: name, docs: 100, sizeBytes: 100_000, open: open,
                aliases: ["write_\(day)00_2_bklog_nginx_access", "2_bklog_nginx_access_\(day)00_read"])
            return name
        }
    }

    /// A double with user `elastic`, an `archive` repository, one enabled configuration, and indices of
    /// 1, 2, 24 and 25 November.
    static func withSetup(
        _ configure: (inout ClusterDouble.Configuration) -> Void = { _ in }, _ body: (Setup) async throws -> Void
    ) async throws {
        var configuration = ClusterDouble.Configuration(version: "7.17.0")
        configuration.username = "elastic"
        configuration.password = "s3cret-pw"
        configure(&configuration)
        let double = ClusterDouble(configuration: configuration)
        _ = try await double.start()
        do {
            let client = try SnapshotClient(
                configuration: .init(url: double.url, credentials: .basic(username: "elastic", password: "s3cret-pw"), retry: .none))
            // Registered without verification, so that a double whose verification fails still holds it.
            try await client.createRepository(named: "archive", settings: .fs(location: "/mnt/archive"), verify: false)
            let catalog = try SQLiteCatalog.inMemory()
            try await catalog.save(
                ArchiveConfig(
                    id: "c1", instanceID: "17", instanceType: .indexSet, businessID: "2", tableID: table, repository: "archive",
                    snapshotDays: 30, indexRetentionDays: 7, createdAt: now.addingTimeInterval(-90 * 86_400)))
            let setup = Setup(double: double, client: client, catalog: catalog)
            for day in [20261101, 20261102, 20261124, 20261125] { setup.seed(day) }
            try await body(setup)
        } catch {
            try? await double.shutdown()
            throw error
        }
        try await double.shutdown()
    }

    @Test("a healthy cluster and table report every check ok, with the count archived tonight")
    func correct() async throws {
        try await Self.withSetup { setup in
            let results = await setup.run()
            #expect(notOK(results).isEmpty, "\(notOK(results))")
            #expect(results.result("cluster", "version")?.detail.contains("7.17.0") == true)
            #expect(results.result(Self.component, "repository")?.detail.contains("verified on 1 node") == true)
            let indices = try #require(results.result(Self.component, "indices"))
            #expect(indices.detail.contains("4 index(es)"), "\(indices.detail)")
            #expect(indices.detail.contains("2 expired: 2 would be archived tonight, 0 blocked"), "\(indices.detail)")
            #expect(results.result(Self.component, "restore_headroom")?.status == .ok)
        }
    }

    @Test("a red and a closed expired index are counted as blocked with their reasons")
    func blockedIndices() async throws {
        try await Self.withSetup { setup in
            setup.double.setHealth(.red, of: "v2_2_bklog_nginx_access_2026110100_0")
            let closed = setup.seed(20261103, open: false)
            let results = await setup.run()
            let indices = expectFailed(results, Self.component, "indices")
            #expect(indices?.detail.contains("3 expired: 1 would be archived tonight, 2 blocked") == true, "\(String(describing: indices))")
            #expect(indices?.detail.contains("v2_2_bklog_nginx_access_2026110100_0: red") == true)
            #expect(indices?.detail.contains("\(closed): closed") == true)
        }
    }

    @Test("a repository that fails verification on a node fails with its fix")
    func repositoryVerification() async throws {
        try await Self.withSetup({ $0.failingRepositoryVerifications = ["archive"] }) { setup in
            let repository = expectFailed(await setup.run(), Self.component, "repository")
            #expect(repository?.fix?.contains("path.repo") == true)
        }
    }

    @Test("wrong credentials fail credentials; an unreachable cluster fails reachable; neither shows the password")
    func refusedAndUnreachable() async throws {
        try await Self.withSetup { setup in
            let wrong = try SnapshotClient(
                configuration: .init(url: setup.double.url, credentials: .basic(username: "elastic", password: "not-it-9f2"), retry: .none))
            let refused = await setup.run(client: wrong)
            expectFailed(refused, "cluster", "credentials")
            #expect(refused.count == 2, "no further check runs: \(refused)")
            expectNoSecret(refused, ["not-it-9f2", "s3cret-pw"])
            let away = try SnapshotClient(
                configuration: .init(url: "http://127.0.0.1:9", timeouts: .init(request: .seconds(3)), retry: .none))
            expectFailed(await setup.run(client: away), "cluster", "reachable")
        }
    }

    @Test("a data node past the disk limit fails restore_headroom; an unknown table fails configurations")
    func diskAndUnknownTable() async throws {
        try await Self.withSetup { setup in
            setup.double.setDisk(usedBytes: 90, totalBytes: 100)
            expectFailed(await setup.run(), Self.component, "restore_headroom")
            expectFailed(await setup.run(tableID: "2_bklog.no_such_table"), "catalog", "configurations")
        }
    }
}
