public import BackupCatalog
public import BackupModels
public import Foundation
public import Logging

/// What the archive lifecycle keeps in a catalog: the archive's rows and the per-table leases.
public typealias ArchiveLifecycleCatalog = ArchiveCatalog & LeaseCatalog

/// The Elasticsearch archive lifecycle: configurations, the daily snapshot-then-delete cycle, restores
/// by time range and their expiry, with state in a ``BackupCatalog/Catalog``.
///
/// ```swift
/// let lifecycle = ArchiveLifecycle(catalog: catalog, cluster: client, notifier: notifier, logger: logger)
/// try await lifecycle.add(config, now: .now)
/// let report = await lifecycle.runDailyCycle(now: .now)          // once a day, any time of day
/// let restore = try await lifecycle.startRestore(request, now: .now)
/// _ = try await lifecycle.refreshRestore(id: restore.id, now: .now)  // progress, then done
/// _ = try await lifecycle.expireRestores(now: .now)
/// ```
///
/// Every method takes the current time as `now:`; waiting between polls goes through ``sleep``.
public struct ArchiveLifecycle: Sendable {
    /// Tunables of the lifecycle.
    public struct Options: Sendable, Hashable {
        /// Attempts per snapshot (per table and day) before its indices are reported blocked.
        public var maxSnapshotAttempts: Int
        /// The field holding each document's event time (epoch milliseconds or a date).
        public var timeField: String
        /// The wait between two polls of a running snapshot.
        public var pollInterval: Duration
        /// Polls of one snapshot before the attempt counts as timed out.
        public var maxPolls: Int
        /// The share of the cluster's disk a restore may fill up to (0.8: refused past 80 %).
        public var diskLimit: Double
        /// How long a restore may run before it is marked failed.
        public var restoreTimeout: TimeInterval
        /// The cluster index holding each archive snapshot's facts (one document per snapshot).
        public var factsIndex: String
        /// How long one table's cycle may wait in total for the cluster's limits (a concurrent snapshot,
        /// deletion or restore) before it leaves the work to the next run.
        public var clusterWaitBudget: Duration
        /// The first wait after a refusal on a cluster limit; doubled each time, with jitter, up to 60 s.
        public var clusterWaitInitial: Duration
        /// How long a table's lease lasts; a run that dies holding it is taken over once it expires.
        public var leaseDuration: Duration

        /// Creates options; the defaults suit a production cluster.
        public init(
            maxSnapshotAttempts: Int = 3, timeField: String = "dtEventTimeStamp", pollInterval: Duration = .seconds(2),
            maxPolls: Int = 5_400, diskLimit: Double = 0.8, restoreTimeout: TimeInterval = 86_400,
            factsIndex: String = "backupkit_archive_facts", clusterWaitBudget: Duration = .seconds(1_800),
            clusterWaitInitial: Duration = .seconds(2), leaseDuration: Duration = .seconds(6 * 3_600)
        ) {
            self.maxSnapshotAttempts = maxSnapshotAttempts
            self.timeField = timeField
            self.pollInterval = pollInterval
            self.maxPolls = maxPolls
            self.diskLimit = diskLimit
            self.restoreTimeout = restoreTimeout
            self.factsIndex = factsIndex
            self.clusterWaitBudget = clusterWaitBudget
            self.clusterWaitInitial = clusterWaitInitial
            self.leaseDuration = leaseDuration
        }
    }

    /// Where configurations, snapshot records, archived indices, restores and the per-table leases are kept.
    public let catalog: any ArchiveLifecycleCatalog
    /// The cluster archived and restored.
    public let cluster: any ArchiveCluster
    /// Where `snapshot_failed` and `restore_finished` events go; `nil` sends none.
    public var notifier: (any Notifier)?
    /// Where the lifecycle logs; it never logs credentials.
    public var logger: Logger
    /// Tunables.
    public var options: Options
    /// Waits between polls; `Task.sleep` unless a test makes it return at once.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// Who this process is when it takes a table's lease.
    public var leaseOwner: LeaseOwner

