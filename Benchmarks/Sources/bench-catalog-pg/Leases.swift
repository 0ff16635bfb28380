import BackupCatalog
import Foundation
import PostgresCatalog

// MARK: Shared by parent and workers

/// One acquisition of a lease by a worker, as long as that token kept it.
struct Holding: Codable, Sendable {
    var name: String
    var worker: Int
    var token: String
    /// The acquisition instant, seconds since 1970, as the catalog returned it.
    var acquiredAt: Double
    /// The expiry of the acquisition or of its last successful renewal.
    var expiresAt: Double
    /// The token of the expired holder this acquisition took over from, if any.
    var tookOverFrom: String?
}

/// What a worker did during its rounds, written to a JSON file for the parent.
struct WorkerReport: Codable, Sendable {
    var worker: Int
    var acquired = 0
    /// Acquisitions that took an expired lease over from another token (included in `acquired`).
    var tookOver = 0
    var renewed = 0
    /// Acquisitions answered `held(by:)`: another worker held the lease.
    var refused = 0
    /// Renewals refused with `conflict`: another worker had taken the expired lease over.
    var lost = 0
    var errors = 0
    var firstError: String?
    /// Wall-clock start and end of the rounds, seconds since 1970 (one host, one clock).
    var started = 0.0
    var finished = 0.0
    var latenciesMs: [Double] = []
    var holdings: [Holding] = []
    /// The worker's peak resident set size, MiB.
    var peakMiB = 0.0

    var operations: Int { acquired + renewed + refused + lost + errors }
}

/// Opens `target` as a host would: a `postgres://` URL (password from BACKUPKIT_PG_PASSWORD) or an SQLite path.
func openCatalog(_ target: String) async throws -> OpenedCatalog {
    try await OpenedCatalog.open(target, passwordVariable: PostgresServer.passwordVariable)
}

func leaseNames(_ count: Int) -> [String] {
    (0..<count).map { Lease.name(forRun: String(format: "plan-%04d", $0)) }
}

// MARK: Worker process

/// `bench-catalog-pg lease-worker --catalog TARGET --worker K --plans N --rounds R --lease-ms D --report FILE`
///
/// Protocol on standard input and output: prints `ready` once the catalog is open, waits for `go`, runs its
/// rounds, writes the report, prints `done`, waits for `release`, releases the leases it still holds and prints
/// `released N`.
enum LeaseWorker {
    static let command = "lease-worker"

    static func run(_ arguments: [String]) async -> Int32 {
        let values: [String: String]
        do {
            values = try namedArguments(arguments)
        } catch {
            printError("lease-worker: \(error)")
            return 2
        }
        guard let target = values["catalog"], let worker = values["worker"].flatMap(Int.init),
            let plans = values["plans"].flatMap(Int.init), let rounds = values["rounds"].flatMap(Int.init),
            let leaseMilliseconds = values["lease-ms"].flatMap(Int.init), let reportPath = values["report"]
        else {
            printError("lease-worker: needs --catalog --worker --plans --rounds --lease-ms --report")
            return 2
        }
        do {
            let opened = try await openCatalog(target)
            let status = try await work(
                opened.catalog, worker: worker, names: leaseNames(plans), rounds: rounds,
                duration: .milliseconds(leaseMilliseconds), reportPath: reportPath)
            await opened.close()
            return status
        } catch {
            printError("lease-worker \(worker): \(String(reflecting: error))")
            return 1
        }
    }

