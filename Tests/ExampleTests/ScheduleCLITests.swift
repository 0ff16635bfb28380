import BackupModels
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `backup schedule` and `backup status`, run as a user would.
///
/// The tests that read a `schedule:` section need the plan parser to accept it.
@Suite("backup schedule and status")
struct ScheduleCLITests {
    static let schedule =
        "schedule: {cron: \"30 1 * * *\", time_zone: Asia/Shanghai, window: \"01:00-05:00\", jitter: 5m, missed: run_once}\n"

    private func scheduledSandbox(_ line: String = Self.schedule) throws -> Sandbox {
        let sandbox = try Sandbox()
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: sandbox.path("Examples/quickstart.yaml")))
        try file.seekToEnd()
        try file.write(contentsOf: Data(line.utf8))
        try file.close()
        return sandbox
    }

    @Test("--next --json prints the next instants with their UTC offset and runs nothing")
    func nextJSON() async throws {
        let sandbox = try scheduledSandbox()
        let result = try await sandbox.backup(
            "schedule", "--plan", "Examples/quickstart.yaml", "--next", "3", "--from", "2026-11-25T00:00:00+08:00", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let instants = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String])
        #expect(instants == ["2026-11-25T01:30:00+08:00", "2026-11-26T01:30:00+08:00", "2026-11-27T01:30:00+08:00"])
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("backups/catalog.sqlite")), "nothing ran")
    }

    @Test("--next prints one instant per line; instants are strictly after --from")
    func nextText() async throws {
        let sandbox = try scheduledSandbox()
        let result = try await sandbox.backup(
            "schedule", "--plan", "Examples/quickstart.yaml", "--next", "2", "--from", "2026-11-24T17:30:00Z")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "2026-11-26T01:30:00+08:00\n2026-11-27T01:30:00+08:00\n")
    }

    @Test(
        "bad schedules fail naming the setting",
        arguments: [
            ("schedule: {cron: \"61 1 * * *\", time_zone: Asia/Shanghai}\n", "schedule.cron"),
            ("schedule: {cron: \"30 1 * * *\", time_zone: Mars/Olympus}\n", "time_zone"),
            ("schedule: {cron: \"30 1 * * *\", time_zone: UTC, window: \"25:00-05:00\"}\n", "schedule.window"),
        ])
    func badSchedule(line: String, setting: String) async throws {
        let sandbox = try scheduledSandbox(line)
        let result = try await sandbox.backup("schedule", "--plan", "Examples/quickstart.yaml", "--next", "1")
        #expect(result.status != 0)
        #expect(result.stderr.contains(setting), "\(result.stderr)")
    }

    @Test("--next needs exactly one plan; --from without --next is refused")
    func usage() async throws {
        let sandbox = try Sandbox()
        let two = try await sandbox.backup(
            "schedule", "--plan", "Examples/quickstart.yaml", "--plan", "Examples/quickstart.yaml", "--next", "1")
        #expect(two.status != 0)
        #expect(two.stderr.contains("exactly one --plan"))
        let from = try await sandbox.backup("schedule", "--plan", "Examples/quickstart.yaml", "--from", "2026-11-25T00:00:00Z")
        #expect(from.status != 0)
        #expect(from.stderr.contains("--from only goes with --next"))
    }

    @Test("status shows each source's latest backup; exit 1 until every source has a good one")
    func status() async throws {
        let sandbox = try Sandbox()
        let before = try await sandbox.backup("status", "--plan", "Examples/quickstart.yaml")
        #expect(before.status != 0)
        #expect(before.stdout.contains("config: no backup yet"), "\(before.stdout)\(before.stderr)")
        #expect(try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
        let after = try await sandbox.backup("status", "--plan", "Examples/quickstart.yaml", "--json")
        #expect(after.status == 0, "\(after.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row["plan"] as? String == "quickstart")
        #expect(row["next_run"] is NSNull, "no schedule, no next run")
        let sources = try #require(row["sources"] as? [[String: Any]])
        #expect(sources.map { $0["source"] as? String } == ["config", "app-db"])
        #expect(sources.allSatisfy { $0["state"] as? String == "committed" && $0["label"] as? String == "20261125-013000F" })
    }

    @Test("status of a scheduled plan shows its next run in the schedule's zone")
    func statusNextRun() async throws {
        let sandbox = try scheduledSandbox()
        let result = try await sandbox.backup(
            "status", "--plan", "Examples/quickstart.yaml", "--json", "--time", "2026-11-25T02:00:00Z")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stderr)")
        #expect(rows.first?["next_run"] as? String == "2026-11-26T01:30:00+08:00")
        #expect(rows.first?["window"] as? String == "01:00-05:00")
        #expect(rows.first?["schedule"] as? String == "30 1 * * *")
    }

    @Test("schedule runs until SIGTERM, then exits cleanly")
    func runsUntilSignal() async throws {
        let sandbox = try scheduledSandbox()
        let errorFile = sandbox.path(".schedule-stderr")
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Sandbox.binary)
        process.arguments = ["schedule", "--plan", "Examples/quickstart.yaml"]
        process.currentDirectoryURL = URL(fileURLWithPath: sandbox.root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try startSerialized(process)
        var started = false
        for _ in 0..<400 where !started {
            try await Task.sleep(for: .milliseconds(25))
            started = (try? String(contentsOfFile: errorFile, encoding: .utf8))?.contains("scheduler started") == true
        }
        #expect(started, "the scheduler never logged its start")
        kill(process.processIdentifier, SIGTERM)
        var status: Int32 = -1
        for await code in exited.stream {
            status = code
            break
        }
        try errors.close()
        let log = try String(contentsOfFile: errorFile, encoding: .utf8)
        #expect(status == 0, "\(log)")
        #expect(log.contains("scheduler stopped"))
    }
}
