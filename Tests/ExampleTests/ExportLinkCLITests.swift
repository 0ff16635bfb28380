import Foundation
import Testing

/// Runs the `export-link` example as a user would, against a local storage with a link secret.
@Suite("export-link example")
struct ExportLinkCLITests {
    static let secret = "cli-test-link-secret-0123456789abcdefghij"

    /// A scratch folder with a storage file, some files to export, and the example's binary.
    final class Workspace {
        let root: String

        init(storage: String? = nil) throws {
            root = NSTemporaryDirectory() + "backupkit-export-cli-" + UUID().uuidString.prefix(8)
            try FileManager.default.createDirectory(atPath: root + "/data/logs", withIntermediateDirectories: true)
            try Data(String(repeating: "log line\n", count: 1000).utf8).write(to: URL(fileURLWithPath: root + "/data/logs/a.log"))
            try Data("id,value\n".utf8).write(to: URL(fileURLWithPath: root + "/data/report.csv"))
            let file =
                storage ?? """
                    storage:
                      type: local
                      path: \(root)/store
                      link_secret_env: EXPORT_LINK_SECRET
                      link_base_url: https://files.example.com/download
                    """
            try Data(file.utf8).write(to: URL(fileURLWithPath: root + "/storage.yaml"))
        }

        deinit { try? FileManager.default.removeItem(atPath: root) }

        static var binary: String {
            let candidates = [
                URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("export-link").path,
                Sandbox.repository + "/.build/debug/export-link",
            ]
            return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
        }

        /// Runs the example and waits for it through the termination handler (no blocked thread).
        func run(_ arguments: String...) async throws -> Sandbox.Result {
            var environment = ProcessInfo.processInfo.environment
            environment["EXPORT_LINK_SECRET"] = ExportLinkCLITests.secret
            let finished = try await runExample(Self.binary, arguments, in: root, environment: environment)
            return Sandbox.Result(status: finished.status, stdout: finished.stdout, stderr: finished.stderr)
        }
    }

    @Test("the link is printed with the size, and it names a stored archive")
    func printsLink() async throws {
        let workspace = try Workspace()
        let result = try await workspace.run(
            "--storage", "storage.yaml", "data/logs", "data/report.csv", "--app", "bklog", "--index-set-id", "42", "--expires", "600",
            "--work-dir", "work")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let link = try #require(lines.first.flatMap(URLComponents.init(string:)))
        #expect(link.host == "files.example.com")
        let items = Dictionary(uniqueKeysWithValues: (link.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        let key = try #require(items["key"])
        #expect(key.hasPrefix("exports/bklog_42_"))
        #expect(key.hasSuffix(".tar.gz"))
        #expect(items["signature"]?.count == 43)
        let expires = try #require(items["expires"].flatMap(Double.init))
        #expect(abs(expires - Date().timeIntervalSince1970 - 600) < 120)
        let stored = try FileManager.default.attributesOfItem(atPath: workspace.root + "/store/" + key)[.size] as? Int
        #expect(lines.count == 2)
        #expect(lines[1].hasPrefix("size: \(stored ?? -1) bytes, key: \(key), sha256: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: workspace.root + "/work").isEmpty)
    }

    @Test("--json prints the documented fields; cleanup removes nothing recent and old exports by age")
    func jsonAndCleanup() async throws {
        let workspace = try Workspace()
        let result = try await workspace.run("--storage", "storage.yaml", "data", "--json", "--work-dir", "work")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for field in ["key", "size_bytes", "sha256", "link", "expires_at"] { #expect(object[field] != nil, "missing \(field)") }
        let key = try #require(object["key"] as? String)
        #expect(key.hasPrefix("exports/export_"), "a union export has no index set id")
        #expect(key.split(separator: "_").count == 3)

        let kept = try await workspace.run("cleanup", "--storage", "storage.yaml", "--older-than", "7d", "--work-dir", "work")
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stdout.contains("0 exports and 0 local files removed"))
        #expect(FileManager.default.fileExists(atPath: workspace.root + "/store/" + key))

        // An export from 2020 (by its name) goes.
        let old = workspace.root + "/store/exports/export_20200101000000_aaaaaaaaaa.tar.gz"
        try Data([1]).write(to: URL(fileURLWithPath: old))
        let removed = try await workspace.run("cleanup", "--storage", "storage.yaml", "--older-than", "36h", "--work-dir", "work")
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(removed.stdout.contains("removed exports/export_20200101000000_aaaaaaaaaa.tar.gz"))
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(FileManager.default.fileExists(atPath: workspace.root + "/store/" + key))

        let bad = try await workspace.run("cleanup", "--storage", "storage.yaml", "--older-than", "7 weeks")
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--older-than"))
    }

    @Test("a bad storage file is a clear error naming the key, with a non-zero exit")
    func badStorageFile() async throws {
        let misspelt = try Workspace(storage: "storage:\n  type: local\n  pth: /tmp/x\n")
        let result = try await misspelt.run("--storage", "storage.yaml", "data")
        #expect(result.status != 0)
        #expect(result.stderr.contains("pth"), "\(result.stderr)")

        let noSecret = try Workspace(
            storage: "storage:\n  type: local\n  path: store\n  link_secret_env: UNSET_SECRET_VARIABLE\n  link_base_url: https://h/d\n")
        let unset = try await noSecret.run("--storage", "storage.yaml", "data")
        #expect(unset.status != 0)
        #expect(unset.stderr.contains("storage.link_secret_env"), "\(unset.stderr)")

        let missing = try await misspelt.run("--storage", "nope.yaml", "data")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope.yaml"))
    }
}
