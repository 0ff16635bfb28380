import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `limits.max_concurrent_runs` in plans, as `backup schedule` reads it.
@Suite("backup schedule and limits.max_concurrent_runs")
struct ScheduleLimitsCLITests {
    /// Two plans whose windows overlap, each with `extra` appended.
    private func twoPlans(extra: String) throws -> Sandbox {
        let sandbox = try Sandbox()
        let schedule = "schedule: {cron: \"0 3 * * *\", time_zone: UTC, window: \"01:00-05:00\", missed: skip}\n" + extra
        let first = try String(contentsOfFile: sandbox.path("Examples/quickstart.yaml"), encoding: .utf8) + schedule
        try Data(first.utf8).write(to: URL(fileURLWithPath: sandbox.path("Examples/quickstart.yaml")))
        let second = first.replacingOccurrences(of: "plan: quickstart", with: "plan: second")
        try Data(second.utf8).write(to: URL(fileURLWithPath: sandbox.path("Examples/second.yaml")))
        return sandbox
    }

    @Test("plans whose windows overlap are refused with one run at a time, the default")
    func overlapRefused() async throws {
        let sandbox = try twoPlans(extra: "")
        let result = try await sandbox.backup("schedule", "--plan", "Examples/quickstart.yaml", "--plan", "Examples/second.yaml")
        #expect(result.status == 1)
        #expect(result.stderr.contains("max_concurrent_runs is 1"), "\(result.stderr)")
    }

    @Test("limits.max_concurrent_runs: 2 in the plans lets the scheduler run both; SIGTERM stops it with 0")
    func planLimitHonoured() async throws {
        let sandbox = try twoPlans(extra: "limits: {max_concurrent_runs: 2}\n")
        let process = try sandbox.start("schedule", "--plan", "Examples/quickstart.yaml", "--plan", "Examples/second.yaml")
        // A refused configuration exits at once; an accepted one waits for 03:00.
        for _ in 0..<60 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(process.isRunning, "the scheduler refused plans whose limits allow two runs at once")
        kill(process.processIdentifier, SIGTERM)
        await waitForExit(of: process)
        #expect(process.terminationStatus == 0)
        let explicit = try await sandbox.backup(
            "schedule", "--plan", "Examples/quickstart.yaml", "--plan", "Examples/second.yaml", "--max-concurrent-runs", "1")
        #expect(explicit.status == 1, "--max-concurrent-runs overrides the plans")
        #expect(explicit.stderr.contains("max_concurrent_runs is 1"))
    }

    @Test("--lease-duration below 3 seconds is refused naming the option; 3 is accepted")
    func leaseDurationBounds() async throws {
        let sandbox = try twoPlans(extra: "limits: {max_concurrent_runs: 2}\n")
        let refused = try await sandbox.backup("schedule", "--plan", "Examples/quickstart.yaml", "--lease-duration", "2")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--lease-duration must be at least 3 seconds"), "\(refused.stderr)")
        let process = try sandbox.start("schedule", "--plan", "Examples/quickstart.yaml", "--lease-duration", "3")
        for _ in 0..<60 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(process.isRunning, "a 3-second lease is accepted")
        kill(process.processIdentifier, SIGTERM)
        await waitForExit(of: process)
        #expect(process.terminationStatus == 0)
    }
}
