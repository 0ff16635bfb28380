import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// `backup check` and `es-archive check` run as a user would: exit status, text, JSON, no secrets.
@Suite("check commands")
struct CheckCLITests {
    static func rows(_ stdout: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [[String: Any]])
    }

    @Test("backup check on the quickstart exits 0, every check ok, in text and JSON")
    func quickstartPasses() async throws {
        let sandbox = try Sandbox()
        let text = try await sandbox.backup("check", "--plan", "Examples/quickstart.yaml")
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains("OK      storage"))
        #expect(text.stdout.contains(", 0 failed"))
        let json = try await sandbox.backup("check", "--plan", "Examples/quickstart.yaml", "--json")
        #expect(json.status == 0)
        let rows = try Self.rows(json.stdout)
        #expect(rows.count >= 10)
        for row in rows {
            #expect(Set(row.keys) == ["component", "check", "status", "detail", "fix"], "\(row)")
            #expect(row["status"] as? String == "ok", "\(row)")
            #expect(row["fix"] is NSNull)
        }
        #expect(rows.contains { $0["component"] as? String == "storage" && $0["check"] as? String == "write" })
        // The probe left nothing behind.
        #expect(!FileManager.default.fileExists(atPath: sandbox.path("backups/.check")))
    }

    @Test("backup check exits 1 for a missing source path, printing the failure and its fix")
    func missingPathFails() async throws {
        let sandbox = try Sandbox()
        try sandbox.replace("Examples/sample/config", with: "Examples/sample/no-such-folder", in: "Examples/quickstart.yaml")
        let text = try await sandbox.backup("check", "--plan", "Examples/quickstart.yaml")
        #expect(text.status == 1)
        #expect(text.stdout.contains("FAILED  source config"))
        #expect(text.stdout.contains("fix: create"))
        let json = try await sandbox.backup("check", "--plan", "Examples/quickstart.yaml", "--json")
        #expect(json.status == 1)
        let failed = try Self.rows(json.stdout).filter { $0["status"] as? String == "failed" }
        #expect(failed.count == 1)
        #expect(failed.first?["component"] as? String == "source config")
        #expect(failed.first?["check"] as? String == "paths")
        #expect((failed.first?["fix"] as? String)?.isEmpty == false)
    }

    @Test("backup check of S3 storage with refused credentials exits 1 and never prints the secret")
    func secretsStayOut() async throws {
        let sandbox = try Sandbox()
        let endpoint = ProcessInfo.processInfo.environment["BACKUPKIT_S3_ENDPOINT"] ?? "http://127.0.0.1:9"
        try sandbox.replace(
            "storage: {type: local, path: ./backups}",
            with: """
                storage: {type: s3, provider: minio, endpoint: "\(endpoint)", region: us-east-1, bucket: check-cli-secret,
                          access_key_env: CHECK_CLI_ACCESS, secret_key_env: CHECK_CLI_SECRET}
                """, in: "Examples/quickstart.yaml")
        let secret = "Zq-check-cli-secret-\(UUID().uuidString)"
        var environment = ProcessInfo.processInfo.environment
        environment["CHECK_CLI_ACCESS"] = "check-cli-access"
        environment["CHECK_CLI_SECRET"] = secret
        let finished = try await runExample(
            Sandbox.binary, ["check", "--plan", "Examples/quickstart.yaml", "--json", "--verbose"], in: sandbox.root,
            environment: environment)
        #expect(finished.status == 1, "\(finished.stdout)\(finished.stderr)")
        let failed = try Self.rows(finished.stdout).filter { $0["status"] as? String == "failed" }
        #expect(failed.contains { $0["component"] as? String == "storage" }, "\(failed)")
        #expect(!finished.stdout.contains(secret) && !finished.stderr.contains(secret))
    }

    @Test("es-archive check exits 0 on a healthy table and 1 when the repository fails verification")
    func esArchiveCheck() async throws {
        try await ESArchiveCLITests().withHarness { harness in
            #expect(try await harness.run("repo", "create", "archive", "--type", "fs", "--setting", "location=/mnt/archive").status == 0)
            harness.seed(days: [20261115, 20261116, 20261124])
            #expect(
                try await harness.run("archive", "add", "--table", "2_bklog.nginx_access", "--repo", "archive", "--days", "30").status == 0)
            let text = try await harness.run("check", "--table", "2_bklog.nginx_access", "--time", "2026-11-25T02:00:00Z")
            #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
            #expect(text.stdout.contains("2 would be archived tonight, 0 blocked"), "\(text.stdout)")
            let json = try await harness.run("check", "--json", "--time", "2026-11-25T02:00:00Z")
            #expect(json.status == 0)
            let rows = try Self.rows(json.stdout)
            #expect(rows.allSatisfy { $0["status"] as? String == "ok" }, "\(rows)")
            #expect(!json.stdout.contains("s3cret-pw") && !text.stdout.contains("s3cret-pw"))

            let wrong = try await harness.run("check", "--json", environment: ["ES_PASSWORD": "not-the-password"])
            #expect(wrong.status == 1)
            let failed = try Self.rows(wrong.stdout).filter { $0["status"] as? String == "failed" }
            #expect(failed.first?["check"] as? String == "credentials", "\(failed)")
        }
        let broken = try await ESArchiveCLITests.Harness { $0.failingRepositoryVerifications = ["archive"] }
        do {
            // A repository registered without verification (as a cluster keeps one whose storage later broke).
            let client = try SnapshotClient(
                configuration: .init(url: broken.double.url, credentials: .basic(username: "elastic", password: "s3cret-pw")))
            try await client.createRepository(named: "archive", settings: .fs(location: "/mnt/archive"), verify: false)
            #expect(
                try await broken.run("archive", "add", "--table", "2_bklog.nginx_access", "--repo", "archive", "--days", "30").status == 0)
            let result = try await broken.run("check")
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("FAILED  table 2_bklog.nginx_access  repository"), "\(result.stdout)")
        } catch {
            try? await broken.close()
            throw error
        }
        try await broken.close()
    }
}
