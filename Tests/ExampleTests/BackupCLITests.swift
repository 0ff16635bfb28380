import BackupModels
import BackupSupport
import Foundation
import Testing

/// Runs the `backup` example as a user would, in a scratch copy of the quickstart.
@Suite("backup example")
struct BackupCLITests {
    @Test("the quickstart runs on embedded defaults and says what it stored where")
    func quickstart() async throws {
        let sandbox = try Sandbox()
        let run = try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-25T01:30:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("stored config full 20261125-013000F"))
        #expect(run.stdout.contains("./backups/quickstart/config/2026/11/25/quickstart-config-20261125-013000F.tar.zst"))
        #expect(run.stdout.contains("stored app-db full 20261125-013000F"))
        #expect(run.stdout.contains("catalog: "))
        #expect(FileManager.default.fileExists(atPath: sandbox.path("backups/catalog.sqlite")))
        #expect(
            FileManager.default.fileExists(
                atPath: sandbox.path("backups/quickstart/app-db/2026/11/25/quickstart-app-db-20261125-013000F.sqlite.zst.manifest.json")))
    }

    @Test("list --json prints the documented record fields")
    func listJSON() async throws {
        let sandbox = try Sandbox()
        #expect(try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
        let list = try await sandbox.backup("list", "--plan", "Examples/quickstart.yaml", "--json")
        #expect(list.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        for row in rows {
            for key in ["id", "plan", "source", "kind", "label", "state", "started_at", "finished_at", "size_bytes", "parent_id"] {
                #expect(row.keys.contains(key), "missing \(key)")
            }
            #expect(row["state"] as? String == "committed")
            #expect((row["started_at"] as? String)?.hasPrefix("2026-11-25T01:30:0") == true, "--time sets the clock")
            #expect((row["size_bytes"] as? Int ?? 0) > 0)
        }
    }

    @Test("--incremental stores changes; a SQLite source takes a full backup and says so; restore rebuilds the tree")
    func incrementalAndRestore() async throws {
        let sandbox = try Sandbox()
        #expect(try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
        try Data("service: {port: 9999}\n".utf8).write(to: URL(fileURLWithPath: sandbox.path("Examples/sample/config/app.yaml")))
        let run = try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--incremental", "--time", "2026-11-25T02:00:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("stored config incremental 20261125-013000F_20261125-020000I"))
        #expect(run.stdout.contains("cannot take incremental backups; took a full backup"))

        let restored = try await sandbox.backup(
            "restore", "--plan", "Examples/quickstart.yaml", "20261125-013000F_20261125-020000I", "--to", "out")
        #expect(restored.status == 0, "\(restored.stderr)")
        #expect(restored.stdout.contains("20261125-013000F → 20261125-013000F_20261125-020000I"))
        let text = try String(contentsOfFile: sandbox.path("out/config/app.yaml"), encoding: .utf8)
        #expect(text == "service: {port: 9999}\n")
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("out/config/session.tmp")), "excluded by *.tmp")
        let again = try await sandbox.backup(
            "restore", "--plan", "Examples/quickstart.yaml", "20261125-013000F_20261125-020000I", "--to", "out")
        #expect(again.status != 0)
        #expect(again.stderr.contains("not empty"))
        // Both sources have a full labelled 20261125-013000F: the label alone is ambiguous, and says so.
        let ambiguous = try await sandbox.backup("restore", "--plan", "Examples/quickstart.yaml", "20261125-013000F", "--to", "out2")
        #expect(ambiguous.status != 0)
        #expect(ambiguous.stderr.contains("matches 2 backups"))
    }

    @Test("verify --all passes, then names the damaged backup with a non-zero exit")
    func verify() async throws {
        let sandbox = try Sandbox()
        #expect(try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--time", "2026-11-25T01:30:00Z").status == 0)
        #expect(try await sandbox.backup("verify", "--plan", "Examples/quickstart.yaml", "--all").stdout.contains("2 sound, 0 damaged"))
        let artifact = sandbox.path("backups/quickstart/config/2026/11/25/quickstart-config-20261125-013000F.tar.zst")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: artifact)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: artifact))
        let result = try await sandbox.backup("verify", "--plan", "Examples/quickstart.yaml", "--all")
        #expect(result.status != 0)
        #expect(result.stdout.contains("DAMAGED"))
        #expect(result.stdout.contains("config  20261125-013000F"))
        #expect(result.stdout.contains("1 sound, 1 damaged"))
    }

    @Test("prune --dry-run --json explains every decision and removes nothing")
    func pruneJSON() async throws {
        let sandbox = try Sandbox()
        for day in 20...24 {
            let run = try await sandbox.backup(
                "run", "--plan", "Examples/quickstart.yaml", "--full", "--no-prune", "--time", "2026-11-\(day)T01:30:00Z")
            #expect(run.status == 0, "\(run.stderr)")
        }
        try sandbox.replace("keep_last: 7, keep_daily: 7", with: "keep_last: 2", in: "Examples/quickstart.yaml")
        try sandbox.replace(", keep_weekly: 4, keep_monthly: 6", with: "", in: "Examples/quickstart.yaml")
        let prune = try await sandbox.backup(
            "prune", "--plan", "Examples/quickstart.yaml", "--dry-run", "--json", "--time", "2026-11-25T00:00:00Z")
        #expect(prune.status == 0, "\(prune.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(prune.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 10)
        for row in rows {
            for key in ["id", "label", "started_at", "action", "reasons"] { #expect(row[key] != nil, "missing \(key)") }
        }
        #expect(rows.filter { $0["action"] as? String == "remove" }.count == 6)
        #expect(rows.filter { $0["action"] as? String == "keep" }.allSatisfy { ($0["reasons"] as? [String])?.isEmpty == false })
        let list = try await sandbox.backup("list", "--plan", "Examples/quickstart.yaml", "--json")
        #expect(!list.stdout.contains("\"expired\""), "a dry run changes nothing")
    }

    @Test("bad input: a clear error naming the key or file, non-zero exit, nothing committed")
    func badInput() async throws {
        let sandbox = try Sandbox()
        try sandbox.replace("compression:", with: "compresion:", in: "Examples/quickstart.yaml")
        let unknown = try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml")
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("compresion"))

        let sandbox2 = try Sandbox()
        try sandbox2.replace("Examples/sample/config]", with: "Examples/sample/missing]", in: "Examples/quickstart.yaml")
        let missing = try await sandbox2.backup("run", "--plan", "Examples/quickstart.yaml")
        #expect(missing.status != 0)
        #expect(missing.stdout.contains("Examples/sample/missing"))
        let list = try await sandbox2.backup("list", "--plan", "Examples/quickstart.yaml", "--json")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(!rows.contains { $0["source"] as? String == "config" && $0["state"] as? String == "committed" })

        let noPlan = try await sandbox.backup("list", "--plan", "nope.yaml")
        #expect(noPlan.status != 0)
        #expect(noPlan.stderr.contains("nope.yaml"))
    }

    @Test("a run killed with SIGKILL mid-upload commits nothing; the next run recovers and cleans up")
    func killNine() async throws {
        let sandbox = try Sandbox()
        try Sandbox.shell("head -c 400000000 /dev/urandom > '\(sandbox.path("Examples/sample/config/big.bin"))'")
        try sandbox.replace("level: 3}", with: "level: 19, threads: 1}", in: "Examples/quickstart.yaml")
        let process = try sandbox.start("run", "--plan", "Examples/quickstart.yaml", "--source", "config", "--time", "2026-11-25T01:30:00Z")
        // Wait until the run is uploading: its partial file exists.
        var uploading = false
        for _ in 0..<600 where !uploading {
            try await Task.sleep(for: .milliseconds(50))
            uploading = try Sandbox.shell("find '\(sandbox.path("backups"))' -name '*.partial-*' | grep -q . && echo yes").output.contains(
                "yes")
        }
        #expect(uploading, "the run never started uploading")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let list = try await sandbox.backup("list", "--plan", "Examples/quickstart.yaml", "--json")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["state"] as? String == "running", "the catalog does not claim the killed backup")

        try FileManager.default.removeItem(atPath: sandbox.path("Examples/sample/config/big.bin"))
        let next = try await sandbox.backup(
            "run", "--plan", "Examples/quickstart.yaml", "--source", "config", "--time", "2026-11-25T02:00:00Z")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stdout.contains("recovered interrupted backup config 20261125-013000F"))
        let partials = try Sandbox.shell("find '\(sandbox.path("backups"))' -name '*.partial-*' | wc -l").output
        #expect(partials.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let after = try await sandbox.backup("list", "--plan", "Examples/quickstart.yaml", "--json")
        let states = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]]).map {
            $0["state"] as? String
        }
        #expect(states == ["failed", "committed"])
    }
}