    static func work(
        _ catalog: any LeaseCatalog, worker: Int, names: [String], rounds: Int, duration: Duration, reportPath: String
    ) async throws -> Int32 {
        // Not timed: the pool's first connection, the host name.
        _ = try await catalog.lease(named: "warm-up")
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier

        sendLine("ready")
        guard readLine() == "go" else { return 1 }

        var report = WorkerReport(worker: worker)
        report.latenciesMs.reserveCapacity(names.count * rounds)
        var held: [String: (lease: Lease, holding: Int)] = [:]
        let clock = ContinuousClock()
        report.started = Date().timeIntervalSince1970
        for _ in 0..<rounds {
            for name in names {
                let start = clock.now
                let now = Date()
                do {
                    if let current = held[name] {
                        do {
                            let renewed = try await catalog.renewLease(current.lease, duration: duration, now: now)
                            report.renewed += 1
                            report.holdings[current.holding].expiresAt = renewed.expiresAt.timeIntervalSince1970
                            held[name] = (lease: renewed, holding: current.holding)
                        } catch let error as CatalogError where error.code == .conflict {
                            report.lost += 1
                            held[name] = nil
                        }
                    } else {
                        let owner = LeaseOwner(host: host, pid: pid)
                        switch try await catalog.acquireLease(name, owner: owner, duration: duration, now: now) {
                        case .acquired(let lease, let previous):
                            report.acquired += 1
                            if previous != nil { report.tookOver += 1 }
                            report.holdings.append(
                                Holding(
                                    name: name, worker: worker, token: lease.owner.token,
                                    acquiredAt: lease.acquiredAt.timeIntervalSince1970,
                                    expiresAt: lease.expiresAt.timeIntervalSince1970, tookOverFrom: previous?.owner.token))
                            held[name] = (lease: lease, holding: report.holdings.count - 1)
                        case .held:
                            report.refused += 1
                        }
                    }
                } catch {
                    report.errors += 1
                    if report.firstError == nil { report.firstError = String(reflecting: error) }
                }
                report.latenciesMs.append(milliseconds(clock.now - start))
            }
        }
        report.finished = Date().timeIntervalSince1970
        report.peakMiB = peakResidentMiB()
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: reportPath))
        sendLine("done")

        guard readLine() == "release" else { return 1 }
        var released = 0
        for (lease, _) in held.values {
            if try await catalog.releaseLease(lease) { released += 1 }
        }
        sendLine("released \(released)")
        return 0
    }
}

// MARK: Parent

/// Starts the workers on one catalog, then on the other, and checks what they report.
struct LeaseBenchmark {
    var options: Options
    var folder: String
    var sqlitePath: String
    var database: PostgresCatalogLocation
    var server: PostgresServer

    struct Outcome {
        var reports: [WorkerReport]
        var wallSeconds: Double
        var released: Int
        var violations: [String]

        var operations: Int { reports.reduce(0) { $0 + $1.operations } }
        var operationsPerSecond: Double { Double(operations) / wallSeconds }
        func sum(_ field: KeyPath<WorkerReport, Int>) -> Int { reports.reduce(0) { $0 + $1[keyPath: field] } }
    }

    /// Returns whether both catalogs passed the checks, and the largest peak RSS of a worker in MiB.
    func run(summary: inout Summary) async throws -> (passed: Bool, workerPeakMiB: Double) {
        let names = leaseNames(options.plans)
        print(
            "== 3. leases: \(options.workers) processes × \(grouped(options.plans)) run: leases × \(options.rounds) rounds, "
                + "lease \(options.leaseMilliseconds) ms ==")
        print(
            "(every worker goes through the names in the same order: acquire the ones it does not hold, renew the ones it "
                + "holds; ops/s = all calls ÷ wall time from the first worker's start to the last one's end)")
        let sqlite = try await measure(target: sqlitePath, label: "SQLiteCatalog", names: names)
        let postgres = try await measure(target: database.description, label: "PostgresCatalog", names: names)
        print("")

        let title = "leases, \(options.workers) processes × \(grouped(options.plans)) plans × \(options.rounds) rounds"
        summary.add(
            "\(title): operations per second (PostgreSQL ÷ SQLite ops/s)",
            sqlite: String(format: "%.0f ops/s", sqlite.operationsPerSecond),
            postgres: String(format: "%.0f ops/s", postgres.operationsPerSecond),
            ratio: formatRatio(postgres.operationsPerSecond / sqlite.operationsPerSecond))
        summary.add(
            "\(title): wall time", sqlite: formatTime(sqlite.wallSeconds * 1000), postgres: formatTime(postgres.wallSeconds * 1000),
            ratio: formatRatio(postgres.wallSeconds / sqlite.wallSeconds))
        let sqliteLatencies = sqlite.reports.flatMap(\.latenciesMs).sorted()
        let postgresLatencies = postgres.reports.flatMap(\.latenciesMs).sorted()
        for (name, p) in [("p50", 0.5), ("p99", 0.99)] {
            let s = percentile(sorted: sqliteLatencies, p)
            let g = percentile(sorted: postgresLatencies, p)
            summary.add("\(title): latency of one call, \(name)", sqlite: formatTime(s), postgres: formatTime(g), ratio: formatRatio(g / s))
        }
        func mix(_ outcome: Outcome) -> String {
            "\(outcome.sum(\.acquired)) acq (\(outcome.sum(\.tookOver)) takeovers) / \(outcome.sum(\.renewed)) ren / "
                + "\(outcome.sum(\.refused)) ref / \(outcome.sum(\.lost)) lost / \(outcome.sum(\.errors)) err"
        }
        summary.add("\(title): mix of results", sqlite: mix(sqlite), postgres: mix(postgres), ratio: "")
        func verdict(_ outcome: Outcome) -> String {
            outcome.violations.isEmpty ? "never two holders; \(outcome.released) released" : "FAILED (\(outcome.violations.count))"
        }
        summary.add("\(title): check", sqlite: verdict(sqlite), postgres: verdict(postgres), ratio: "")
        let workerPeak = (sqlite.reports + postgres.reports).map(\.peakMiB).max() ?? 0
        return (sqlite.violations.isEmpty && postgres.violations.isEmpty, workerPeak)
    }

