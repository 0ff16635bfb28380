import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM and SIGINT, exit statuses and `--source`, `status --max-age` and stale records, as an operator
/// meets them with the `backup` and `export-link` executables.
@Suite("backup signals, exit codes and status")
struct SignalAndExitCLITests {
    /// The quickstart sandbox with a big random file, compressed slowly, so that a run uploads for a while.
    private func slowSandbox() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let made = try await runExample(
            "/bin/sh", ["-c", "head -c 100000000 /dev/urandom > Examples/sample/config/big.bin"], in: sandbox.root)
        #expect(made.status == 0)
        try sandbox.replace("level: 3}", with: "level: 19, threads: 1}", in: "Examples/quickstart.yaml")
        return sandbox
    }

    /// Waits until the run is uploading: its partial file exists.
    private func waitForUpload(_ sandbox: Sandbox) async throws -> Bool {
        for _ in 0..<1_200 {
            if !files(under: sandbox.path("backups"), containing: ".partial-").isEmpty { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The relative paths under `root` whose name contains `text`.
    private func files(under root: String, containing text: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }.filter { ($0 as NSString).lastPathComponent.contains(text) }
    }

    private func statusRows(_ result: Sandbox.Result) throws -> [[String: Any]] {
        let plans = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        return try #require(plans.first?["sources"] as? [[String: Any]])
    }

    @Test("SIGTERM mid-upload: exit 143, the record is failed 'interrupted by SIGTERM', no partial file or artifact remains")
    func sigtermMidUpload() async throws {
        let sandbox = try await slowSandbox()
        let process = try sandbox.start("run", "--plan", "Examples/quickstart.yaml", "--source", "config", "--time", "2026-11-25T01:30:00Z")
        #expect(try await waitForUpload(sandbox), "the run never started uploading")

        // While it runs, status calls it a live run, not a stale record.
        let live = try await sandbox.backup("status", "--plan", "Examples/quickstart.yaml", "--json")
        let liveConfig = try #require(try statusRows(live).first { $0["source"] as? String == "config" })
        #expect(liveConfig["state"] as? String == "running")
        #expect(liveConfig["stale"] as? Bool == false, "the run's process is alive")

        kill(process.processIdentifier, SIGTERM)
        await waitForExit(of: process)
        #expect(process.terminationReason == .exit, "the process exits by itself after cleaning up, not killed by the signal")
        #expect(process.terminationStatus == 143)

        let status = try await sandbox.backup("status", "--plan", "Examples/quickstart.yaml", "--json")
        #expect(status.status == 1, "a failed latest backup is unhealthy")
        let config = try #require(try statusRows(status).first { $0["source"] as? String == "config" })
        #expect(config["state"] as? String == "failed")
        #expect((config["failure_reason"] as? String)?.contains("interrupted by SIGTERM") == true, "\(config)")
        #expect(files(under: sandbox.path("backups"), containing: ".partial-").isEmpty, "the partial file is removed at once")
        #expect(files(under: sandbox.path("backups"), containing: ".tar.zst").isEmpty, "no artifact or manifest remains")
    }

    @Test("SIGINT mid-upload exits 130 after the same clean-up")
    func sigintMidUpload() async throws {
        let sandbox = try await slowSandbox()
        let process = try sandbox.start("run", "--plan", "Examples/quickstart.yaml", "--source", "config", "--time", "2026-11-25T01:30:00Z")
        #expect(try await waitForUpload(sandbox), "the run never started uploading")
        kill(process.processIdentifier, SIGINT)
        await waitForExit(of: process)
        #expect(process.terminationStatus == 130)
        let status = try await sandbox.backup("status", "--plan", "Examples/quickstart.yaml", "--json")
        let config = try #require(try statusRows(status).first { $0["source"] as? String == "config" })
        #expect((config["failure_reason"] as? String)?.contains("interrupted by SIGINT") == true, "\(config)")
    }

    @Test("a running record whose process died is reported stale, with exit status 1")
    func staleRecord() async throws {
        let sandbox = try await slowSandbox()
        let process = try sandbox.start("run", "--plan", "Examples/quickstart.yaml", "--source", "config", "--time", "2026-11-25T01:30:00Z")
        #expect(try await waitForUpload(sandbox), "the run never started uploading")
        kill(process.processIdentifier, SIGKILL)
        await waitForExit(of: process)
        let status = try await sandbox.backup("status", "--plan", "Examples/quickstart.yaml")
        #expect(status.status == 1, "a stale running record is not healthy: \(status.stdout)")
        #expect(status.stdout.contains("config: running"))
        #expect(status.stdout.contains("stale"))
    }

    @Test("status --max-age exits 1 when a source's newest committed backup is older, 0 when it is recent enough")
    func maxAge() async throws {
        let sandbox = try Sandbox()
        #expect(try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
        let fresh = try await sandbox.backup(
            "status", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-26T01:00:00Z", "--max-age", "26h")
        #expect(fresh.status == 0, "\(fresh.stdout)\(fresh.stderr)")
        let old = try await sandbox.backup(
            "status", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-26T04:00:00Z", "--max-age", "26h")
        #expect(old.status == 1)
        #expect(old.stdout.contains("older than --max-age"), "\(old.stdout)")
        let json = try await sandbox.backup(
            "status", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-26T04:00:00Z", "--max-age", "1d", "--json")
        #expect(try statusRows(json).allSatisfy { $0["too_old"] as? Bool == true })
        let bad = try await sandbox.backup("status", "--plan", "Examples/quickstart.yaml", "--max-age", "soon")
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("error: "), "\(bad.stderr)")
    }

    @Test(
        "usage errors exit 1 with 'error: …' like every other failure",
        arguments: [
            ["run"],
            ["restore", "--plan", "Examples/quickstart.yaml", "20261125-013000F"],
            ["run", "--plan", "Examples/quickstart.yaml", "--full", "--incremental"],
            ["frobnicate"],
            ["list", "--plan", "Examples/quickstart.yaml", "--no-such-option"],
        ])
    func usageErrors(arguments: [String]) async throws {
        let sandbox = try Sandbox()
        let result = try await runExample(Sandbox.binary, arguments, in: sandbox.root)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
        #expect(!result.stderr.contains("Error:"))
    }

    @Test("--help still exits 0 and prints the exit statuses")
    func help() async throws {
        let sandbox = try Sandbox()
        let result = try await sandbox.backup("--help")
        #expect(result.status == 0)
        let text = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("143 after SIGTERM"), "the help wraps lines; words are compared")
    }

    @Test("export-link: usage errors exit 1 with 'error: …'")
    func exportLinkUsage() async throws {
        let sandbox = try Sandbox()
        let binary = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().appendingPathComponent("export-link").path
        let missing = try await runExample(binary, ["create", "somefile"], in: sandbox.root)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: "), "\(missing.stderr)")
        let unknown = try await runExample(binary, ["--storage", "x.yaml", "--bogus"], in: sandbox.root)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("error: "), "\(unknown.stderr)")
    }

    @Test("restore and verify take --source to pick one of two backups sharing a label")
    func sourceOption() async throws {
        let sandbox = try Sandbox()
        #expect(try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
        let ambiguous = try await sandbox.backup("verify", "--plan", "Examples/quickstart.yaml", "20261125-013000F")
        #expect(ambiguous.status == 1)
        #expect(ambiguous.stderr.contains("--source"), "the error names the option: \(ambiguous.stderr)")

        let verify = try await sandbox.backup("verify", "--plan", "Examples/quickstart.yaml", "--source", "app-db", "20261125-013000F")
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("app-db  20261125-013000F"))
        let restore = try await sandbox.backup(
            "restore", "--plan", "Examples/quickstart.yaml", "--source", "config", "20261125-013000F", "--to", "out")
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("restored config 20261125-013000F"))
        #expect(FileManager.default.fileExists(atPath: sandbox.path("out/config/app.yaml")))
        let unknown = try await sandbox.backup(
            "restore", "--plan", "Examples/quickstart.yaml", "--source", "nope", "20261125-013000F", "--to", "out2")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no source 'nope'"))
    }

    @Test("backup schedule sends the plan's notify: events for scheduled runs, and exits 0 on SIGTERM")
    func scheduleNotifiesAndStops() async throws {
        let sandbox = try Sandbox()
        let events = sandbox.path("events.txt")
        let extra = """
            schedule: {cron: "0 3 * * *", time_zone: UTC, missed: run_once}
            notify:
              commands:
                - command: [/bin/sh, -c, "echo $BACKUPKIT_EVENT >> '\(events)'"]

            """
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: sandbox.path("Examples/quickstart.yaml")))
        try file.seekToEnd()
        try file.write(contentsOf: Data(extra.utf8))
        try file.close()
        let process = try sandbox.start("schedule", "--plan", "Examples/quickstart.yaml")
        // missed: run_once runs at start (nothing ran yet), then waits for 03:00.
        var notified = false
        for _ in 0..<1_200 where !notified {
            try await Task.sleep(for: .milliseconds(50))
            notified = ((try? String(contentsOfFile: events, encoding: .utf8)) ?? "").contains("backup_succeeded")
        }
        #expect(notified, "the plan's command notifier ran for the scheduled run")
        kill(process.processIdentifier, SIGTERM)
        await waitForExit(of: process)
        #expect(process.terminationStatus == 0, "stopping the scheduler is no failure")
    }
}

/// Waits for `process` to exit on a thread of its own, never blocking one of the test's cooperative threads.
func waitForExit(of process: Process) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        DispatchQueue.global().async {
            process.waitUntilExit()
            continuation.resume()
        }
    }
}