    /// Creates a lifecycle.
    public init(
        catalog: any ArchiveLifecycleCatalog, cluster: any ArchiveCluster, notifier: (any Notifier)? = nil,
        logger: Logger = Logger(label: "BackupKit.archive"), options: Options = Options(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        leaseOwner: LeaseOwner = .current()
    ) {
        self.catalog = catalog
        self.cluster = cluster
        self.notifier = notifier
        self.logger = logger
        self.options = options
        self.sleep = sleep
        self.leaseOwner = leaseOwner
    }

    // MARK: Configurations

    /// Validates and saves a configuration (new or changed).
    ///
    /// - Parameters:
    ///   - config: The configuration.
    ///   - now: The current time (the modification time).
    /// - Throws: ``BackupModels/ModelError`` naming the field (`snapshot_days`, `index_retention_days`,
    ///   `time_zone`, …); ``ArchiveError/Code-swift.struct/invalidName`` for a repository or table whose
    ///   snapshot names the cluster would refuse; ``BackupCatalog/CatalogError/Code-swift.struct/conflict``
    ///   if the table already has another enabled configuration.
    public func save(_ config: ArchiveConfig, now: Date) async throws {
        try config.validate()
        try ArchiveNames.validateRepository(config.repository)
        try ArchiveNames.validateSnapshot(config.snapshotName(for: now), field: "table_id")
        var saved = config
        saved.updatedAt = now
        try await catalog.save(saved)
    }

    /// Enables or disables a configuration: a disabled table is left out of the daily cycle; its
    /// snapshots, rows and restores stay.
    /// - Parameters:
    ///   - id: The configuration.
    ///   - enabled: Whether the daily cycle archives the table.
    ///   - now: The current time (the modification time).
    /// - Returns: The configuration as saved.
    /// - Throws: ``ArchiveError/Code-swift.struct/notFound``; ``BackupCatalog/CatalogError/Code-swift.struct/conflict``
    ///   when enabling it while another configuration of the table is enabled.
    @discardableResult
    public func setEnabled(configID id: String, _ enabled: Bool, now: Date) async throws -> ArchiveConfig {
        guard var config = try await catalog.archiveConfig(id: id) else {
            throw ArchiveError(code: .notFound, subject: id, message: "no archive configuration with this id")
        }
        config.isEnabled = enabled
        config.updatedAt = now
        try await catalog.save(config)
        return config
    }

    /// The configurations, or those of one table.
    public func configs(tableID: String? = nil) async throws -> [ArchiveConfig] {
        try await catalog.archiveConfigs(tableID: tableID)
    }

    /// Deletes a configuration. Its snapshots and their records stay unless `purgeSnapshots` is set.
    ///
    /// - Parameters:
    ///   - id: The configuration.
    ///   - purgeSnapshots: Whether to delete the table's snapshots from the repository and forget them.
    /// - Returns: The snapshots deleted.
    /// - Throws: ``ArchiveError/Code-swift.struct/notFound``; a cluster error (then the configuration stays).
    @discardableResult
    public func delete(configID id: String, purgeSnapshots: Bool = false) async throws -> [String] {
        guard let config = try await catalog.archiveConfig(id: id) else {
            throw ArchiveError(code: .notFound, subject: id, message: "no archive configuration with this id")
        }
        var deleted: [String] = []
        if purgeSnapshots {
            let snapshots = try await cluster.listSnapshots(in: config.repository, matching: config.snapshotPattern)
            for snapshot in snapshots where config.snapshotDay(of: snapshot.name) != nil {
                try await cluster.deleteSnapshotIfPresent(named: snapshot.name, in: config.repository)
                try await catalog.deleteArchiveSnapshot(repository: config.repository, snapshot: snapshot.name)
                deleted.append(snapshot.name)
            }
            for record in try await catalog.archiveSnapshots(tableID: config.tableID)
            where record.repository == config.repository && !deleted.contains(record.snapshot) {
                try await catalog.deleteArchiveSnapshot(repository: record.repository, snapshot: record.snapshot)
            }
        }
        try await catalog.deleteArchiveConfig(id: id)
        return deleted
    }

    // MARK: Notifications

    /// Sends `event`; delivery failures are logged, never thrown.
    package func deliver(_ event: BackupEvent) async {
        guard let notifier else { return }
        do {
            try await notifier.notify(event)
        } catch {
            logger.warning("notification not delivered", metadata: ["event": "\(event.kind)", "error": "\(error)"])
        }
    }
}
