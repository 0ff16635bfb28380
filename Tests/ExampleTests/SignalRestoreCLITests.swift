import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM during `backup restore`: the command stops and exits with the documented status.
@Suite("backup restore and SIGTERM")
struct SignalRestoreCLITests {
    @Test("SIGTERM while a restore writes exits 143 after the restore is cancelled")
    func sigtermDuringRestore() async throws {
        let sandbox = try Sandbox()
        try Sandbox.shell("head -c 400000000 /dev/urandom > '\(sandbox.path("Examples/sample/config/big.bin"))'")
        let run = try await sandbox.backup(
            "run", "--plan", "Examples/quickstart.yaml", "--source", "config", "--time", "2026-11-25T01:30:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        try FileManager.default.createDirectory(atPath: sandbox.path("target"), withIntermediateDirectories: true)
        let process = try sandbox.start(
            "restore", "--plan", "Examples/quickstart.yaml", "--source", "config", "20261125-013000F", "--to", "target/out")
        // Wait until the restore has begun: something appears in the target's parent (the target or a staging
        // folder beside it), long before 400 MB are written.
        var writing = false
        for _ in 0..<2_400 where !writing && process.isRunning {
            try await Task.sleep(for: .milliseconds(5))
            writing = !((try? FileManager.default.contentsOfDirectory(atPath: sandbox.path("target"))) ?? []).isEmpty
        }
        #expect(writing, "the restore never started writing")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 143)
    }
}
