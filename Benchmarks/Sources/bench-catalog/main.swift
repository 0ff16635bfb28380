// bench-catalog: throughput of SQLiteCatalog writes and latency of the queries retention and restore use,
// each next to a baseline measured in the same run (raw GRDB statements on the same schema, without the
// catalog's validation, row mapping or error wrapping).
//
//   swift run -c release --package-path Benchmarks bench-catalog [records] [archived-index rows]
//
// Defaults: 100,000 records (10 plan/source groups of 10,000, each with one artifact) and 1,000,000
// archived-index rows (500 tables × 2,000 daily indices). Files go to a temporary folder removed at exit.

import BackupCatalog
import BackupModels
import Foundation
import GRDB  // baseline only; BackupCatalog links it

// MARK: Set-up

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let recordCount = arguments.first ?? 100_000
let indexRowCount = arguments.dropFirst().first ?? 1_000_000
let plans = ["nightly", "hourly", "weekly", "app", "ops"]
let sources = ["app-db", "config"]
let groupSize = recordCount / (plans.count * sources.count)
let epoch = Date(timeIntervalSince1970: 1_700_000_000)

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-catalog-\(UUID().uuidString)").path
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }

/// A seeded generator so every run inserts the same ids.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func hex64(_ seed: Int) -> String {
    var generator = SplitMix64(state: UInt64(seed))
    return (0..<4).map { _ in
        let hex = String(generator.next(), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }.joined()
}

/// The `index`th record: groups cycle through plan × source, one record per hour within a group; one in
/// twenty fails, the rest commit with one artifact.
func makeRecord(_ index: Int, generator: inout SplitMix64) -> (record: BackupRecord, artifact: ArtifactDescriptor, fails: Bool) {
    let group = index % (plans.count * sources.count)
    let plan = plans[group / sources.count]
    let source = sources[group % sources.count]
    let startedAt = epoch.addingTimeInterval(Double(index / (plans.count * sources.count)) * 3600)
    let label = BackupLabel.full(at: startedAt, in: .utc)
    let record = BackupRecord(
        id: .random(using: &generator), plan: plan, source: source, kind: .full, label: label, startedAt: startedAt,
        host: "db1")
    let artifact = ArtifactDescriptor(
        key: "\(plan)/\(source)/\(label).sql.zst", sizeBytes: Int64(1_000_000 + index), sha256: hex64(index),
        compression: .zstd, uncompressedBytes: Int64(3_000_000 + index))
    return (record, artifact, index % 20 == 7)
}

func committed(_ item: (record: BackupRecord, artifact: ArtifactDescriptor, fails: Bool)) -> BackupRecord {
    var record = item.record
    if item.fails {
        record.state = .failed
        record.failureReason = "timeout"
    } else {
        record.state = .committed
        record.artifacts = [item.artifact]
    }
    record.finishedAt = record.startedAt.addingTimeInterval(120)
    return record
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, milliseconds(clock.now - start))
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}

func line(_ name: String, _ ms: Double, count: Int, baseline: Double? = nil) {
    let perItem = ms * 1000 / Double(max(count, 1))
    var text =
        name.padding(toLength: 64, withPad: " ", startingAt: 0)
        + String(format: "%10.1f ms  %8.2f µs/op  %9.0f ops/s", ms, perItem, Double(count) / (ms / 1000))
    if let baseline { text += String(format: "  ×%.2f vs baseline", ms / baseline) }
    print(text)
}

/// A raw pool on a file that SQLiteCatalog created (same schema, triggers and settings).
func rawPool(_ name: String, synchronous: String) throws -> DatabasePool {
    let path = folder + "/\(name).sqlite"
    try SQLiteCatalog(path: path).close()
    var configuration = Configuration()
    configuration.busyMode = .timeout(5)
    let pool = try DatabasePool(path: path, configuration: configuration)
    try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = \(synchronous)") }
    return pool
}

let insertBackup = """
    INSERT INTO backups (id, plan, source, kind, parent_id, label, state, started_at, finished_at, host, tags,
                         failure_reason, position)
    VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, '[]', ?, NULL)
    """
let insertArtifact = """
    INSERT INTO artifacts (backup_id, ordinal, role, key, size_bytes, sha256, compression, encryption_key_id,
                           uncompressed_bytes)
    VALUES (?, 0, ?, ?, ?, ?, ?, NULL, ?)
    """

func rawInsert(_ record: BackupRecord, state: String, _ db: Database) throws {
    try db.cachedStatement(sql: insertBackup).execute(arguments: [
        record.id.rawValue, record.plan, record.source, record.kind.rawValue, record.label.rawValue, state,
        record.startedAt.timeIntervalSince1970, record.finishedAt?.timeIntervalSince1970, record.host, record.failureReason,
    ])
}

