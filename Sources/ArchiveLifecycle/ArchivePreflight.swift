public import BackupCatalog
public import BackupModels
public import Foundation

/// What the archive check needs from a cluster beyond ``ArchiveCluster``: repository verification on
/// every node, and telling refused credentials apart from other failures.
public protocol ArchiveClusterChecking: Sendable {
    /// Asks every node to verify `repository` (`POST /_snapshot/<repo>/_verify`).
    /// - Returns: The names of the nodes that verified it.
    func verifiedNodes(ofRepository repository: String) async throws -> [String]
    /// Whether `error` means the cluster refused the credentials (HTTP 401 or 403).
    func isAuthenticationFailure(_ error: any Error) -> Bool
}

/// Checks, without archiving anything, what tonight's archive cycle needs (`es-archive check`): the
/// cluster reachable and the credentials accepted, what its version allows, each configuration's
/// repository verified on every node, the table's indices in the platform's layout with how many would
/// be archived tonight and how many are blocked and why, and the disk headroom for a typical restore.
///
/// Every result is a ``BackupModels/CheckResult``; no check throws or changes the cluster.
public struct ArchivePreflight: Sendable {
    /// The cluster the cycle runs against.
    public var cluster: any ArchiveCluster
    /// Repository verification and credential refusals, when the cluster client offers them.
    public var checking: (any ArchiveClusterChecking)?
    /// The catalog holding the archive configurations and archived indices.
    public var catalog: any ArchiveCatalog
    /// The share of a data node's disk a restore may fill (as ``ArchiveLifecycle/Options-swift.struct/diskLimit``).
    public var diskLimit: Double

    /// Creates a check.
    /// - Parameters:
    ///   - cluster: The cluster.
    ///   - checking: Repository verification and credential refusals (a `SnapshotClient` is both).
    ///   - catalog: The archive catalog.
    ///   - diskLimit: The share of a node's disk a restore may fill.
    public init(
        cluster: any ArchiveCluster, checking: (any ArchiveClusterChecking)?, catalog: any ArchiveCatalog,
        diskLimit: Double = ArchiveLifecycle.Options().diskLimit
    ) {
        self.cluster = cluster
        self.checking = checking
        self.catalog = catalog
        self.diskLimit = diskLimit
    }

    /// Runs the checks for every configuration, or those of `tableID`.
    /// - Parameters:
    ///   - tableID: Only this table's configurations; every configuration when `nil`.
    ///   - now: The instant expiry is judged at (tonight's cycle: the current time).
    /// - Returns: The results, cluster first, then table by table.
    public func run(tableID: String? = nil, now: Date) async -> [CheckResult] {
        var results: [CheckResult] = []
        func add(_ component: String, _ check: String, _ status: CheckResult.Status, _ detail: String, fix: String? = nil) {
            results.append(CheckResult(component: component, check: check, status: status, detail: detail, fix: fix))
        }
        let limits: ClusterLimits
        do {
            limits = try await cluster.limits()
            add("cluster", "reachable", .ok, "the cluster answered, version \(limits.version)")
            add("cluster", "credentials", .ok, "the credentials were accepted")
        } catch {
            if checking?.isAuthenticationFailure(error) == true {
                add("cluster", "reachable", .ok, "the cluster answered (and refused the credentials)")
                add(
                    "cluster", "credentials", .failed, "\(error)",
                    fix: "set ES_USER/ES_PASSWORD or ES_API_KEY (or --user/--api-key) to credentials with snapshot and index privileges")
            } else {
                add(
                    "cluster", "reachable", .failed, "\(error)",
                    fix: "check --url (ES_URL), that the cluster runs, and DNS, TLS and firewalls between this host and it")
            }
            return results
        }
        var allows = [
            limits.supportsSnapshotMetadata
                ? "snapshots carry metadata" : "snapshots carry no metadata (before 7.3): facts live in the facts index only",
            limits.oneSnapshotOperationAtATime
                ? "one snapshot create or delete at a time (before 7.7): tables are archived one after another"
                : "concurrent snapshot operations",
        ]
        if limits.oneRestoreAtATime { allows.append("one restore at a time (before 6.6)") }
        add("cluster", "version", .ok, "\(limits.version): " + allows.joined(separator: "; "))

        let configs: [ArchiveConfig]
        do {
            configs = try await catalog.archiveConfigs(tableID: tableID)
        } catch {
            add(
                "catalog", "configurations", .failed, "\(error)",
                fix: "check --catalog: the file must be an es-archive catalog this user can read")
            return results
        }
        if configs.isEmpty {
            let subject = tableID.map { "table \($0)" } ?? "the catalog"
            add(
                "catalog", "configurations", tableID == nil ? .warning : .failed, "\(subject) has no archive configuration",
                fix: "add one with es-archive archive add (see Documentation/Archive.md)")
            return results
        }
        add("catalog", "configurations", .ok, "\(configs.count) archive configuration(s), \(configs.filter(\.isEnabled).count) enabled")
        var disks: [ClusterDisk]? = nil
        for config in configs {
            let component = "table \(config.tableID)"
            if !config.isEnabled {
                add(
                    component, "enabled", .warning, "configuration \(config.id) is disabled: tonight's cycle skips it",
                    fix: "enable it with es-archive archive enable \(config.id) if the table should be archived")
            }
            results += await checkRepository(config, component: component)
            results += await checkIndices(config, component: component, now: now)
            if disks == nil { disks = try? await cluster.dataNodeDisks() }
            results += await checkRestoreHeadroom(config, component: component, disks: disks ?? [])
        }
        return results
    }

