import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import Logging
import SnapshotClient
import SnapshotClientTesting
import Synchronization

/// A lifecycle over the real `SnapshotClient`, over HTTP, against the in-process cluster double, with a
/// catalog in memory and every wait returning at once.
struct ArchiveHarness {
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    static let table = "2_bklog.nginx_access"
    static let prefix = "2_bklog_nginx_access"
    static let repository = "archive"

    let double: ClusterDouble
    let client: SnapshotClient
    let catalog: SQLiteCatalog
    let notifier: RecordingNotifier
    var lifecycle: ArchiveLifecycle

    /// Starts a double (Elasticsearch `version` unless `configure` says otherwise), registers the
    /// `archive` repository, and runs `body`.
    static func run<T>(
        version: String = "7.17.0", _ configure: (inout ClusterDouble.Configuration) -> Void = { _ in },
        options: (inout ArchiveLifecycle.Options) -> Void = { _ in },
        _ body: (inout ArchiveHarness) async throws -> T
    ) async throws -> T {
        var configuration = ClusterDouble.Configuration(version: version)
        configure(&configuration)
        let double = ClusterDouble(configuration: configuration)
        _ = try await double.start()
        do {
            let credentials = configuration.username.map {
                SnapshotClient.Credentials.basic(username: $0, password: configuration.password ?? "")
            }
            let client = try SnapshotClient(configuration: .init(url: double.url, credentials: credentials, retry: .none))
            try await client.createRepository(named: repository, settings: .fs(location: "/mnt/archive"))
            let catalog = try SQLiteCatalog.inMemory()
            let notifier = RecordingNotifier()
            var tunables = ArchiveLifecycle.Options(pollInterval: .milliseconds(1), maxPolls: 20, clusterWaitInitial: .milliseconds(1))
            options(&tunables)
            var lifecycle = ArchiveLifecycle(
                catalog: catalog, cluster: client, notifier: notifier, options: tunables, sleep: { _ in await Task.yield() })
            lifecycle.logger.logLevel = .critical
            var harness = ArchiveHarness(double: double, client: client, catalog: catalog, notifier: notifier, lifecycle: lifecycle)
            let result = try await body(&harness)
            try await double.shutdown()
            return result
        } catch {
            try? await double.shutdown()
            throw error
        }
    }

    /// The instant `hour` o'clock on `yyyymmdd` in Shanghai.
    static func at(_ yyyymmdd: Int, hour: Int = 0) -> Date {
        CalendarTime(year: yyyymmdd / 10_000, month: yyyymmdd / 100 % 100, day: yyyymmdd % 100, hour: hour).date(in: shanghai)!
    }

    /// The platform's datetime text (`%Y%m%d%H`, Shanghai) of an instant.
    static func datetime(_ date: Date) -> String { ArchiveDateFormat.platformDefault.string(from: date, in: shanghai) }

    /// The table's configuration: retention `retention` days, index datetimes in Shanghai, snapshot names in UTC.
    static func config(retention: Int = 7, snapshotDays: Int = 30, id: String = "c1", table: String = table) -> ArchiveConfig {
        ArchiveConfig(
            id: id, instanceID: "17", instanceType: .indexSet, businessID: "2", tableID: table, repository: repository,
            snapshotDays: snapshotDays, indexRetentionDays: retention, timeZoneIdentifier: "UTC", indexTimeZoneIdentifier: "Asia/Shanghai",
            createdAt: at(20260101))
    }

    /// Seeds one index the way the platform makes it: `v2_<prefix>_<datetime>_<n>` created at `created`,
    /// carrying the write and read aliases of every two-hour slice from `created` through `lastSlice`,
    /// holding `docs` documents spread over that span.
    @discardableResult
    func seedIndex(
        created: Date, lastSlice: Date? = nil, rotation: Int = 0, docs: Int64 = 1_000, prefix: String = prefix, layout: String = "v2_"
    ) -> String {
        let name = "\(layout)\(prefix)_\(Self.datetime(created))_\(rotation)"
        let end = lastSlice ?? created
        var aliases: [String] = []
        var slice = created
        while slice <= end {
            let text = Self.datetime(slice)
            aliases += ["write_\(text)_\(prefix)", "\(prefix)_\(text)_read"]
            slice = slice.addingTimeInterval(2 * 3600)
        }
        double.addIndex(
            name: name, docs: docs, sizeBytes: docs * 100, timeRange: created...end.addingTimeInterval(2 * 3600 - 1), aliases: aliases,
            settings: ["index.lifecycle.name": "bklog_policy", "index.routing.allocation.require.box": "hot"])
        return name
    }

    /// Seeds a day's index (`created` at midnight, aliases through 22:00 of the same day).
    @discardableResult
    func seedDay(_ yyyymmdd: Int, docs: Int64 = 1_000, prefix: String = prefix) -> String {
        seedIndex(created: Self.at(yyyymmdd), lastSlice: Self.at(yyyymmdd, hour: 22), docs: docs, prefix: prefix)
    }

    func save(_ config: ArchiveConfig) async throws {
        try await lifecycle.save(config, now: config.createdAt)
    }

    /// The archived rows of an index.
    func rows(of index: String, table: String = table) async throws -> [ArchivedIndex] {
        try await catalog.archivedIndices(tableID: table, overlapping: .distantPast, .distantFuture).filter { $0.index == index }
    }
}

/// Collects the events the lifecycle sends.
final class RecordingNotifier: Notifier, Sendable {
    private let events = Mutex<[BackupEvent]>([])

    func notify(_ event: BackupEvent) async throws { events.withLock { $0.append(event) } }

    var recorded: [BackupEvent] { events.withLock { $0 } }

    func kinds() -> [String] { recorded.map { "\($0.kind)" } }
}
