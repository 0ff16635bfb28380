import Foundation
import Testing

/// `backup schedule --next` with a `full:` expression, as an operator checks a new schedule.
@Suite("backup schedule --next with full and incremental")
struct ScheduleCadenceCLITests {
    @Test("--next lists the instants of both expressions and says which runs take full backups")
    func nextWithFull() async throws {
        let sandbox = try Sandbox()
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: sandbox.path("Examples/quickstart.yaml")))
        try file.seekToEnd()
        try file.write(contentsOf: Data("schedule: {full: \"30 1 * * *\", incremental: \"*/15 * * * *\", time_zone: UTC}\n".utf8))
        try file.close()
        let result = try await sandbox.backup(
            "schedule", "--plan", "Examples/quickstart.yaml", "--next", "4", "--from", "2026-11-25T01:00:00Z")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "2026-11-25T01:15:00Z  auto", "2026-11-25T01:30:00Z  full", "2026-11-25T01:45:00Z  auto",
                "2026-11-25T02:00:00Z  auto",
            ], "\(lines)")
    }
}
