import BackupCatalog
import BackupEngine
import BackupModels
import Foundation
import Logging

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// An in-memory cluster for lifecycle unit tests: indices with facts, snapshots whose outcome a test
/// scripts, disk use, and a log of every call (one call is one HTTP request of the real client).
actor FakeCluster: ArchiveCluster {
    struct Index: Sendable {
        var documents: Int64
        var bytes: Int64
        var range: ClosedRange<Date>?
    }

    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "cluster unreachable: connection refused (http://127.0.0.1:1)" }
    }

    private(set) var indices: [String: Index] = [:]
    private(set) var snapshots: [String: [String: ClusterSnapshot]] = [:]
    /// Outcomes of the next snapshots, in order; SUCCESS once empty.
    var outcomes: [ClusterSnapshot.State] = []
    /// Polls that see IN_PROGRESS before the outcome.
    var pollsInProgress = 0
    private var pollsLeft: [String: Int] = [:]
    private(set) var snapshotContents: [String: [String: Index]] = [:]
    var disk = ClusterDisk(usedBytes: 0, totalBytes: 1 << 40)
    var isReachable = true
    /// When set, restores are refused with this reason.
    var restoreRefusal: String?
    /// Restored indices appear after this many `indices(matching:)` calls (0: at once).
    var restoreDelay = 0
    private var pendingRestores: [(name: String, index: Index, wait: Int)] = []
    private(set) var log: [String] = []
    private(set) var restoreRequests: [ClusterRestoreRequest] = []
    private(set) var started: [(name: String, indices: [String])] = []

    func seed(_ name: String, documents: Int64, bytes: Int64 = 1_000, range: ClosedRange<Date>? = nil) {
        indices[name] = Index(documents: documents, bytes: bytes, range: range)
    }

    func seedSnapshot(_ snapshot: ClusterSnapshot, in repository: String) {
        snapshots[repository, default: [:]][snapshot.name] = snapshot
    }

    func set(outcomes: [ClusterSnapshot.State]) { self.outcomes = outcomes }
    func set(disk: ClusterDisk) { self.disk = disk }
    func set(reachable: Bool) { isReachable = reachable }
    func set(restoreRefusal: String?) { self.restoreRefusal = restoreRefusal }
    func set(restoreDelay: Int) { self.restoreDelay = restoreDelay }
    func set(pollsInProgress: Int) { self.pollsInProgress = pollsInProgress }
    func clearLog() { log = [] }

    private func call(_ entry: String) throws {
        log.append(entry)
        guard isReachable else { throw Unreachable() }
    }

    private static func matches(_ name: String, _ pattern: String) -> Bool {
        pattern.split(separator: ",").contains { part in
            let part = String(part)
            guard part.hasSuffix("*") else { return name == part }
            return name.hasPrefix(String(part.dropLast()))
        }
    }

    func listIndices(matching pattern: String) async throws -> [ClusterIndex] {
        try call("GET _cat/indices/\(pattern)")
        pendingRestores = pendingRestores.compactMap { pending in
            if pending.wait <= 0 {
                indices[pending.name] = pending.index
                return nil
            }
            return (pending.name, pending.index, pending.wait - 1)
        }
        return indices.filter { Self.matches($0.key, pattern) }.sorted { $0.key < $1.key }.map {
            ClusterIndex(name: $0.key, documentCount: $0.value.documents, storeSizeBytes: $0.value.bytes)
        }
    }

    func timeRanges(of names: [String], field: String) async throws -> [String: ClosedRange<Date>] {
        try call("POST \(names.joined(separator: ","))/_search")
        return names.reduce(into: [:]) { result, name in result[name] = indices[name]?.range }
    }

    func listSnapshots(in repository: String, matching pattern: String) async throws -> [ClusterSnapshot] {
        try call("GET _snapshot/\(repository)/\(pattern)")
        return (snapshots[repository] ?? [:]).values.filter { Self.matches($0.name, pattern) }.sorted { $0.name < $1.name }
    }

    func snapshotIfPresent(named name: String, in repository: String) async throws -> ClusterSnapshot? {
        try call("GET _snapshot/\(repository)/\(name)")
        guard var snapshot = snapshots[repository]?[name] else { return nil }
        if snapshot.state == .inProgress {
            let left = pollsLeft[name] ?? 0
            if left > 0 {
                pollsLeft[name] = left - 1
                return snapshot
            }
            snapshot.state = outcomes.isEmpty ? .success : outcomes.removeFirst()
            if snapshot.state != .success { snapshot.failureReason = "shard failure on node-1" }
            snapshots[repository]?[name] = snapshot
        }
        return snapshot
    }

    func startSnapshot(named name: String, in repository: String, indices names: [String]) async throws {
        try call("PUT _snapshot/\(repository)/\(name)")
        if snapshots[repository]?[name] != nil {
            throw FakeError(description: "invalid_snapshot_name_exception: snapshot with the same name already exists")
        }
        started.append((name, names))
        pollsLeft[name] = pollsInProgress
        snapshots[repository, default: [:]][name] = ClusterSnapshot(name: name, state: .inProgress, indices: names)
        snapshotContents[repository + "/" + name] = names.reduce(into: [:]) { $0[$1] = indices[$1] }
    }

    func deleteSnapshotIfPresent(named name: String, in repository: String) async throws {
        try call("DELETE _snapshot/\(repository)/\(name)")
        snapshots[repository]?[name] = nil
    }

    func restore(_ request: ClusterRestoreRequest) async throws {
        try call("POST _snapshot/\(request.repository)/\(request.snapshot)/_restore")
        restoreRequests.append(request)
        if let restoreRefusal { throw FakeError(description: restoreRefusal) }
        let contents = snapshotContents[request.repository + "/" + request.snapshot] ?? [:]
        for name in request.indices {
            let target = "restore_" + name
            if indices[target] != nil { throw FakeError(description: "snapshot_restore_exception: index [\(target)] exists and is open") }
            let source = contents[name] ?? Index(documents: 1, bytes: 1)
            pendingRestores.append((target, source, restoreDelay))
        }
    }

    func diskUsage() async throws -> ClusterDisk {
        try call("GET _cat/allocation")
        return disk
    }

    func removeIndices(_ names: [String]) async throws {
        try call("DELETE \(names.joined(separator: ","))")
        for name in names { indices[name] = nil }
    }
}