    private func checkRepository(_ config: ArchiveConfig, component: String) async -> [CheckResult] {
        guard let checking else { return [] }
        do {
            let nodes = try await checking.verifiedNodes(ofRepository: config.repository)
            return [Self.item(component, "repository", .ok, "repository \(config.repository) verified on \(nodes.count) node(s)", nil)]
        } catch {
            return [
                Self.item(
                    component, "repository", .failed, "repository \(config.repository): \(error)",
                    "register it (es-archive repo create), and make its location writable by every node (path.repo, bucket policy)")
            ]
        }
    }

    private func checkIndices(_ config: ArchiveConfig, component: String, now: Date) async -> [CheckResult] {
        let listed: [ClusterIndex]
        let aliases: [String: [String]]
        do {
            listed = try await cluster.listIndices(matchingAny: config.indexPatterns)
            aliases = listed.isEmpty ? [:] : try await cluster.aliases(ofIndicesMatching: config.indexPatterns)
        } catch {
            return [
                Self.item(
                    component, "indices", .failed, "cannot list the table's indices: \(error)",
                    "check the credentials' index privileges (monitor, view_index_metadata)")
            ]
        }
        let parsed = listed.compactMap { index in config.parseIndex(index.name).map { (index, $0) } }
        guard !parsed.isEmpty else {
            return [
                Self.item(
                    component, "indices", .warning,
                    "no index matches \(config.indexPatterns.joined(separator: " or ")) in the platform's layout",
                    "check the configuration's table id (\(config.tableID)) and date_format (\(config.dateFormat))")
            ]
        }
        let withAliases = parsed.filter { !(aliases[$0.0.name] ?? []).isEmpty }.count
        let expired = parsed.filter { config.expiry(of: $0.1, aliases: aliases[$0.0.name] ?? [], now: now) == .expired }.map(\.0)
        let blocked = expired.compactMap { index in index.unreadableReason.map { (index.name, $0) } }.sorted { $0.0 < $1.0 }
        let archivable = expired.count - blocked.count
        let detail =
            "\(parsed.count) index(es) in the platform's layout, \(withAliases) with aliases; \(expired.count) expired: "
            + "\(archivable) would be archived tonight, \(blocked.count) blocked"
        if blocked.isEmpty {
            return [Self.item(component, "indices", .ok, detail, nil)]
        } else {
            let reasons = blocked.prefix(10).map { "\($0.0): \($0.1)" }.joined(separator: "; ")
            return [
                Self.item(
                    component, "indices", .failed, detail + " (" + reasons + (blocked.count > 10 ? "; …" : "") + ")",
                    "bring the blocked indices back to health (assign their primaries, open them), or delete them by hand once their data is safe elsewhere"
                )
            ]
        }
    }

    private func checkRestoreHeadroom(_ config: ArchiveConfig, component: String, disks: [ClusterDisk]) async -> [CheckResult] {
        let nodes = disks.filter { $0.totalBytes > 0 }
        guard !nodes.isEmpty else {
            return [
                Self.item(
                    component, "restore_headroom", .warning, "the cluster reports no data node disk", "check _cat/allocation on the cluster"
                )
            ]
        }
        // A typical restore: the newest snapshot's indices.
        var typical: Int64 = 0
        var what = "no archived snapshot yet"
        if let snapshots = try? await catalog.archiveSnapshots(tableID: config.tableID),
            let newest = snapshots.filter({ $0.state == .success }).max(by: { $0.startedAt < $1.startedAt }),
            let indices = try? await catalog.archivedIndices(repository: newest.repository, snapshot: newest.snapshot)
        {
            typical = indices.reduce(0) { $0 + $1.storeSizeBytes }
            what = "the newest snapshot \(newest.snapshot) holds \(typical) bytes"
        }
        let share = typical / Int64(nodes.count)
        guard
            let fullest = nodes.max(by: {
                Double($0.usedBytes + share) / Double($0.totalBytes) < Double($1.usedBytes + share) / Double($1.totalBytes)
            })
        else { return [] }
        let after = Double(fullest.usedBytes + share) / Double(fullest.totalBytes)
        let detail = "\(what); restoring it would fill node \(fullest.node) to \(Int(after * 100))% (limit \(Int(diskLimit * 100))%)"
        if after > diskLimit {
            return [
                Self.item(
                    component, "restore_headroom", .failed, detail,
                    "free disk on the data nodes or add nodes before restoring a day of this table")
            ]
        } else {
            return [Self.item(component, "restore_headroom", .ok, detail, nil)]
        }
    }

    /// One result.
    private static func item(
        _ component: String, _ check: String, _ status: CheckResult.Status, _ detail: String, _ fix: String?
    ) -> CheckResult {
        CheckResult(component: component, check: check, status: status, detail: detail, fix: fix)
    }
}
