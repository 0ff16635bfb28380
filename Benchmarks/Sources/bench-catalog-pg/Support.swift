import BackupCatalog
import Foundation
import PostgresCatalog
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// MARK: Options

struct UsageError: Error, CustomStringConvertible {
    var description: String
}

/// The parent's options; see `usage`.
struct Options: Sendable {
    var records = 2_000
    var retentionRecords = 100_000
    var queryRuns = 7
    var plans = 500
    var workers = 3
    var rounds = 5
    var leaseMilliseconds = 200
    var help = false

    static let usage = """
        usage: bench-catalog-pg [--records N] [--retention-records N] [--query-runs N]
                                [--plans N] [--workers N] [--rounds N] [--lease-ms N]

          --records N            insert + commit one at a time, per catalog (default 2000; 0 skips)
          --retention-records N  committed records imported in one batch, then queried (default 100000; 0 skips)
          --query-runs N         runs of the retention query per catalog, median reported (default 7)
          --plans N              run: leases the workers compete for (default 500)
          --workers N            worker processes sharing one catalog (default 3; 0 skips the lease measurement)
          --rounds N             passes of every worker over every lease (default 5)
          --lease-ms N           lease duration in milliseconds (default 200: shorter than a round, so leases expire
                                 between renewals and the workers race to take them over)

        Needs BACKUPKIT_PG_URL (postgres://USER@HOST:PORT/DB, without password) and BACKUPKIT_PG_PASSWORD.
        """

    init(parsing arguments: [String]) throws(UsageError) {
        var remaining = arguments[...]
        while let option = remaining.popFirst() {
            if option == "--help" || option == "-h" {
                help = true
                continue
            }
            guard let text = remaining.popFirst() else { throw UsageError(description: "\(option) needs a value") }
            guard let value = Int(text), value >= 0 else {
                throw UsageError(description: "\(option) takes a whole number ≥ 0, not '\(text)'")
            }
            switch option {
            case "--records": records = value
            case "--retention-records": retentionRecords = value
            case "--query-runs": queryRuns = max(1, value)
            case "--plans": plans = value
            case "--workers": workers = value
            case "--rounds": rounds = value
            case "--lease-ms": leaseMilliseconds = max(1, value)
            default: throw UsageError(description: "unknown option \(option)")
            }
        }
    }
}

/// Reads `--name value` pairs (the worker's arguments).
func namedArguments(_ arguments: [String]) throws(UsageError) -> [String: String] {
    var values: [String: String] = [:]
    var remaining = arguments[...]
    while let name = remaining.popFirst() {
        guard name.hasPrefix("--"), let value = remaining.popFirst() else {
            throw UsageError(description: "expected --name value pairs, got '\(name)'")
        }
        values[String(name.dropFirst(2))] = value
    }
    return values
}

// MARK: Output

/// Writes to standard error at once (standard output is buffered when it is a pipe or a file).
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes a line to standard output unbuffered: the worker's protocol with its parent.
func sendLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

/// Runs `body` and returns its value and how long it took, in milliseconds.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    return (value, milliseconds(clock.now - start))
}

/// Nearest-rank percentile of already sorted values.
func percentile(sorted values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    return values[min(values.count - 1, Int((Double(values.count - 1) * p).rounded()))]
}

func median(_ values: [Double]) -> Double { percentile(sorted: values.sorted(), 0.5) }

/// `3.40 ms`, `412 ms`, `10.93 s`.
func formatTime(_ ms: Double) -> String {
    if ms >= 10_000 { return String(format: "%.1f s", ms / 1000) }
    if ms >= 1_000 { return String(format: "%.2f s", ms / 1000) }
    if ms >= 10 { return String(format: "%.0f ms", ms) }
    return String(format: "%.2f ms", ms)
}

func formatRatio(_ value: Double) -> String { String(format: "%.2f×", value) }

func grouped(_ value: Int) -> String {
    let digits = String(value)
    var text = ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
        text.append(digit)
    }
    return text
}

