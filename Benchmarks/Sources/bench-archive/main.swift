// bench-archive: (1) HTTP requests of one daily archive cycle for 500 tables × 30 daily indices, next to the
// number a per-index approach would send; (2) latency of choosing the indices of a restore among 1,000,000
// archived-index rows, next to a baseline measured in the same run (the same SQL through raw GRDB).
//
//   swift run -c release --package-path Benchmarks bench-archive [tables] [indices-per-table] [archived rows]
//
// The cluster is an in-process stand-in that counts one request per `ArchiveCluster` call, as
// `SnapshotClient`'s conformance sends them (index deletion counted per URL-length-safe chunk of 3,000 bytes,
// as the client splits it). SnapshotClientTesting's ClusterDouble is not a library product, so the benchmark
// package cannot link it; the workflow tests check the same per-table count against the double over HTTP.

import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import GRDB

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let tableCount = arguments.first ?? 500
let indicesPerTable = arguments.dropFirst().first ?? 30
let rowCount = arguments.dropFirst(2).first ?? 1_000_000

/// Counts requests; holds indices and snapshots in memory.
actor CountingCluster: ArchiveCluster {
    var requests: [String: Int] = [:]
    var indices: [String: (Int64, Int64, ClosedRange<Date>)] = [:]
    var snapshots: [String: ClusterSnapshot] = [:]

    func count(_ kind: String, _ n: Int = 1) { requests[kind, default: 0] += n }
    func reset() { requests = [:] }
    func seed(_ name: String, documents: Int64, range: ClosedRange<Date>) { indices[name] = (documents, documents * 500, range) }

    func listIndices(matching pattern: String) async throws -> [ClusterIndex] {
        count("GET _cat/indices")
        let prefix = String(pattern.dropLast())
        return indices.filter { $0.key.hasPrefix(prefix) }.map {
            ClusterIndex(name: $0.key, documentCount: $0.value.0, storeSizeBytes: $0.value.1)
        }
    }
    func timeRanges(of names: [String], field: String) async throws -> [String: ClosedRange<Date>] {
        count("POST _search", chunks(names))
        return names.reduce(into: [:]) { $0[$1] = indices[$1]?.2 }
    }
    func listSnapshots(in repository: String, matching pattern: String) async throws -> [ClusterSnapshot] {
        count("GET _snapshot (list)")
        let prefix = String(pattern.dropLast())
        return snapshots.values.filter { $0.name.hasPrefix(prefix) }
    }
    func snapshotIfPresent(named name: String, in repository: String) async throws -> ClusterSnapshot? {
        count("GET _snapshot (poll)")
        guard var snapshot = snapshots[name] else { return nil }
        snapshot.state = .success
        snapshots[name] = snapshot
        return snapshot
    }
    func startSnapshot(named name: String, in repository: String, indices names: [String]) async throws {
        count("PUT _snapshot")
        snapshots[name] = ClusterSnapshot(name: name, state: .inProgress, indices: names)
    }
    func deleteSnapshotIfPresent(named name: String, in repository: String) async throws {
        count("DELETE _snapshot")
        snapshots[name] = nil
    }
    func restore(_ request: ClusterRestoreRequest) async throws { count("POST _restore") }
    func diskUsage() async throws -> ClusterDisk {
        count("GET _cat/allocation")
        return ClusterDisk(usedBytes: 0, totalBytes: 1 << 50)
    }
    func removeIndices(_ names: [String]) async throws {
        count("DELETE indices", chunks(names))
        for name in names { indices[name] = nil }
    }
    /// Requests for a comma-joined list of names kept under 3,000 bytes per URL.
    private func chunks(_ names: [String]) -> Int {
        var chunks = 0
        var length = 0
        for name in names {
            if chunks == 0 || length + name.utf8.count + 1 > 3_000 {
                chunks += 1
                length = 0
            }
            length += name.utf8.count + 1
        }
        return chunks
    }
}

// MARK: 1. Requests of a daily cycle

let zone = TimeZone(identifier: "Asia/Shanghai") ?? .utc
let calendar = Calendar.gregorian(in: zone)
let now = CalendarTime(year: 2026, month: 11, day: 25, hour: 2).date(in: zone) ?? Date()
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-archive-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }

