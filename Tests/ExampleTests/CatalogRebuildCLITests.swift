import Foundation
import Testing

/// `backup catalog rebuild` run as a user would, on a scratch copy of the quickstart.
@Suite("backup catalog rebuild")
struct CatalogRebuildCLITests {
    static let plan = "Examples/quickstart.yaml"

    /// Full backups at 01:30, then incrementals at 02:00 and 02:30 (the SQLite source takes fulls).
    static func sandboxWithBackups() async throws -> Sandbox {
        let sandbox = try Sandbox()
        for (time, kind) in [("01:30", "--full"), ("02:00", "--incremental"), ("02:30", "--incremental")] {
            try Data("changed at \(time)\n".utf8).write(to: URL(fileURLWithPath: sandbox.path("Examples/sample/config/step.txt")))
            let run = try await sandbox.backup("run", "--plan", plan, kind, "--time", "2026-11-25T\(time):00Z")
            #expect(run.status == 0, "\(run.stderr)")
        }
        return sandbox
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func list(_ sandbox: Sandbox) async throws -> [[String: Any]] {
        let list = try await sandbox.backup("list", "--plan", plan, "--json")
        #expect(list.status == 0, "\(list.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
    }

    /// The fields `list --json` shows that a rebuild must bring back, by id.
    static func comparable(_ rows: [[String: Any]]) -> [String: String] {
        var result: [String: String] = [:]
        for row in rows {
            let artifacts = (row["artifacts"] as? [[String: Any]] ?? []).map {
                "\($0["key"] ?? "") \($0["size_bytes"] ?? "") \($0["sha256"] ?? "")"
            }
            result[row["id"] as? String ?? ""] =
                [
                    row["label"], row["parent_id"], row["state"], row["size_bytes"], row["source"], row["kind"],
                ].map { "\($0 ?? "nil")" }.joined(separator: "|") + "|" + artifacts.joined(separator: ",")
        }
        return result
    }

    @Test("after rm catalog.sqlite, rebuild --json brings back list --json; a second rebuild adds nothing; all restore")
    func rebuildAfterLoss() async throws {
        let sandbox = try await Self.sandboxWithBackups()
        let before = try await Self.list(sandbox)
        #expect(before.count == 6)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sandbox.path("backups/catalog.sqlite" + suffix)) }
        #expect(try await Self.list(sandbox).isEmpty)

        let dry = try await sandbox.backup("catalog", "rebuild", "--plan", Self.plan, "--dry-run", "--json")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(try Self.json(dry.stdout)["added"] as? Int == 6)
        #expect(try await Self.list(sandbox).isEmpty, "--dry-run changes nothing")

        let rebuild = try await sandbox.backup("catalog", "rebuild", "--plan", Self.plan, "--json")
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        let report = try Self.json(rebuild.stdout)
        #expect(report["added"] as? Int == 6)
        #expect(report["present"] as? Int == 0)
        #expect((report["missing_in_storage"] as? [String])?.isEmpty == true)
        #expect((report["conflicts"] as? [Any])?.isEmpty == true)
        let after = try await Self.list(sandbox)
        #expect(Self.comparable(after) == Self.comparable(before))

        let again = try await sandbox.backup("catalog", "rebuild", "--plan", Self.plan, "--json")
        #expect(again.status == 0)
        #expect(try Self.json(again.stdout)["added"] as? Int == 0)
        #expect(try Self.json(again.stdout)["present"] as? Int == 6)

        for row in after {
            let id = try #require(row["id"] as? String)
            let restored = try await sandbox.backup("restore", "--plan", Self.plan, id, "--to", "out-\(id)")
            #expect(restored.status == 0, "restore \(row["label"] ?? id): \(restored.stderr)")
        }
        let text = try String(
            contentsOfFile: sandbox.path(
                "out-\(try #require(after.last { $0["source"] as? String == "config" }?["id"] as? String))/config/step.txt"),
            encoding: .utf8)
        #expect(text == "changed at 02:30\n")
    }

    @Test("a deleted artifact: its record is missing in list --json and not restorable; a manifest without artifact is a conflict (exit 1)")
    func missingAndConflict() async throws {
        let sandbox = try await Self.sandboxWithBackups()
        let rows = try await Self.list(sandbox)
        let full = try #require(rows.first { $0["source"] as? String == "config" && $0["kind"] as? String == "full" })
        let fullID = try #require(full["id"] as? String)
        let key = try #require((full["artifacts"] as? [[String: Any]])?.first?["key"] as? String)
        try FileManager.default.moveItem(atPath: sandbox.path("backups/" + key), toPath: sandbox.path("aside"))

        let rebuild = try await sandbox.backup("catalog", "rebuild", "--plan", Self.plan, "--json")
        #expect(rebuild.status == 0, "a missing record is reported, not a conflict: \(rebuild.stderr)")
        #expect(try Self.json(rebuild.stdout)["missing_in_storage"] as? [String] == [fullID])
        let state = try await Self.list(sandbox).first { $0["id"] as? String == fullID }?["state"] as? String
        #expect(state == "missing")
        let restore = try await sandbox.backup("restore", "--plan", Self.plan, fullID, "--to", "out")
        #expect(restore.status != 0)
        #expect(restore.stderr.contains("missing") && restore.stderr.contains("\(full["label"] ?? "")"))

        // The catalog is lost too: the manifest without its artifact is a conflict.
        try FileManager.default.removeItem(atPath: sandbox.path("backups/catalog.sqlite"))
        let lost = try await sandbox.backup("catalog", "rebuild", "--plan", Self.plan, "--json")
        #expect(lost.status == 1)
        let conflicts = try #require(try Self.json(lost.stdout)["conflicts"] as? [[String: Any]])
        #expect(conflicts.contains { $0["id"] as? String == fullID && ($0["reason"] as? String)?.contains("missing") == true })
        let text = try await sandbox.backup("catalog", "rebuild", "--plan", Self.plan)
        #expect(text.status == 1)
        #expect(text.stdout.contains("conflict: \(fullID)"))

        // Back in storage: rebuilt, committed, restorable.
        try FileManager.default.moveItem(atPath: sandbox.path("aside"), toPath: sandbox.path("backups/" + key))
        let found = try await sandbox.backup("catalog", "rebuild", "--plan", Self.plan, "--json")
        #expect(found.status == 0, "\(found.stdout)")
        #expect(try await Self.list(sandbox).count == 6)
        #expect(try await sandbox.backup("restore", "--plan", Self.plan, fullID, "--to", "out2").status == 0)
    }
}