/// A scratch copy of the repository's Examples folder, with the built `backup` binary.
final class Sandbox {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("backup").path,
            repository + "/.build/debug/backup",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "backupkit-cli-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Self.shell("cp -R '\(Self.repository)/Examples' '\(root)/Examples' && rm -rf '\(root)/Examples/backup'")
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    func replace(_ old: String, with new: String, in file: String) throws {
        let text = try String(contentsOfFile: path(file), encoding: .utf8)
        precondition(text.contains(old), "'\(old)' not in \(file)")
        try Data(text.replacingOccurrences(of: old, with: new).utf8).write(to: URL(fileURLWithPath: path(file)))
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the example and waits for it without blocking a thread of the test's executor: output goes
    /// to files and the exit arrives through the termination handler.
    ///
    /// - Parameter environment: the child's whole environment; the test's own by default (a test never
    ///   changes its own environment: pass secrets here).
    func backup(_ arguments: String..., environment: [String: String]? = nil) async throws -> Result {
        let finished = try await runExample(Self.binary, arguments, in: root, environment: environment)
        return Result(status: finished.status, stdout: finished.stdout, stderr: finished.stderr)
    }

    func start(_ arguments: String...) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try startSerialized(process)
        return process
    }

    @discardableResult
    static func shell(_ command: String) throws -> (status: Int32, output: String) {
        // Output goes to a file, not a pipe: a pipe's reader waits for every writer, and a child another
        // test starts at the same moment can inherit the write end (a `sleep 30` then holds this thread 30 s).
        let outputPath = NSTemporaryDirectory() + "backupkit-shell-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        // Not Foundation's Process: it learns that a child ended when a socket the child inherited closes, and
        // a long-lived example another test starts at the same moment can hold that socket too.
        let spawn = ChildSpawn()
        spawn.open("/dev/null", as: STDIN_FILENO, writing: false)
        spawn.open(outputPath, as: STDOUT_FILENO, writing: true)
        let pid = try spawn.start("/bin/sh", arguments: ["-c", command], environment: ProcessInfo.processInfo.environment)
        let status = ChildSpawn.waitForExit(pid)
        let data = try Data(contentsOf: URL(fileURLWithPath: outputPath))
        return (status, String(decoding: data, as: UTF8.self))
    }
}