func rawInsertArtifact(_ artifact: ArtifactDescriptor, of id: BackupID, _ db: Database) throws {
    try db.cachedStatement(sql: insertArtifact).execute(arguments: [
        id.rawValue, artifact.role, artifact.key, artifact.sizeBytes, artifact.sha256, artifact.compression.rawValue,
        artifact.uncompressedBytes,
    ])
}

print("bench-catalog: \(recordCount) records (\(plans.count * sources.count) groups of \(groupSize)), \(indexRowCount) archived-index rows")
let sqliteVersion = try DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") } ?? "?"
print("SQLite \(sqliteVersion), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, folder \(folder)")
print("")

// MARK: 1. Single-record insert + commit (two write transactions per record)

print("== single-record insert + commit (2 transactions per record) ==")
let singleCatalog = try SQLiteCatalog(path: folder + "/single.sqlite", configuration: .init(durability: .normal))
let rawSingle = try rawPool("raw-single", synchronous: "NORMAL")
do {
    var generator = SplitMix64(state: 1)
    let items = (0..<recordCount).map { makeRecord($0, generator: &generator) }
    let (_, rawMs) = try await measure {
        for item in items {
            try await rawSingle.write { db in try rawInsert(item.record, state: "running", db) }
            try await rawSingle.write { db in
                try rawInsertArtifact(item.artifact, of: item.record.id, db)
                try db.execute(
                    sql: "UPDATE backups SET state = 'committed', finished_at = ? WHERE id = ?",
                    arguments: [item.record.startedAt.timeIntervalSince1970 + 120, item.record.id.rawValue])
            }
        }
    }
    line("raw GRDB (baseline), synchronous NORMAL", rawMs, count: recordCount)
    let (_, catalogMs) = try await measure {
        for item in items {
            try await singleCatalog.insert(item.record)
            try await singleCatalog.commit(
                item.record.id, artifacts: [item.artifact], position: nil, finishedAt: item.record.startedAt.addingTimeInterval(120))
        }
    }
    line("SQLiteCatalog insert + commit, durability .normal", catalogMs, count: recordCount, baseline: rawMs)
}
try singleCatalog.close()
try rawSingle.close()

let fullCount = min(2_000, recordCount)
do {
    let fullCatalog = try SQLiteCatalog(path: folder + "/full.sqlite")
    let rawFull = try rawPool("raw-full", synchronous: "FULL")
    var generator = SplitMix64(state: 2)
    let items = (0..<fullCount).map { makeRecord($0, generator: &generator) }
    let (_, rawMs) = try await measure {
        for item in items {
            try await rawFull.write { db in try rawInsert(item.record, state: "running", db) }
            try await rawFull.write { db in
                try rawInsertArtifact(item.artifact, of: item.record.id, db)
                try db.execute(sql: "UPDATE backups SET state = 'committed' WHERE id = ?", arguments: [item.record.id.rawValue])
            }
        }
    }
    line("raw GRDB (baseline), synchronous FULL, \(fullCount) records", rawMs, count: fullCount)
    let (_, catalogMs) = try await measure {
        for item in items {
            try await fullCatalog.insert(item.record)
            try await fullCatalog.commit(item.record.id, artifacts: [item.artifact], position: nil, finishedAt: item.record.startedAt)
        }
    }
    line("SQLiteCatalog insert + commit, durability .full (default)", catalogMs, count: fullCount, baseline: rawMs)
    try fullCatalog.close()
    try rawFull.close()
}
print("")

// MARK: 2. Batch insert (one transaction)

print("== batch insert of \(recordCount) finished records with their artifact (1 transaction) ==")
let batchCatalog = try SQLiteCatalog(path: folder + "/batch.sqlite")
let rawBatch = try rawPool("raw-batch", synchronous: "FULL")
do {
    var generator = SplitMix64(state: 3)
    let records = (0..<recordCount).map { committed(makeRecord($0, generator: &generator)) }
    let (_, rawMs) = try await measure {
        try await rawBatch.write { db in
            for record in records {
                try rawInsert(record, state: record.state.rawValue, db)
                if let artifact = record.artifacts.first { try rawInsertArtifact(artifact, of: record.id, db) }
            }
        }
    }
    line("raw GRDB (baseline)", rawMs, count: recordCount)
    let (_, catalogMs) = try await measure { try await batchCatalog.insert(contentsOf: records) }
    line("SQLiteCatalog.insert(contentsOf:)", catalogMs, count: recordCount, baseline: rawMs)
}
print("")

// MARK: 3. Retention query

