// bench-archive: (1) HTTP requests and time of one daily archive cycle for 500 tables × 30 expired indices × 12
// aliases each, through the real SnapshotClient over HTTP against SnapshotClientTesting's ClusterDouble, next
// to the same cycle with 3 indices × 2 aliases per table (requests must grow with tables, not with indices or
// aliases); (2) latency of choosing the indices of a restore among 1,000,000 archived-index rows, next to a
// baseline measured in the same run (the same SQL through raw GRDB).
//
//   swift run -c release --package-path Benchmarks bench-archive [tables] [indices-per-table] [archived rows]

import ArchiveLifecycle
import BackupCatalog
import BackupModels
import Foundation
import GRDB
import SnapshotClient
import SnapshotClientTesting

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let tableCount = arguments.first ?? 500
let indicesPerTable = arguments.dropFirst().first ?? 30
let rowCount = arguments.dropFirst(2).first ?? 1_000_000

// MARK: 1. Requests of a daily cycle

let zone = TimeZone(identifier: "Asia/Shanghai") ?? .utc
let now = CalendarTime(year: 2026, month: 11, day: 25, hour: 10).date(in: zone) ?? Date()
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-archive-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }
let format = ArchiveDateFormat.platformDefault

/// Runs one daily cycle over `tables` tables of `indices` expired indices with `aliases` aliases each;
/// returns the requests by kind and the cycle's wall time.
func cycle(tables: Int, indices: Int, aliases: Int, label: String) async throws -> (requests: [String: Int], time: Duration) {
    let double = ClusterDouble(configuration: .init(version: "7.17.0"))
    _ = try await double.start()
    let client = try SnapshotClient(configuration: .init(url: double.url, retry: .none))
    try await client.createRepository(named: "archive", settings: .fs(location: "/mnt/archive"))
    let catalog = try SQLiteCatalog(path: folder + "/\(label).sqlite")
    let lifecycle = ArchiveLifecycle(
        catalog: catalog, cluster: client, options: .init(pollInterval: .milliseconds(1)), sleep: { _ in })
    for table in 0..<tables {
        let config = ArchiveConfig(
            id: "c\(table)", instanceID: "\(table)", instanceType: .indexSet, businessID: "2", tableID: "2_bklog.table_\(table)",
            repository: "archive", snapshotDays: 30, indexRetentionDays: 7, timeZoneIdentifier: "Asia/Shanghai", createdAt: now)
        try await lifecycle.save(config, now: now)
        // Indices 8 hours apart from 30 days back, each carrying `aliases` aliases (write and read pairs of
        // two-hour slices): all expired at `now`.
        for i in 0..<indices {
            let created = now.addingTimeInterval(-Double(40 * 86_400) + Double(i) * 8 * 3_600)
            var names: [String] = []
            for slice in 0..<(aliases / 2) {
                let text = format.string(from: created.addingTimeInterval(Double(slice) * 2 * 3_600), in: zone)
                names += ["write_\(text)_\(config.indexPrefix)", "\(config.indexPrefix)_\(text)_read"]
            }
            double.addIndex(
                name: "v2_\(config.indexPrefix)_\(format.string(from: created, in: zone))_0", docs: 1_000, sizeBytes: 500_000,
                timeRange: created...created.addingTimeInterval(Double(aliases) * 3_600), aliases: names)
        }
    }
    double.clearRequests()
    let start = ContinuousClock.now
    let reports = await lifecycle.runDailyCycle(now: now)
    let time = ContinuousClock.now - start
    let failures = reports.filter { !$0.succeeded }
    if let failure = failures.first { print("FAILED: \(failure)") }
    print(
        "\(label): archived \(reports.reduce(0) { $0 + $1.archivedIndices.count }), deleted "
            + "\(reports.reduce(0) { $0 + $1.deletedIndices.count }), failures \(failures.count)")
    var kinds: [String: Int] = [:]
    for request in double.requests() {
        let path = request.path.split(separator: "/").map { $0.hasPrefix("_") ? String($0) : "{x}" }.joined(separator: "/")
        kinds["\(request.method) /\(path)", default: 0] += 1
    }
    try await double.shutdown()
    return (kinds, time)
}

let large = try await cycle(tables: tableCount, indices: indicesPerTable, aliases: 12, label: "large")
let small = try await cycle(tables: tableCount, indices: 3, aliases: 2, label: "small")
let largeTotal = large.requests.values.reduce(0, +)
let smallTotal = small.requests.values.reduce(0, +)
print("== daily cycle: \(tableCount) tables × \(indicesPerTable) expired indices × 12 aliases ==")
for (kind, n) in large.requests.sorted(by: { $0.key < $1.key }) { print(String(format: "  %-40@ %6d", kind as NSString, n)) }
print(
    "total requests: \(largeTotal) = \(String(format: "%.2f", Double(largeTotal) / Double(tableCount))) per table; wall time \(large.time)")
print(
    "baseline, same command: \(tableCount) tables × 3 indices × 2 aliases: \(smallTotal) requests; wall time \(small.time); "
        + "ratio of requests \(String(format: "%.3f", Double(largeTotal) / Double(max(smallTotal, 1))))")

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
let selector = ArchiveLifecycle(catalog: reopened, cluster: try SnapshotClient(configuration: .init(url: "http://127.0.0.1:9")))
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
