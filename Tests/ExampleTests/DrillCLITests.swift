import Foundation
import Testing

/// `backup drill` and `backup verify --sample` as a user runs them, on the quickstart.
@Suite("backup drill and rolling verify")
struct DrillCLITests {
    /// The quickstart with a notification command that appends each event's kind and backup to `events.log`.
    static func sandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        let yaml = try String(contentsOfFile: sandbox.path("Examples/quickstart.yaml"), encoding: .utf8)
        let notify = """

            notify:
              commands:
                - {command: [/bin/sh, -c, "printf '%s ' \\"$BACKUPKIT_EVENT\\" >> events.log; cat >> events.log"]}
            drill: {sample: 0, scratch_dir: ./drill-scratch}

            """
        try Data((yaml + notify).utf8).write(to: URL(fileURLWithPath: sandbox.path("plan.yaml")))
        return sandbox
    }

    static func json(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }

    @Test("drill --json proves the newest backup of each source, exits 0, and list/status --json show the drills")
    func drillPasses() async throws {
        let sandbox = try Self.sandbox()
        #expect(try await sandbox.backup("run", "--plan", "plan.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
        #expect(try await sandbox.backup("run", "--plan", "plan.yaml", "--time", "2026-11-25T02:30:00Z").status == 0)
        let drill = try await sandbox.backup("drill", "--plan", "plan.yaml", "--json")
        #expect(drill.status == 0, "\(drill.stdout) \(drill.stderr)")
        let rows = try Self.json(drill.stdout)
        #expect(rows.count == 2, "sample: 0 in the plan → the newest backup of each source only")
        for row in rows {
            #expect(Set(row.keys) == ["backup_id", "source", "outcome", "checks", "duration_ms", "error"])
            #expect(row["outcome"] as? String == "passed")
            #expect(row["error"] is NSNull)
            let checks = try #require(row["checks"] as? [[String: Any]])
            #expect(checks.allSatisfy { $0["passed"] as? Bool == true })
        }
        let names = Set(rows.flatMap { ($0["checks"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } })
        #expect(names.isSuperset(of: ["restore", "entries", "sha256", "links", "modes", "integrity_check", "row_counts"]))
        let events = (try? String(contentsOfFile: sandbox.path("events.log"), encoding: .utf8)) ?? ""
        #expect(events.contains("backup_succeeded"), "the notify command runs")
        #expect(!events.contains("drill_failed"), "a passing drill notifies nothing")
        #expect((try FileManager.default.contentsOfDirectory(atPath: sandbox.path("drill-scratch"))).isEmpty)

        let list = try Self.json(try await sandbox.backup("list", "--plan", "plan.yaml", "--json").stdout)
        #expect(list.count == 4)
        let drilled = list.filter { !($0["last_drill"] is NSNull) }
        #expect(drilled.count == 2)
        #expect(drilled.allSatisfy { ($0["started_at"] as? String)?.hasPrefix("2026-11-25T02:30") == true })
        #expect(list.allSatisfy { $0.keys.contains("last_verified_at") })

        let all = try await sandbox.backup("drill", "--plan", "plan.yaml", "--all", "--source", "config")
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("2 passed, 0 failed"))

        let status = try await sandbox.backup("status", "--plan", "plan.yaml", "--json")
        let plans = try Self.json(status.stdout)
        let sources = try #require(plans.first?["sources"] as? [[String: Any]])
        for source in sources {
            let last = try #require(source["last_drill"] as? [String: Any], "\(source)")
            #expect(last["outcome"] as? String == "passed")
            #expect(last["source"] as? String == source["source"] as? String)
        }
    }

    @Test("a drill of a corrupted backup fails, names it, notifies drill_failed and exits 1")
    func corruptedFails() async throws {
        let sandbox = try Self.sandbox()
        #expect(try await sandbox.backup("run", "--plan", "plan.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
        let artifact = sandbox.path("backups/quickstart/app-db/2026/11/25/quickstart-app-db-20261125-013000F.sqlite.zst")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: artifact)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: artifact))
        let drill = try await sandbox.backup("drill", "--plan", "plan.yaml", "--source", "app-db")
        #expect(drill.status == 1)
        #expect(drill.stdout.contains("FAILED"))
        #expect(drill.stdout.contains("app-db  20261125-013000F"))
        #expect(drill.stdout.contains("0 passed, 1 failed"))
        let events = try String(contentsOfFile: sandbox.path("events.log"), encoding: .utf8)
        let drillEvent = try #require(events.components(separatedBy: "drill_failed ").dropFirst().first, "\(events)")
        #expect(drillEvent.contains("\"kind\":\"drill_failed\""))
        #expect(drillEvent.contains("\"source\":\"app-db\""))
        #expect(drillEvent.contains("\"failed_checks\":\"restore\""))
        let json = try await sandbox.backup("drill", "--plan", "plan.yaml", "--source", "app-db", "--json")
        #expect(json.status == 1)
        let row = try #require(try Self.json(json.stdout).first)
        #expect(row["outcome"] as? String == "failed")
        #expect((row["error"] as? String)?.contains("20261125-013000F") == true)
    }

    @Test("verify --sample 50 reads half the backups per run, least recently verified first; list shows last_verified_at")
    func rollingVerify() async throws {
        let sandbox = try Self.sandbox()
        for hour in ["01", "02"] {
            #expect(try await sandbox.backup("run", "--plan", "plan.yaml", "--time", "2026-11-25T\(hour):30:00Z").status == 0)
        }
        let first = try await sandbox.backup("verify", "--plan", "plan.yaml", "--sample", "50")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("2 sound, 0 damaged"))
        func labels(_ output: String) -> Set<String> {
            Set(output.split(separator: "\n").filter { $0.hasPrefix("ok ") }.compactMap { $0.split(separator: " ").last.map(String.init) })
        }
        #expect(labels(first.stdout) == ["20261125-013000F"], "both sources' oldest backups first: \(first.stdout)")
        let second = try await sandbox.backup("verify", "--plan", "plan.yaml", "--sample", "50")
        #expect(labels(second.stdout) == ["20261125-013000F_20261125-023000I", "20261125-023000F"], "\(second.stdout)")
        let list = try Self.json(try await sandbox.backup("list", "--plan", "plan.yaml", "--json").stdout)
        #expect(list.allSatisfy { $0["last_verified_at"] is String }, "every backup read within 100/50 runs")
        let bad = try await sandbox.backup("verify", "--plan", "plan.yaml", "--sample", "0")
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--sample"))
    }

    @Test("a drill: key with the source's own MySQL server as target is refused when the plan loads")
    func planRefusesSourceAsTarget() async throws {
        let sandbox = try Sandbox()
        let yaml = """
            plan: p
            catalog: ./backups/catalog.sqlite
            storage: {type: local, path: ./backups}
            sources:
              - {name: db, type: mysql, host: 127.0.0.1, port: 3306, user: u, password_env: P}
            drill: {mysql_target: "mysql://drill@localhost:3306", password_env: DRILL_PASSWORD}
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: sandbox.path("plan.yaml")))
        let drill = try await sandbox.backup("drill", "--plan", "plan.yaml")
        #expect(drill.status == 1)
        #expect(drill.stderr.contains("drill.mysql_target"), "\(drill.stderr)")
        #expect(drill.stderr.contains("server of source 'db'"), "\(drill.stderr)")
    }
}
