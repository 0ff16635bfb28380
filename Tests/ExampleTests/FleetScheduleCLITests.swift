import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Several `backup schedule` processes sharing one catalog and one storage, as the replicas of a
/// multi-host deployment do (Documentation/Fleet.md): every scheduled instant of every plan runs once.
@Suite("Several schedulers, one catalog: every instant runs once")
struct FleetScheduleCLITests {
    typealias Backend = CatalogBackend

    private static let plans = (0..<20).map { String(format: "fleet-%02d", $0) }
    private static let passwordVariable = "BACKUPKIT_FLEET_PG_PASSWORD"

    @Test(
        "3 processes × 20 plans on a per-minute cron for 3 or more instants, one killed with SIGKILL mid-run",
        .timeLimit(.minutes(10)), arguments: Backend.allCases)
    func fleet(backend: Backend) async throws {
        var environment = ProcessInfo.processInfo.environment
        let catalog: String
        switch backend {
        case .sqlite:
            catalog = "./shared/catalog.sqlite"
        case .postgres:
            guard let server = PostgresDatabase.fromEnvironment() else {
                print(
                    "skipped the PostgreSQL fleet: BACKUPKIT_PG_URL and BACKUPKIT_PG_PASSWORD are not set (scripts/test.sh starts the server)"
                )
                return
            }
            catalog = try await server.createDatabase()
            environment[Self.passwordVariable] = server.password
        }
        let sandbox = try Sandbox()
        try writePlans(in: sandbox, catalog: catalog, backend: backend)

        // Start inside a minute, so that the catch-up runs fall in the minute of the instant they stand for.
        while !(5...40).contains(Calendar.utc.component(.second, from: Date())) {
            try await Task.sleep(for: .milliseconds(500))
        }
        let started = Date()
        let missed = Calendar.utc.minuteFloor(started)
        var schedulers: [Process] = []
        for index in 0..<3 {
            schedulers.append(try startScheduler(sandbox, index: index, environment: environment))
        }
        defer { for process in schedulers where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let pids = Set(schedulers.map(\.processIdentifier))

        // At an instant, kill whoever runs fleet-00 once its record is written: its storage's bandwidth limit makes
        // each run take about 7 s on any machine. Should it still finish unseen, try again at the next instant.
        var victim: Int32?
        var killedInstant = missed.addingTimeInterval(60)
        while victim == nil {
            try #require(killedInstant <= missed.addingTimeInterval(300), "fleet-00 was never seen running at an instant")
            while Date() < killedInstant { try await Task.sleep(for: .milliseconds(200)) }
            watching: while Date() < killedInstant.addingTimeInterval(50) {
                let status = try await sandbox.json("status", "--plan", "fleet-00.yaml", "--json", environment: environment)
                let row = try #require((status as? [[String: Any]])?.first)
                let source = try #require((row["sources"] as? [[String: Any]])?.first)
                let startedAt = (source["started_at"] as? String).flatMap(Self.date) ?? .distantPast
                switch source["state"] as? String {
                case "running" where startedAt >= killedInstant:
                    if let holder = row["running_on"] as? String {
                        let pid = try #require(holder.split(separator: ":").last.flatMap { Int32($0) })
                        #expect(pids.contains(pid), "status names one of the schedulers: \(holder), pids \(pids)")
                        kill(pid, SIGKILL)
                        victim = pid
                        break watching
                    }
                case "committed" where startedAt >= killedInstant:
                    break watching  // finished before it was seen running
                default:
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            if victim == nil { killedInstant.addTimeInterval(60) }
        }
        let killed = try #require(victim)
        let last = killedInstant.addingTimeInterval(60)

        // Wait until every plan has finished its run of the instant after the kill, then stop the survivors.
        var records: [String: [[String: Any]]] = [:]
        let deadline = last.addingTimeInterval(150)
        while Date() < deadline {
            try await Task.sleep(for: .seconds(Date() < last ? last.timeIntervalSinceNow + 1 : 3))
            records = try await listAll(sandbox, environment: environment)
            let done = Self.plans.allSatisfy { plan in
                records[plan, default: []].contains { Self.startedAt($0) >= last && $0["state"] as? String != "running" }
            }
            if done { break }
        }
        for (index, process) in schedulers.enumerated() where process.processIdentifier != killed {
            kill(process.processIdentifier, SIGTERM)
            await waitForExit(of: process)
            // The log's last lines say why when it does not (the sandbox is gone after the test).
            let log = (try? String(contentsOfFile: sandbox.path("scheduler-\(index).log"), encoding: .utf8)) ?? ""
            #expect(
                process.terminationStatus == 0,
                "a survivor exits 0 on SIGTERM; scheduler-\(index).log ends: \(log.split(separator: "\n").suffix(15).joined(separator: "\n"))"
            )
        }
        records = try await listAll(sandbox, environment: environment)

        // Each plan ran once for the missed instant (the catch-up) and once per instant since, never twice; an
        // instant may go without a run only while the plan's previous run was still working (overlap is dropped).
        let instants = Array(stride(from: missed, through: last, by: 60))
        for plan in Self.plans {
            let runs = records[plan, default: []]
            let minutes = runs.map { Calendar.utc.minuteFloor(Self.startedAt($0)) }
            #expect(Set(minutes).count == minutes.count, "\(plan) ran twice in one minute: \(minutes)")
            #expect(Set(minutes).isSubset(of: instants), "\(plan) ran outside its instants: \(minutes)")
            for instant in instants where !minutes.contains(instant) {
                let overlapping = runs.contains {
                    Self.startedAt($0) < instant && ((($0["finished_at"] as? String).flatMap(Self.date)) ?? .distantFuture) > instant
                }
                // The killed process may have held this plan's lease at the instant it died, before it wrote the
                // record: that instant counts as run (Fleet.md), though no record shows it.
                #expect(
                    overlapping || instant == killedInstant,
                    "\(plan) skipped \(instant) with no run of it still working then: \(minutes)")
            }
            #expect(minutes.contains(missed) && minutes.contains(last), "\(plan): \(minutes)")
        }
        // The killed run was recovered by a survivor: failed, its leftovers gone; every other run committed.
        let runs = records["fleet-00", default: []]
        let failed = runs.filter { $0["state"] as? String != "committed" }
        #expect(failed.count == 1, "\(runs)")
        #expect(failed.first.map { Calendar.utc.minuteFloor(Self.startedAt($0)) } == killedInstant, "\(runs)")
        #expect((failed.first?["failure_reason"] as? String)?.contains("interrupted") == true, "\(runs)")
        // Other plans the killed process was running at that instant (it runs up to 4 at once) were recovered the
        // same way; every other run committed.
        let others = records.filter { $0.key != "fleet-00" }.values.joined().filter { $0["state"] as? String != "committed" }
        for record in others {
            #expect(record["state"] as? String == "failed", "\(record)")
            #expect((record["failure_reason"] as? String)?.contains("interrupted") == true, "\(record)")
            #expect(Calendar.utc.minuteFloor(Self.startedAt(record)) == killedInstant, "\(record)")
        }

        // Every committed backup verifies.
        for plan in Self.plans {
            let verify = try await runExample(
                Sandbox.binary, ["verify", "--plan", "\(plan).yaml", "--all"], in: sandbox.root, environment: environment)
            #expect(verify.status == 0, "\(plan): \(verify.stdout) \(verify.stderr)")
        }
    }

    /// Twenty plans sharing one catalog and one local storage; fleet-00 backs up 16 MiB of random bytes through a
    /// 2 MiB/s `bandwidth_limit`, so that its runs last long enough to be killed mid-run.
    private func writePlans(in sandbox: Sandbox, catalog: String, backend: Backend) throws {
        let manager = FileManager.default
        for plan in Self.plans {
            let folder = sandbox.path("data/\(plan)")
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("settings of \(plan)\n".utf8).write(to: URL(fileURLWithPath: folder + "/app.conf"))
            var text = """
                plan: \(plan)
                catalog: "\(catalog)"

                """
            if backend == .postgres { text += "catalog_password_env: \(Self.passwordVariable)\n" }
            let limit = plan == "fleet-00" ? ", bandwidth_limit: 2MiB" : ""
            text += """
                storage: {type: local, path: ./shared/store\(limit)}
                sources:
                  - {name: data, type: files, paths: [data/\(plan)]}
                compression: {algorithm: zstd, level: 1}
                schedule: {cron: "* * * * *", time_zone: UTC, missed: run_once, full: "* * * * *"}
                limits: {max_concurrent_runs: 4}

                """
            try Data(text.utf8).write(to: URL(fileURLWithPath: sandbox.path("\(plan).yaml")))
        }
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        let bytes = try #require(try random.read(upToCount: 16 << 20))
        try random.close()
        try bytes.write(to: URL(fileURLWithPath: sandbox.path("data/fleet-00/random.bin")))
        try manager.createDirectory(atPath: sandbox.path("shared/store"), withIntermediateDirectories: true)
    }

    private func startScheduler(_ sandbox: Sandbox, index: Int, environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Sandbox.binary)
        process.arguments = ["schedule", "--lease-duration", "10"] + Self.plans.flatMap { ["--plan", "\($0).yaml"] }
        process.currentDirectoryURL = URL(fileURLWithPath: sandbox.root)
        process.environment = environment
        let log = sandbox.path("scheduler-\(index).log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try startSerialized(process)
        return process
    }

    private func listAll(_ sandbox: Sandbox, environment: [String: String]) async throws -> [String: [[String: Any]]] {
        var records: [String: [[String: Any]]] = [:]
        for plan in Self.plans {
            let list = try await sandbox.json("list", "--plan", "\(plan).yaml", "--json", environment: environment)
            records[plan] = try #require(list as? [[String: Any]], "\(plan): list --json")
        }
        return records
    }

    private static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    private static func startedAt(_ record: [String: Any]) -> Date {
        (record["started_at"] as? String).flatMap(date) ?? .distantPast
    }
}

extension Sandbox {
    /// Runs the example and parses its standard output as JSON; a failure names the command and its stderr.
    fileprivate func json(_ arguments: String..., environment: [String: String]) async throws -> Any {
        let result = try await runExample(Sandbox.binary, arguments, in: root, environment: environment)
        guard result.status == 0 else {
            throw FleetTestError(message: "backup \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }
}

private struct FleetTestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

extension Calendar {
    fileprivate static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    fileprivate func minuteFloor(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60)
    }
}