struct FakeError: Error, CustomStringConvertible {
    var description: String
}

/// Keeps every event it is given.
actor RecordingNotifier: Notifier {
    private(set) var events: [BackupEvent] = []
    func notify(_ event: BackupEvent) async throws { events.append(event) }
}

enum ArchiveFixture {
    static let zone = TimeZone(identifier: "Asia/Shanghai") ?? .utc

    static func date(_ iso: String) -> Date { ISO8601.date(from: iso) ?? .distantPast }

    /// The instant `day` (YYYYMMDD) starts in Shanghai, plus `hours`.
    static func day(_ yyyymmdd: Int, hours: Double = 0) -> Date {
        let start = CalendarTime(year: yyyymmdd / 10_000, month: yyyymmdd / 100 % 100, day: yyyymmdd % 100).date(in: zone)
        return (start ?? .distantPast).addingTimeInterval(hours * 3600)
    }

    static func config(
        id: String = "c1", tableID: String = "2_bklog.nginx_access", repository: String = "archive", snapshotDays: Int = 30,
        retention: Int = 7
    ) -> ArchiveConfig {
        ArchiveConfig(
            id: id, instanceID: "17", instanceType: .indexSet, businessID: "2", tableID: tableID, repository: repository,
            snapshotDays: snapshotDays, indexRetentionDays: retention, timeZoneIdentifier: "Asia/Shanghai",
            createdAt: date("2026-01-01T00:00:00Z"))
    }

    /// Seeds daily indices `<prefix>_<day>` with documents over their day.
    static func seedDays(_ cluster: FakeCluster, prefix: String = "2_bklog_nginx_access", _ days: [Int], documents: Int64 = 100) async {
        for day in days {
            await cluster.seed(
                "\(prefix)_\(day)", documents: documents, bytes: 1_000 * documents,
                range: self.day(day, hours: 0.5)...self.day(day, hours: 23.5))
        }
    }

    static func lifecycle(
        _ catalog: any Catalog, _ cluster: FakeCluster, notifier: RecordingNotifier? = nil, attempts: Int = 3
    ) -> ArchiveLifecycle {
        var logger = Logger(label: "archive-test")
        logger.logLevel = .critical
        return ArchiveLifecycle(
            catalog: catalog, cluster: cluster, notifier: notifier, logger: logger,
            options: ArchiveLifecycle.Options(maxSnapshotAttempts: attempts, pollInterval: .zero, maxPolls: 20),
            sleep: { _ in })
    }
}