    /// One worker process and the two ends of its pipes.
    final class Child {
        let worker: Int
        let process: Process
        let input: FileHandle
        let output: FileHandle
        private var buffer: [UInt8] = []

        init(worker: Int, process: Process, input: FileHandle, output: FileHandle) {
            self.worker = worker
            self.process = process
            self.input = input
            self.output = output
        }

        func send(_ line: String) throws { try input.write(contentsOf: Data((line + "\n").utf8)) }

        /// The next line the worker printed, or `nil` once it closed its output (it ended).
        func readLine() -> String? {
            while true {
                if let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[..<newline], as: UTF8.self)
                    buffer.removeSubrange(...newline)
                    return line
                }
                let chunk = output.availableData
                if chunk.isEmpty { return nil }
                buffer.append(contentsOf: chunk)
            }
        }

        func expect(_ expected: String) throws {
            let line = readLine()
            guard let line, line.hasPrefix(expected) else {
                throw UsageError(
                    description: "lease worker \(worker) said \(line.map { "'\($0)'" } ?? "nothing (it ended)") instead of '\(expected)'")
            }
        }
    }

    /// The path of this executable, to start it again as workers.
    static var executable: URL {
        #if os(Linux)
            if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                return URL(fileURLWithPath: path)
            }
        #endif
        return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }

    func measure(target: String, label: String, names: [String]) async throws -> Outcome {
        let isPostgres = PostgresCatalogLocation.isURL(target)
        let reportPaths = (0..<options.workers).map { folder + "/lease-\(isPostgres ? "pg" : "sqlite")-\($0).json" }
        var children: [Child] = []
        defer {
            for child in children where child.process.isRunning { child.process.terminate() }
        }
        for worker in 0..<options.workers {
            let process = Process()
            process.executableURL = Self.executable
            process.arguments = [
                LeaseWorker.command, "--catalog", target, "--worker", "\(worker)", "--plans", "\(options.plans)",
                "--rounds", "\(options.rounds)", "--lease-ms", "\(options.leaseMilliseconds)", "--report", reportPaths[worker],
            ]
            // The password travels in the environment only, and only to workers that need it.
            var environment = ProcessInfo.processInfo.environment
            environment[PostgresServer.passwordVariable] = isPostgres ? (server.password ?? "") : nil
            process.environment = environment
            let input = Pipe()
            let output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            children.append(
                Child(worker: worker, process: process, input: input.fileHandleForWriting, output: output.fileHandleForReading))
        }
        for child in children { try child.expect("ready") }
        for child in children { try child.send("go") }
        for child in children { try child.expect("done") }

        let reports = try reportPaths.map { try JSONDecoder().decode(WorkerReport.self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
        var violations = Self.check(reports, names: names)

        // What the catalog holds now must be the last holder of each chain.
        let checker = try await openCatalog(target)
        let lastHolders = Dictionary(grouping: reports.flatMap(\.holdings), by: \.name).mapValues {
            $0.max { $0.acquiredAt < $1.acquiredAt }!.token
        }
        for name in names {
            let stored = try await checker.catalog.lease(named: name)?.owner.token
            if stored != lastHolders[name] {
                violations.append(
                    "\(name): the catalog holds token \(stored ?? "none"), the last acquisition was \(lastHolders[name] ?? "none")")
            }
        }

        var released = 0
        for child in children { try child.send("release") }
        for child in children {
            guard let line = child.readLine(), line.hasPrefix("released "), let count = Int(line.dropFirst("released ".count)) else {
                throw UsageError(description: "lease worker \(child.worker) did not release its leases")
            }
            released += count
        }
        for child in children {
            child.process.waitUntilExit()
            if child.process.terminationStatus != 0 {
                violations.append("worker \(child.worker) exited with status \(child.process.terminationStatus)")
            }
        }
        var remaining = 0
        for name in names {
            if try await checker.catalog.lease(named: name) != nil { remaining += 1 }
        }
        if remaining != 0 { violations.append("\(remaining) leases still held after every worker released its own") }
        await checker.close()

        let wall = (reports.map(\.finished).max() ?? 0) - (reports.map(\.started).min() ?? 0)
        let outcome = Outcome(reports: reports, wallSeconds: wall, released: released, violations: violations)
        let latencies = reports.flatMap(\.latenciesMs).sorted()
        print(
            label.padding(toLength: 16, withPad: " ", startingAt: 0)
                + String(format: "%6d calls in %.2f s = %.0f ops/s; ", outcome.operations, wall, outcome.operationsPerSecond)
                + "p50 \(formatTime(percentile(sorted: latencies, 0.5))), p99 \(formatTime(percentile(sorted: latencies, 0.99))), "
                + "max \(formatTime(latencies.last ?? 0))")
        for report in reports {
            print(
                "  worker \(report.worker): \(report.acquired) acquired (\(report.tookOver) takeovers), \(report.renewed) renewed, "
                    + "\(report.refused) refused, \(report.lost) lost, \(report.errors) errors"
                    + String(format: ", %.2f s, peak RSS %.0f MiB", report.finished - report.started, report.peakMiB)
                    + (report.firstError.map { "; first error: \($0)" } ?? ""))
        }
        if violations.isEmpty {
            print(
                "  check passed: \(Set(reports.flatMap(\.holdings).map(\.name)).count) leases, never two holders at once, every "
                    + "takeover from the previous holder, the catalog's holders as reported; \(released) released, none left")
        } else {
            print("  CHECK FAILED: \(violations.count) violations; the first ones:")
            for violation in violations.prefix(10) { print("    \(violation)") }
        }
        return outcome
    }

    /// Per lease, the acquisitions of all workers ordered by time must form one chain: each starts at or after
    /// the previous one's last expiry (1 µs of slack for the date conversions), and takes over from exactly the
    /// previous token (the workers release nothing during their rounds); the first takes over from nobody.
    static func check(_ reports: [WorkerReport], names: [String]) -> [String] {
        var violations: [String] = []
        let byName = Dictionary(grouping: reports.flatMap(\.holdings), by: \.name)
        for name in names {
            guard let holdings = byName[name]?.sorted(by: { $0.acquiredAt < $1.acquiredAt }), let first = holdings.first else {
                violations.append("\(name): nobody ever acquired it")
                continue
            }
            if let previous = first.tookOverFrom {
                violations.append("\(name): the first acquisition (worker \(first.worker)) took over from \(previous)")
            }
            for (earlier, later) in zip(holdings, holdings.dropFirst()) {
                if later.acquiredAt < earlier.expiresAt - 1e-6 {
                    violations.append(
                        "\(name): worker \(later.worker) acquired it at "
                            + String(format: "%.6f while worker %d held it until %.6f", later.acquiredAt, earlier.worker, earlier.expiresAt)
                    )
                }
                if later.tookOverFrom != earlier.token {
                    violations.append(
                        "\(name): worker \(later.worker) took over from \(later.tookOverFrom ?? "nobody"), but worker "
                            + "\(earlier.worker)'s token \(earlier.token) held it before")
                }
            }
        }
        return violations
    }
}