/// The rows of the final table.
struct Summary {
    var rows: [[String]] = []

    mutating func add(_ measurement: String, sqlite: String, postgres: String, ratio: String) {
        rows.append([measurement, sqlite, postgres, ratio])
    }

    func render() -> String {
        let header = ["measurement", "SQLiteCatalog", "PostgresCatalog", "PostgreSQL ÷ SQLite"]
        let all = [header] + rows
        let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// A field of Linux's `/proc/self/status` in MiB (`VmHWM`, `VmRSS`), or `nil` elsewhere.
func procStatusMiB(_ field: String) -> Double? {
    #if os(Linux)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let kib = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kib / 1_024
    #else
        return nil
    #endif
}

/// This process's peak resident set size in MiB. Linux's `VmHWM` belongs to the current address space, where
/// `ru_maxrss` does not: a spawned child's starts at its parent's peak, as Linux carries it over `execve`.
func peakResidentMiB() -> Double {
    if let peak = procStatusMiB("VmHWM") { return peak }
    var usage = rusage()
    #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576  // bytes
    #else
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1_024  // KiB
    #endif
}

/// `RSS now 80 MiB, peak 123 MiB since the start`.
func memoryLine() -> String {
    let now = procStatusMiB("VmRSS").map { String(format: "RSS now %.0f MiB, ", $0) } ?? ""
    return now + String(format: "peak %.0f MiB since the start", peakResidentMiB())
}

// MARK: PostgreSQL server

/// The server named by BACKUPKIT_PG_URL and BACKUPKIT_PG_PASSWORD: makes and drops the run's database.
struct PostgresServer: Sendable {
    static let urlVariable = "BACKUPKIT_PG_URL"
    static let passwordVariable = "BACKUPKIT_PG_PASSWORD"

    var location: PostgresCatalogLocation
    var password: String?

    static func fromEnvironment() throws(UsageError) -> PostgresServer {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment[urlVariable], !url.isEmpty, let password = environment[passwordVariable] else {
            throw UsageError(
                description: "set \(urlVariable) (postgres://USER@HOST:PORT/DB, no password) and \(passwordVariable); "
                    + "for the local test server: source /tmp/backupkit-services/postgresql.env")
        }
        do {
            return PostgresServer(location: try PostgresCatalogLocation(url: url), password: password.isEmpty ? nil : password)
        } catch {
            throw UsageError(description: "\(urlVariable): \(error)")
        }
    }

    static var logger: Logger {
        var logger = Logger(label: "bench-catalog-pg")
        logger.logLevel = .critical
        return logger
    }

    /// Runs `body` on one plain connection to `database` (the URL's database when `nil`).
    @discardableResult
    func withConnection<T: Sendable>(database: String? = nil, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password,
            database: database ?? location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Self.logger)
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    func serverVersion() async throws -> String {
        try await withConnection { connection in
            var version = "?"
            for try await row in try await connection.query("SHOW server_version", logger: Self.logger) {
                version = try row.decode(String.self)
            }
            return version
        }
    }

    /// The values of server settings, in the order asked.
    func settings(_ names: [String]) async throws -> [(name: String, value: String)] {
        try await withConnection { connection in
            var values: [(name: String, value: String)] = []
            for name in names {
                for try await row in try await connection.query(PostgresQuery(unsafeSQL: "SHOW \(name)"), logger: Self.logger) {
                    values.append((name, try row.decode(String.self)))
                }
            }
            return values
        }
    }

    /// A new empty database `bk_bench_<16 hex digits>` beside the URL's.
    func createDatabase() async throws -> PostgresCatalogLocation {
        let name = "bk_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger)
        }
        var database = location
        database.database = String(name)
        return database
    }

    /// Drops a database made by ``createDatabase()``, closing whatever connections it still has.
    func dropDatabase(_ database: PostgresCatalogLocation) async throws {
        precondition(database.database.hasPrefix("bk_bench_"))
        try await withConnection { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database.database) WITH (FORCE)"), logger: Self.logger)
        }
    }
}
