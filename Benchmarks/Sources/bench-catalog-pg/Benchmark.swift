import BackupCatalog
import BackupModels
import Foundation
import GRDB  // sqlite_version() only
import PostgresCatalog

/// The parent process: sets up both catalogs, runs the three measurements, prints the table, cleans up.
enum Benchmark {
    static func run(_ arguments: [String]) async -> Int32 {
        let options: Options
        let server: PostgresServer
        do {
            options = try Options(parsing: arguments)
            if options.help {
                print(Options.usage)
                return 0
            }
            server = try PostgresServer.fromEnvironment()
        } catch {
            printError("bench-catalog-pg: \(error)\n\n\(Options.usage)")
            return 2
        }

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-catalog-pg-\(UUID().uuidString)").path
        var database: PostgresCatalogLocation?
        var status: Int32 = 0
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let created = try await server.createDatabase()
            database = created
            status = try await measureAll(options, server: server, database: created, folder: folder)
        } catch {
            printError("bench-catalog-pg: failed: \(String(reflecting: error))")
            status = 1
        }
        if let database {
            do {
                try await server.dropDatabase(database)
            } catch {
                printError("bench-catalog-pg: could not drop database \(database.database): \(String(reflecting: error))")
            }
        }
        try? FileManager.default.removeItem(atPath: folder)
        return status
    }

    static func measureAll(_ options: Options, server: PostgresServer, database: PostgresCatalogLocation, folder: String)
        async throws -> Int32
    {
        let sqliteVersion = try await DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") } ?? "?"
        let postgresVersion = try await server.serverVersion()
        let postgresDurability = try await server.settings(["fsync", "synchronous_commit", "full_page_writes"])
        print(
            "bench-catalog-pg: \(grouped(options.records)) records one at a time, \(grouped(options.retentionRecords)) "
                + "retention records, \(options.workers) workers × \(options.plans) leases × \(options.rounds) rounds "
                + "(lease \(options.leaseMilliseconds) ms)")
        print("SQLite \(sqliteVersion), file in \(folder), durability FULL (the default)")
        print("PostgreSQL \(postgresVersion), database \(database) (created for this run)")
        print("PostgreSQL server settings: \(postgresDurability.map { "\($0.name) = \($0.value)" }.joined(separator: ", "))")
        if postgresDurability.contains(where: { ["fsync", "synchronous_commit"].contains($0.name) && $0.value == "off" }) {
            print("  (with fsync or synchronous_commit off, a PostgreSQL commit waits for no disk flush, unlike SQLite's FULL:")
            print("   measurement 1 also shows SQLite with durability NORMAL, which does not flush at each commit either)")
        }
        print("\(ProcessInfo.processInfo.activeProcessorCount) CPUs; ratios are PostgreSQL ÷ SQLite")
        print("")

        let sqlitePath = folder + "/catalog.sqlite"
        let sqlite = try SQLiteCatalog(path: sqlitePath)
        let postgres = try await PostgresCatalog.open(database, password: server.password)
        // Not timed: the pool's first connection.
        _ = try await sqlite.records(RecordQuery(plan: "warm-up", limit: 1))
        _ = try await postgres.records(RecordQuery(plan: "warm-up", limit: 1))

        var summary = Summary()
        var failed = false
        var peaks: [(String, Double)] = []
        do {
            if options.records > 0 {
                let normal = try SQLiteCatalog(path: folder + "/catalog-normal.sqlite", configuration: .init(durability: .normal))
                _ = try await normal.records(RecordQuery(plan: "warm-up", limit: 1))
                try await insertAndCommit(
                    count: options.records, sqlite: sqlite, sqliteNormal: normal, postgres: postgres, summary: &summary)
                try normal.close()
                print(memoryLine() + "\n")
                peaks.append(("after insert + commit", peakResidentMiB()))
            }
            if options.retentionRecords > 0 {
                let matched = try await retention(
                    count: options.retentionRecords, runs: options.queryRuns, sqlite: sqlite, postgres: postgres,
                    summary: &summary)
                failed = failed || !matched
                print(memoryLine() + "\n")
                peaks.append(("after import + retention query", peakResidentMiB()))
            }
        } catch {
            await postgres.close()
            try? sqlite.close()
            throw error
        }
        await postgres.close()
        try sqlite.close()

        if options.workers > 0, options.plans > 0, options.rounds > 0 {
            let (passed, workerPeak) = try await LeaseBenchmark(
                options: options, folder: folder, sqlitePath: sqlitePath, database: database, server: server
            ).run(summary: &summary)
            failed = failed || !passed
            peaks.append(("after leases", peakResidentMiB()))
            peaks.append(("largest lease worker", workerPeak))
        }

        print("== summary ==")
        print(summary.render())
        print("")
        print(
            "peak RSS: this process "
                + peaks.map { "\($0.0) " + String(format: "%.0f MiB", $0.1) }.joined(separator: ", "))
        if failed { print("FAILED: see the messages above") }
        return failed ? 1 : 0
    }

    // MARK: 1. insert + commit, one record at a time

    struct Latencies {
        var values: [Double] = []

        var sorted: [Double] { values.sorted() }
        var total: Double { values.reduce(0, +) }
        var mean: Double { total / Double(max(values.count, 1)) }
    }

    static func insertAndCommit(
        count: Int, sqlite: SQLiteCatalog, sqliteNormal: SQLiteCatalog, postgres: PostgresCatalog, summary: inout Summary
    ) async throws {
        print("== 1. insert (running) + commit with one artifact, \(grouped(count)) records one at a time ==")
        print("(each call awaited before the next; the catalogs take turns record by record, the first one rotating)")
        let plan = "one-at-a-time"
        let backups = Workload.pendingBackups(count: count, plan: plan)
        let catalogs: [any BackupRecordCatalog] = [sqlite, sqliteNormal, postgres]
        var times = [Latencies](repeating: Latencies(), count: catalogs.count)
        for (index, backup) in backups.enumerated() {
            for turn in 0..<catalogs.count {
                let which = (index + turn) % catalogs.count
                times[which].values.append(try await insertAndCommit(backup, into: catalogs[which]))
            }
        }
        for catalog in catalogs {
            let stored = try await catalog.records(RecordQuery(plan: plan, states: [.committed])).count
            guard stored == count else {
                throw UsageError(description: "expected \(count) committed records in \(catalog), found \(stored)")
            }
        }
        let names = ["SQLiteCatalog, durability FULL", "SQLiteCatalog, durability NORMAL", "PostgresCatalog"]
        let sorted = times.map(\.sorted)
        for (index, name) in names.enumerated() {
            print(
                name.padding(toLength: 34, withPad: " ", startingAt: 0)
                    + "total \(formatTime(times[index].total)), per record mean \(formatTime(times[index].mean)), "
                    + "p50 \(formatTime(percentile(sorted: sorted[index], 0.5))), "
                    + "p99 \(formatTime(percentile(sorted: sorted[index], 0.99))), max \(formatTime(sorted[index].last ?? 0))")
        }
        print("")
        let label = "insert + commit, \(grouped(count)) records one at a time"
        let (full, normal, pg) = (0, 1, 2)
        summary.add(
            "\(label): mean per record", sqlite: formatTime(times[full].mean), postgres: formatTime(times[pg].mean),
            ratio: formatRatio(times[pg].mean / times[full].mean))
        for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
            let s = percentile(sorted: sorted[full], p)
            let g = percentile(sorted: sorted[pg], p)
            summary.add("\(label): \(name)", sqlite: formatTime(s), postgres: formatTime(g), ratio: formatRatio(g / s))
        }
        summary.add(
            "\(label): mean, SQLite with durability NORMAL (no flush per commit)", sqlite: formatTime(times[normal].mean),
            postgres: formatTime(times[pg].mean), ratio: formatRatio(times[pg].mean / times[normal].mean))
    }

    /// Inserts the running record, commits it with its artifact, and returns the milliseconds both took.
    static func insertAndCommit(_ backup: PendingBackup, into catalog: some BackupRecordCatalog) async throws -> Double {
        let (_, ms) = try await measure {
            try await catalog.insert(backup.record)
            try await catalog.commit(
                backup.record.id, artifacts: [backup.artifact], position: nil,
                finishedAt: backup.record.startedAt.addingTimeInterval(120))
        }
        return ms
    }

    // MARK: 2. Batch import and the retention query

    /// Returns whether both catalogs returned exactly the imported records.
    static func retention(
        count: Int, runs: Int, sqlite: SQLiteCatalog, postgres: PostgresCatalog, summary: inout Summary
    ) async throws -> Bool {
        let plan = "retention"
        let set = Workload.retentionSet(count: count, plan: plan)
        let incrementals = set.records.count - set.fulls
        let formatter = ISO8601DateFormatter()
        print("== 2. import \(grouped(set.records.count)) committed records of one plan, then its retention query ==")
        print(
            "\(set.sources.count) sources (\(set.sources.joined(separator: ", "))), \(grouped(set.fulls)) fulls and "
                + "\(grouped(incrementals)) incrementals (each on its source's previous backup), one artifact each, "
                + "\(formatter.string(from: set.first)) … \(formatter.string(from: set.last))")
        print("with the generated records in memory: " + memoryLine())

        let (_, sqliteImport) = try await measure { try await sqlite.insert(contentsOf: set.records) }
        let sqliteImportMemory = memoryLine()
        let (_, postgresImport) = try await measure { try await postgres.insert(contentsOf: set.records) }
        print("after SQLiteCatalog's import: \(sqliteImportMemory); after PostgresCatalog's: \(memoryLine())")
        print(
            "insert(contentsOf:), one transaction: SQLiteCatalog \(formatTime(sqliteImport)), PostgresCatalog "
                + "\(formatTime(postgresImport)) (\(formatRatio(postgresImport / sqliteImport)))")
        summary.add(
            "batch import (`insert(contentsOf:)`) of \(grouped(set.records.count)) committed records",
            sqlite: formatTime(sqliteImport), postgres: formatTime(postgresImport),
            ratio: formatRatio(postgresImport / sqliteImport))

        // The query of Engine.prune (applyRetention): every record of the plan, any state.
        let query = RecordQuery(plan: plan)
        var sqliteTimes: [Double] = []
        var postgresTimes: [Double] = []
        var returned = (sqlite: 0, postgres: 0)
        var matched = true
        for run in 0..<runs {
            // Alternate which catalog goes first; each result is checked on the first run, then dropped at once.
            for sqliteTurn in [run % 2 == 0, run % 2 != 0] {
                let name = sqliteTurn ? "SQLiteCatalog" : "PostgresCatalog"
                let (records, ms) = try await measure {
                    if sqliteTurn { try await sqlite.records(query) } else { try await postgres.records(query) }
                }
                if sqliteTurn { sqliteTimes.append(ms) } else { postgresTimes.append(ms) }
                if run == 0 {
                    if sqliteTurn { returned.sqlite = records.count } else { returned.postgres = records.count }
                    if records != set.records {
                        print("MISMATCH: \(name) returned \(records.count) records that differ from the imported ones")
                        matched = false
                    }
                }
            }
        }
        let format = { (times: [Double]) in times.map(formatTime).joined(separator: ", ") }
        print("records(RecordQuery(plan:)), \(runs) runs each, alternating:")
        print("  SQLiteCatalog   \(grouped(returned.sqlite)) records; \(format(sqliteTimes))")
        print("  PostgresCatalog \(grouped(returned.postgres)) records; \(format(postgresTimes))")
        if matched { print("  both returned exactly the imported records, in the same order") }
        print("")
        let sqliteMedian = median(sqliteTimes)
        let postgresMedian = median(postgresTimes)
        summary.add(
            "retention query `RecordQuery(plan:)` over \(grouped(set.records.count)), median of \(runs) "
                + "(returned \(grouped(returned.sqlite)) / \(grouped(returned.postgres)))",
            sqlite: formatTime(sqliteMedian), postgres: formatTime(postgresMedian),
            ratio: formatRatio(postgresMedian / sqliteMedian))
        return matched
    }
}