print("== retention query: records(plan:, source:, states: [.committed]) on \(recordCount) records ==")
do {
    var catalogTimes: [Double] = []
    var rawTimes: [Double] = []
    var returned = 0
    for round in 0..<5 {
        for plan in plans {
            for source in sources {
                let (records, ms) = try await measure {
                    try await batchCatalog.records(RecordQuery(plan: plan, source: source, states: [.committed]))
                }
                if round == 0 { returned += records.count }
                catalogTimes.append(ms)
                let (_, rawMs) = try await measure {
                    try await rawBatch.read { db in
                        let rows = try Row.fetchAll(
                            db,
                            sql: """
                                SELECT b.*, a.* FROM backups b JOIN artifacts a ON a.backup_id = b.id
                                WHERE b.plan = ? AND b.source = ? AND b.state IN ('committed') ORDER BY b.started_at, b.id
                                """, arguments: [plan, source])
                        return rows.count
                    }
                }
                rawTimes.append(rawMs)
            }
        }
    }
    let groups = plans.count * sources.count
    print("returned \(returned / groups) records per query on average (\(groups) plan/source groups, 5 rounds)")
    let rawMedian = percentile(rawTimes, 0.5)
    line("raw GRDB join, rows only (baseline), median", rawMedian, count: returned / groups)
    line("SQLiteCatalog.records, median", percentile(catalogTimes, 0.5), count: returned / groups, baseline: rawMedian)
    line("SQLiteCatalog.records, max", catalogTimes.max() ?? 0, count: returned / groups)
}
try batchCatalog.close()
try rawBatch.close()
print("")

// MARK: 4. Archive overlap query

let tableCount = 500
let daysPerTable = max(1, indexRowCount / tableCount)
print("== archive overlap query over \(tableCount * daysPerTable) archived-index rows (\(tableCount) tables × \(daysPerTable) days) ==")
let archivePath = folder + "/archive.sqlite"
let archiveCatalog = try SQLiteCatalog(path: archivePath)
do {
    let day = 86_400.0
    let chunkDays = max(1, 100_000 / tableCount)
    let (_, insertMs) = try await measure {
        var firstDay = 0
        while firstDay < daysPerTable {
            let lastDay = min(daysPerTable, firstDay + chunkDays)
            var chunk: [ArchivedIndex] = []
            chunk.reserveCapacity((lastDay - firstDay) * tableCount)
            for dayIndex in firstDay..<lastDay {
                let start = epoch.addingTimeInterval(Double(dayIndex) * day)
                let snapshot = "snapshot_\(dayIndex)"
                for table in 0..<tableCount {
                    chunk.append(
                        ArchivedIndex(
                            archiveConfigID: "config-\(table)", tableID: "2_bklog.table_\(table)", repository: "cos_archive",
                            snapshot: snapshot, index: "v2_2_bklog_table_\(table)_\(dayIndex)", docCount: 1_000_000,
                            storeSizeBytes: 1 << 30, startTime: start, endTime: start.addingTimeInterval(day - 1),
                            archivedAt: start.addingTimeInterval(8 * day)))
                }
            }
            try await archiveCatalog.insert(chunk)
            firstDay = lastDay
        }
    }
    line("SQLiteCatalog.insert([ArchivedIndex]) in 100k-row transactions", insertMs, count: tableCount * daysPerTable)

    var generator = SplitMix64(state: 4)
    var times: [Double] = []
    var matched = 0
    for _ in 0..<1_000 {
        let table = Int(generator.next() % UInt64(tableCount))
        let startDay = Int(generator.next() % UInt64(max(1, daysPerTable - 7)))
        let start = epoch.addingTimeInterval(Double(startDay) * day + 3600)
        let (found, ms) = try await measure {
            try await archiveCatalog.archivedIndices(
                tableID: "2_bklog.table_\(table)", overlapping: start, start.addingTimeInterval(7 * day))
        }
        matched += found.count
        times.append(ms)
    }
    print("1,000 random 7-day ranges, \(matched / 1_000) indices each on average")
    let raw = try DatabaseQueue(path: archivePath)
    var scanTimes: [Double] = []
    for _ in 0..<10 {
        let table = Int(generator.next() % UInt64(tableCount))
        let start = epoch.addingTimeInterval(Double(generator.next() % UInt64(max(1, daysPerTable - 7))) * day)
        let (_, ms) = try await measure {
            try await raw.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM archived_indices NOT INDEXED WHERE table_id = ? AND start_time <= ? AND end_time >= ?
                        """, arguments: ["2_bklog.table_\(table)", start.timeIntervalSince1970 + 7 * day, start.timeIntervalSince1970]
                ).count
            }
        }
        scanTimes.append(ms)
    }
    try raw.close()
    let scanMedian = percentile(scanTimes, 0.5)
    line("same SQL without index (full scan, baseline), median of 10", scanMedian, count: 1)
    line("SQLiteCatalog.archivedIndices(tableID:overlapping:), median", percentile(times, 0.5), count: 1, baseline: scanMedian)
    line("SQLiteCatalog.archivedIndices(tableID:overlapping:), p99", percentile(times, 0.99), count: 1, baseline: scanMedian)
    line("SQLiteCatalog.archivedIndices(tableID:overlapping:), max", times.max() ?? 0, count: 1, baseline: scanMedian)
}
try archiveCatalog.close()
let size = (try? FileManager.default.attributesOfItem(atPath: archivePath)[.size] as? Int) ?? 0
print("archive catalog file: \(size / 1_048_576) MiB")