let cluster = CountingCluster()
let catalog = try SQLiteCatalog(path: folder + "/cycle.sqlite")
let lifecycle = ArchiveLifecycle(catalog: catalog, cluster: cluster, sleep: { _ in })
for table in 0..<tableCount {
    let config = ArchiveConfig(
        id: "c\(table)", instanceID: "\(table)", instanceType: .indexSet, businessID: "2", tableID: "2_bklog.table_\(table)",
        repository: "archive", snapshotDays: 30, indexRetentionDays: 7, timeZoneIdentifier: "Asia/Shanghai", createdAt: now)
    try await lifecycle.save(config, now: now)
    // The 30 days before the newest due day (…_20261117): every index is due on this first run.
    for offset in 0..<indicesPerTable {
        let day = calendar.date(byAdding: .day, value: -(8 + offset), to: calendar.startOfDay(for: now)) ?? now
        let t = CalendarTime(day, in: zone)
        let name = String(format: "%@_%04d%02d%02d", config.indexPrefix, t.year, t.month, t.day)
        await cluster.seed(name, documents: 1_000, range: day...day.addingTimeInterval(86_399))
    }
}
let cycleStart = ContinuousClock.now
let reports = await lifecycle.runDailyCycle(now: now)
let cycleTime = ContinuousClock.now - cycleStart
let requests = await cluster.requests
let total = requests.values.reduce(0, +)
let archived = reports.reduce(0) { $0 + $1.archivedIndices.count }
print("== daily cycle: \(tableCount) tables × \(indicesPerTable) due daily indices ==")
print(
    "archived \(archived) indices, deleted \(reports.reduce(0) { $0 + $1.deletedIndices.count }), failures \(reports.filter { !$0.succeeded }.count)"
)
for (kind, n) in requests.sorted(by: { $0.key < $1.key }) { print(String(format: "  %-24@ %6d", kind as NSString, n)) }
print("total requests: \(total) = \(String(format: "%.2f", Double(total) / Double(tableCount))) per table")
print(
    "per-index baseline (1 _count + 1 _stats + 1 time-range search + 1 delete per index, 1 snapshot + 1 poll per table): \(tableCount * (indicesPerTable * 4 + 2))"
)
print("cycle wall time with the in-process cluster and a file catalog: \(cycleTime)")
// Second day: one new due index per table.
await cluster.reset()
for table in 0..<tableCount {
    let day = calendar.date(byAdding: .day, value: -7, to: calendar.startOfDay(for: now)) ?? now
    let t = CalendarTime(day, in: zone)
    await cluster.seed(String(format: "2_bklog_table_%d_%04d%02d%02d", table, t.year, t.month, t.day), documents: 1_000, range: day...day)
}
_ = await lifecycle.runDailyCycle(now: now.addingTimeInterval(86_400))
let steady = await cluster.requests.values.reduce(0, +)
print(
    "next day (1 newly due index per table): \(steady) requests = \(String(format: "%.2f", Double(steady) / Double(tableCount))) per table")

// MARK: 2. Restore selection among archived-index rows

print("\n== restore selection among \(rowCount) archived-index rows ==")
let selectionCatalog = try SQLiteCatalog(path: folder + "/rows.sqlite")
let tables = 500
let perTable = rowCount / tables
let epoch = Date(timeIntervalSince1970: 1_600_000_000)
var batch: [ArchivedIndex] = []
for i in 0..<rowCount {
    let table = i % tables
    let day = i / tables
    let start = epoch.addingTimeInterval(Double(day) * 86_400)
    batch.append(
        ArchivedIndex(
            archiveConfigID: "c\(table)", tableID: "2_bklog.table_\(table)", repository: "archive",
            snapshot: "2_bklog_table_\(table)_snapshot_\(day)", index: "2_bklog_table_\(table)_\(day)", docCount: 1_000,
            storeSizeBytes: 500_000, startTime: start, endTime: start.addingTimeInterval(86_399), archivedAt: start))
    if batch.count == 50_000 {
        try await selectionCatalog.insert(batch)
        batch.removeAll(keepingCapacity: true)
    }
}
try await selectionCatalog.insert(batch)
try selectionCatalog.close()
let reopened = try SQLiteCatalog(path: folder + "/rows.sqlite")
let selector = ArchiveLifecycle(catalog: reopened, cluster: cluster)
let raw = try DatabaseQueue(path: folder + "/rows.sqlite")

func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
var ours: [Duration] = []
var baseline: [Duration] = []
var chosen = 0
for run in 0..<50 {
    let table = "2_bklog.table_\((run * 37) % tables)"
    // A 3-day range in the middle of the table's history.
    let start = epoch.addingTimeInterval(Double(perTable / 2 + run) * 86_400 + 3_600)
    let end = start.addingTimeInterval(3 * 86_400)
    let t0 = ContinuousClock.now
    chosen = try await selector.restoreCandidates(tableID: table, start: start, end: end).count
    ours.append(ContinuousClock.now - t0)
    let t1 = ContinuousClock.now
    _ = try raw.read { db in
        try Row.fetchAll(
            db, sql: "SELECT * FROM archived_indices WHERE table_id = ? AND start_time <= ? AND end_time >= ?",
            arguments: [table, end.timeIntervalSince1970, start.timeIntervalSince1970])
    }
    baseline.append(ContinuousClock.now - t1)
}
print("indices chosen per restore: \(chosen)")
print("ArchiveLifecycle.restoreCandidates: median \(median(ours)), max \(ours.max() ?? .zero)")
print("baseline raw GRDB, same SQL:         median \(median(baseline)), max \(baseline.max() ?? .zero)")
