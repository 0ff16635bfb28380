import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// Runs the built `es-archive` example against the in-process cluster double, as a user would.
@Suite("es-archive example")
struct ESArchiveCLITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("es-archive").path,
            repository + "/.build/debug/es-archive",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    }

    /// A scratch folder and a running double with user `elastic` / password `s3cret-pw` and an `archive` repository.
    final class Harness {
        let folder: String
        let double: ClusterDouble
        /// `--catalog` and its companions: a SQLite file in ``folder`` unless a test names a PostgreSQL database.
        var catalogArguments: [String]
        /// Variables the catalog options name (a PostgreSQL password).
        var catalogEnvironment: [String: String] = [:]

        init(_ configure: (inout ClusterDouble.Configuration) -> Void = { _ in }) async throws {
            folder = NSTemporaryDirectory() + "backupkit-es-archive-" + UUID().uuidString.prefix(8)
            catalogArguments = ["--catalog", folder + "/catalog.sqlite"]
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var configuration = ClusterDouble.Configuration()
            configuration.username = "elastic"
            configuration.password = "s3cret-pw"
            configuration.clusterName = "logs-prod"
            configure(&configuration)
            double = ClusterDouble(configuration: configuration)
            _ = try await double.start()
        }

        func close() async throws {
            try await double.shutdown()
            try? FileManager.default.removeItem(atPath: folder)
        }

        /// Runs es-archive with the credentials in the environment (never in argv), waiting without
        /// blocking a thread of the test's executor.
        func run(_ arguments: String..., environment extra: [String: String] = [:]) async throws -> Result {
            var environment = ProcessInfo.processInfo.environment
            environment["ES_URL"] = double.url
            environment["ES_USER"] = "elastic"
            environment["ES_PASSWORD"] = "s3cret-pw"
            environment["ES_API_KEY"] = nil
            environment.merge(catalogEnvironment) { _, new in new }
            environment.merge(extra) { _, new in new }
            let finished = try await runExample(
                ESArchiveCLITests.binary, arguments + catalogArguments, in: folder, environment: environment)
            return Result(status: finished.status, stdout: finished.stdout, stderr: finished.stderr)
        }

        /// Daily indices `v2_2_bklog_nginx_access_<day>00_0` of 100 documents spanning their UTC day.
        func seed(days: [Int]) {
            for day in days {
                let start =
                    ISO8601DateFormatter().date(from: String(format: "%04d-%02d-%02dT00:30:00Z", day / 10_000, day / 100 % 100, day % 100))
                    ?? Date(timeIntervalSince1970: 0)
                // The platform's layout: v2_<index name>_<%Y%m%d%H>_<n>, with the day's write and read aliases.
                double.addIndex(
                    name: "v2_2_bklog_nginx_access_\(day)00_0", docs: 100, sizeBytes: 100_000,
                    timeRange: start...start.addingTimeInterval(82_800), open: true,
                    aliases: ["write_\(day)00_2_bklog_nginx_access", "2_bklog_nginx_access_\(day)00_read"])
            }
        }
    }

    /// Runs `body` with a fresh harness, shut down afterwards even when `body` throws; with `.postgres`, its
    /// catalog is a new database on the test command's PostgreSQL server (skipped, saying why, without one).
    func withHarness(catalog backend: CatalogBackend = .sqlite, _ body: (Harness) async throws -> Void) async throws {
        let harness = try await Harness()
        if backend == .postgres {
            guard let server = PostgresDatabase.fromEnvironment() else {
                print(
                    "skipped es-archive on a PostgreSQL catalog: BACKUPKIT_PG_URL and BACKUPKIT_PG_PASSWORD are not set (scripts/test.sh starts the server)"
                )
                try await harness.close()
                return
            }
            harness.catalogArguments = [
                "--catalog", try await server.createDatabase(), "--catalog-password-env", "BACKUPKIT_ESA_PG_PASSWORD",
            ]
            harness.catalogEnvironment["BACKUPKIT_ESA_PG_PASSWORD"] = server.password
        }
        do {
            try await body(harness)
        } catch {
            try? await harness.close()
            throw error
        }
        try await harness.close()
    }

    @Test("info --json names the distribution, version and cluster; OpenSearch is told by its distribution")
    func info() async throws {
        for (distribution, version) in [("elasticsearch", "8.12.1"), ("opensearch", "2.13.0")] {
            let harness = try await Harness {
                $0.distribution = distribution; $0.version = version
            }
            // Global options work before the subcommand as well as after it.
            let result = try await harness.run("--url", harness.double.url, "info", "--json", environment: ["ES_URL": "http://127.0.0.1:1"])
            try await harness.close()
            #expect(result.status == 0, "\(result.stderr)")
            let object = try #require(try result.json() as? [String: Any])
            #expect(object["distribution"] as? String == distribution)
            #expect(object["version"] as? String == version)
            #expect(object["cluster_name"] as? String == "logs-prod")
        }
    }

    @Test("repo create, verify and list --json")
    func repositories() async throws {
        try await withHarness { harness in
            let created = try await harness.run(
                "repo", "create", "archive", "--type", "fs", "--setting", "location=/mnt/archive", "--setting", "compress=true")
            #expect(created.status == 0, "\(created.stderr)")
            let verified = try await harness.run("repo", "verify", "archive")
            #expect(verified.status == 0, "\(verified.stderr)")
            let list = try await harness.run("repo", "list", "--json")
            let rows = try #require(try list.json() as? [[String: Any]])
            #expect(rows.map { $0["name"] as? String } == ["archive"])
            #expect(rows.first?["type"] as? String == "fs")
            #expect((rows.first?["settings"] as? [String: Any])?["location"] as? String == "/mnt/archive")
            let bad = try await harness.run("repo", "create", "Bad Name", "--type", "fs", "--setting", "location=/x")
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("Bad Name"))
        }
    }

    @Test(
        "archive add, list, run; snapshots and status --json; restore create, status and expire",
        arguments: CatalogBackend.allCases)
    func lifecycle(catalog: CatalogBackend) async throws {
        try await withHarness(catalog: catalog) { harness in
            #expect(try await harness.run("repo", "create", "archive", "--type", "fs", "--setting", "location=/mnt/archive").status == 0)
            harness.seed(days: [20261115, 20261116, 20261117, 20261118])
            let added = try await harness.run("archive", "add", "--table", "2_bklog.nginx_access", "--repo", "archive", "--days", "30")
            #expect(added.status == 0, "\(added.stderr)")
            let configs = try #require(try await harness.run("archive", "list", "--json").json() as? [[String: Any]])
            #expect(configs.first?["table_id"] as? String == "2_bklog.nginx_access")
            #expect(configs.first?["snapshot_days"] as? Int == 30)

            let run = try await harness.run("archive", "run", "--time", "2026-11-25T02:00:00Z")
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("2_bklog_nginx_access_snapshot_20261125"))
            #expect(run.stdout.contains("3 archived, 3 deleted"))

            let snapshots = try #require(
                try await harness.run("snapshots", "--repo", "archive", "--table", "2_bklog.nginx_access", "--json").json()
                    as? [[String: Any]])
            #expect(snapshots.count == 1)
            for key in ["snapshot", "state", "indices", "start_time", "end_time", "duration_ms"] {
                #expect(snapshots.first?.keys.contains(key) == true, "missing \(key)")
            }
            #expect(snapshots.first?["state"] as? String == "SUCCESS")
            let status = try #require(
                try await harness.run("status", "--repo", "archive", "--snapshot", "2_bklog_nginx_access_snapshot_20261125", "--json")
                    .json()
                    as? [String: Any])
            for key in ["snapshot", "state", "shards", "total_size_bytes", "incremental_size_bytes", "total_files", "incremental_files"] {
                #expect(status.keys.contains(key), "missing \(key)")
            }
            let shards = try #require(status["shards"] as? [String: Any])
            #expect(Set(shards.keys) == ["total", "done", "failed"])

            let expires = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3_600))
            let created = try await harness.run(
                "restore", "create", "--table", "2_bklog.nginx_access", "--from", "2026-11-15T12:00:00Z", "--to", "2026-11-16T01:00:00Z",
                "--expires", expires)
            #expect(created.status == 0, "\(created.stderr)")
            let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.count == 36)
            var state = ""
            for _ in 0..<20 where state != "done" {
                let row = try #require(try await harness.run("restore", "status", id, "--json").json() as? [String: Any])
                state = row["state"] as? String ?? ""
                if state == "done" {
                    #expect(row["restored_doc_count"] as? Int == 200)
                    #expect(
                        row["indices"] as? [String] == [
                            "restore_v2_2_bklog_nginx_access_2026111500_0", "restore_v2_2_bklog_nginx_access_2026111600_0",
                        ])
                    #expect(row["duration_ms"] != nil)
                }
            }
            #expect(state == "done")
            #expect(harness.double.indexNames().contains("restore_v2_2_bklog_nginx_access_2026111500_0"))
            let expired = try await harness.run(
                "restore", "expire", "--time", ISO8601DateFormatter().string(from: Date().addingTimeInterval(7_200)))
            #expect(expired.status == 0, "\(expired.stderr)")
            #expect(expired.stdout.contains("expired 1 restore(s); deleted 2 index(es)"))
            #expect(!harness.double.indexNames().contains { $0.hasPrefix("restore_") })
        }
    }

    @Test("a PostgreSQL catalog without its password, or with a wrong one, fails naming the variable, never a password")
    func postgresCatalogErrors() async throws {
        try await withHarness(catalog: .postgres) { harness in
            guard let url = harness.catalogArguments.dropFirst().first, url.hasPrefix("postgres://") else { return }  // skipped
            let unset = try await harness.run("archive", "list", environment: ["BACKUPKIT_ESA_PG_PASSWORD": ""])
            #expect(unset.status == 1)
            #expect(unset.stderr.contains("BACKUPKIT_ESA_PG_PASSWORD is not set"), "\(unset.stderr)")
            #expect(unset.stderr.contains(url), "\(unset.stderr)")

            let canary = "wrong-pw-\(UUID().uuidString.prefix(8))"
            let wrong = try await harness.run("archive", "list", environment: ["BACKUPKIT_ESA_PG_PASSWORD": canary])
            #expect(wrong.status == 1)
            #expect(wrong.stderr.hasPrefix("error: "), "\(wrong.stderr)")
            #expect(!(wrong.stdout + wrong.stderr).contains(canary))

            let tls = try await harness.run("archive", "list", "--catalog-tls", "sometimes")
            #expect(tls.status == 1)
            #expect(tls.stderr.contains("--catalog-tls 'sometimes'"), "\(tls.stderr)")
        }
    }

    @Test("drill restores one index per sampled snapshot as drill_<index>, compares its count, deletes it; exit 1 on a mismatch")
    func drill() async throws {
        try await withHarness { harness in
            #expect(try await harness.run("repo", "create", "archive", "--type", "fs", "--setting", "location=/mnt/archive").status == 0)
            harness.seed(days: [20261115])  // one index in the snapshot: the drill picks it every time
            #expect(
                try await harness.run("archive", "add", "--table", "2_bklog.nginx_access", "--repo", "archive", "--days", "30").status == 0)
            #expect(try await harness.run("archive", "run", "--time", "2026-11-25T02:00:00Z").status == 0)
            let drill = try await harness.run("drill", "--table", "2_bklog.nginx_access", "--json")
            #expect(drill.status == 0, "\(drill.stdout)\(drill.stderr)")
            let rows = try #require(try drill.json() as? [[String: Any]])
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row["outcome"] as? String == "passed")
            #expect(row["expected_doc_count"] as? Int == 100)
            #expect(row["restored_doc_count"] as? Int == 100)
            #expect(row["restored_as"] as? String == "drill_v2_2_bklog_nginx_access_2026111500_0")
            #expect(!harness.double.indexNames().contains { $0.hasPrefix("drill_") })

            let index = try #require(row["index"] as? String)
            harness.double.addIndex(name: "drill_" + index, docs: 3, sizeBytes: 10)
            let occupied = try await harness.run("drill", "--table", "2_bklog.nginx_access")
            #expect(occupied.status == 1)
            #expect(occupied.stdout.contains("FAILED"))
            #expect(occupied.stdout.contains("already exists on the cluster"))
            #expect(harness.double.indexNames().contains("drill_" + index))
            let none = try await harness.run("drill", "--table", "2_bklog.other")
            #expect(none.status == 1)
            #expect(none.stderr.contains("no successful archive snapshot"))
        }
    }

    @Test("bad input: clear errors, non-zero exit, nothing recorded, the password never printed")
    func badInput() async throws {
        try await withHarness { harness in
            let days = try await harness.run("archive", "add", "--table", "t.a", "--repo", "archive", "--days=-1")
            #expect(days.status != 0)
            #expect(days.stderr.contains("snapshot_days"))
            let zone = try await harness.run(
                "archive", "add", "--table", "t.a", "--repo", "archive", "--days", "3", "--time-zone", "Mars/Base")
            #expect(zone.stderr.contains("time_zone"))
            let inverted = try await harness.run(
                "restore", "create", "--table", "t.a", "--from", "2026-11-16T00:00:00Z", "--to", "2026-11-15T00:00:00Z", "--expires",
                "2099-01-01T00:00:00Z")
            #expect(inverted.status != 0)
            #expect(inverted.stderr.contains("start_time"))
            let past = try await harness.run(
                "restore", "create", "--table", "t.a", "--from", "2026-11-15T00:00:00Z", "--to", "2026-11-16T00:00:00Z", "--expires",
                "2001-01-01T00:00:00Z")
            #expect(past.stderr.contains("expires_at"))
            let empty = try await harness.run(
                "restore", "create", "--table", "t.a", "--from", "2026-11-15T00:00:00Z", "--to", "2026-11-16T00:00:00Z", "--expires",
                "2099-01-01T00:00:00Z")
            #expect(empty.stderr.contains("no archived data"))
            let wrong = try await harness.run("info", "--json", environment: ["ES_PASSWORD": "not-the-password"])
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("401") || wrong.stderr.lowercased().contains("security"))
            #expect(!wrong.stderr.contains("not-the-password") && !wrong.stdout.contains("not-the-password"))
            let list = try #require(try await harness.run("archive", "list", "--json").json() as? [Any])
            #expect(list.isEmpty, "nothing invalid was recorded")
        }
    }

    @Test("repo create refuses secrets on argv, naming the option and the alternatives, without echoing the value")
    func secretsRefusedOnArgv() async throws {
        try await withHarness { harness in
            let result = try await harness.run(
                "repo", "create", "cold", "--type", "cos", "--setting", "bucket=b", "--setting", "app_id=1250000000", "--setting",
                "region=ap-guangzhou", "--setting", "access_key_secret=TOPSECRET-VALUE")
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("error: "))
            #expect(result.stderr.contains("access_key_secret") && result.stderr.contains("--secret"))
            #expect(result.stderr.contains("--secrets-file"))
            #expect(!result.stderr.contains("TOPSECRET-VALUE") && !result.stdout.contains("TOPSECRET-VALUE"))
            #expect(harness.double.repositoryNames().isEmpty)
        }
    }

    @Test("repo create takes secrets from an environment variable and from a 0600 file; repo list never shows them")
    func secretsFromEnvironmentAndFile() async throws {
        try await withHarness { harness in
            let fromEnvironment = try await harness.run(
                "repo", "create", "cold", "--type", "cos", "--setting", "bucket=b", "--setting", "app_id=1250000000", "--setting",
                "region=ap-guangzhou", "--setting", "access_key_id=AKID-PUBLICISH", "--secret", "access_key_secret=COS_SECRET",
                environment: ["COS_SECRET": "ENV-SECRET-VALUE"])
            #expect(fromEnvironment.status == 1, "an access key id is a secret too")
            #expect(fromEnvironment.stderr.contains("--setting access_key_id"))
            #expect(!fromEnvironment.stderr.contains("AKID-PUBLICISH"))

            let file = harness.folder + "/s3.secrets"
            try "# S3 keys\naccess_key=FILE-ACCESS-VALUE\nsecret_key=FILE-SECRET-VALUE\n".write(
                toFile: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            let fromFile = try await harness.run(
                "repo", "create", "s3-archive", "--type", "s3", "--setting", "bucket=archive", "--secrets-file", file)
            #expect(fromFile.status == 0, "\(fromFile.stderr)")
            #expect(harness.double.repositoryNames() == ["s3-archive"])

            let created = try await harness.run(
                "repo", "create", "cold", "--type", "cos", "--setting", "bucket=b", "--setting", "app_id=1250000000", "--setting",
                "region=ap-guangzhou", "--secret", "access_key_id=COS_ID", "--secret", "access_key_secret=COS_SECRET",
                environment: ["COS_ID": "ENV-ID-VALUE", "COS_SECRET": "ENV-SECRET-VALUE"])
            #expect(created.status == 0, "\(created.stderr)")
            let hdfs = try await harness.run(
                "repo", "create", "lake", "--type", "hdfs", "--setting", "uri=hdfs://namenode:8020", "--setting", "path=/es/archive",
                "--secret", "security.principal=HDFS_PRINCIPAL", environment: ["HDFS_PRINCIPAL": "PRINCIPAL-VALUE@EXAMPLE"])
            #expect(hdfs.status == 0, "\(hdfs.stderr)")
            let list = try await harness.run("repo", "list", "--json")
            #expect(list.status == 0)
            let rows = try #require(try list.json() as? [[String: Any]])
            #expect(Set(rows.compactMap { $0["name"] as? String }) == ["cold", "lake", "s3-archive"])
            #expect(!list.stdout.contains("PRINCIPAL-VALUE"))
            let cold = try #require(rows.first { $0["name"] as? String == "cold" }?["settings"] as? [String: Any])
            #expect(cold["bucket"] as? String == "b")
            for value in ["ENV-SECRET-VALUE", "ENV-ID-VALUE", "FILE-ACCESS-VALUE", "FILE-SECRET-VALUE"] {
                #expect(!list.stdout.contains(value) && !list.stderr.contains(value))
                #expect(!created.stdout.contains(value) && !fromFile.stdout.contains(value))
            }
            let missing = try await harness.run(
                "repo", "create", "other", "--type", "s3", "--setting", "bucket=x", "--secret", "secret_key=UNSET_VARIABLE_FOR_TEST")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("UNSET_VARIABLE_FOR_TEST"))
        }
    }

    @Test("a secrets file other users can read is refused, naming the file")
    func looseSecretsFile() async throws {
        try await withHarness { harness in
            let file = harness.folder + "/loose.secrets"
            try "secret_key=LOOSE-SECRET-VALUE\n".write(toFile: file, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
            let result = try await harness.run(
                "repo", "create", "s3-archive", "--type", "s3", "--setting", "bucket=archive", "--secrets-file", file)
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("error: "))
            #expect(result.stderr.contains(file))
            #expect(!result.stderr.contains("LOOSE-SECRET-VALUE"))
            #expect(harness.double.repositoryNames().isEmpty)
        }
    }

    @Test("repo create names a missing required setting and an unknown one before sending anything")
    func typedSettings() async throws {
        try await withHarness { harness in
            let missing = try await harness.run("repo", "create", "archive", "--type", "fs", "--setting", "compress=true")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("error: --setting location: required for type fs"))
            let unknown = try await harness.run(
                "repo", "create", "archive", "--type", "fs", "--setting", "location=/mnt", "--setting", "bukket=x")
            #expect(unknown.status == 1)
            #expect(unknown.stderr.contains("bukket"))
            let type = try await harness.run("repo", "create", "archive", "--type", "ftp", "--setting", "location=/mnt")
            #expect(type.status == 1)
            #expect(type.stderr.contains("ftp"))
            #expect(harness.double.requests().isEmpty, "nothing was sent")
        }
    }

    @Test("usage errors exit 1 with error: on standard error", arguments: [["repo", "create"], ["snapshots"], ["no-such-command"]])
    func usageErrors(arguments: [String]) async throws {
        try await withHarness { harness in
            let result = try await harness.run(arguments: arguments)
            #expect(result.status == 1, "\(result.stderr)")
            #expect(result.stderr.hasPrefix("error: "), "\(result.stderr)")
        }
    }

    @Test("--insecure warns on standard error and cannot be combined with --ca-file")
    func tlsOptions() async throws {
        try await withHarness { harness in
            let insecure = try await harness.run("info", "--insecure")
            #expect(insecure.status == 0, "\(insecure.stderr)")
            #expect(insecure.stderr.contains("warning: --insecure"))
            let ca = harness.folder + "/ca.pem"
            try "not a certificate\n".write(toFile: ca, atomically: true, encoding: .utf8)
            let both = try await harness.run("info", "--insecure", "--ca-file", ca)
            #expect(both.status == 1)
            #expect(both.stderr.hasPrefix("error: ") && both.stderr.contains("--ca-file"))
            let missing = try await harness.run("info", "--ca-file", harness.folder + "/absent.pem")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("absent.pem"))
        }
    }
}

extension ESArchiveCLITests.Harness {
    /// Runs es-archive with arguments given as an array, on the harness's catalog or on `catalog`.
    func run(arguments: [String], catalog: String? = nil) async throws -> ESArchiveCLITests.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["ES_URL"] = double.url
        environment["ES_USER"] = "elastic"
        environment["ES_PASSWORD"] = "s3cret-pw"
        environment["ES_API_KEY"] = nil
        let finished = try await runExample(
            ESArchiveCLITests.binary, arguments + ["--catalog", catalog ?? folder + "/catalog.sqlite"], in: folder,
            environment: environment)
        return ESArchiveCLITests.Result(status: finished.status, stdout: finished.stdout, stderr: finished.stderr)
    }
}

extension ESArchiveCLITests {
    @Test("archive run lists each blocked index with its reason and exits 1; disable, enable, delete; restore extend; catalog rebuild")
    func secondPassCommands() async throws {
        try await withHarness { harness in
            #expect(try await harness.run("repo", "create", "archive", "--type", "fs", "--setting", "location=/mnt/archive").status == 0)
            harness.seed(days: [20261115, 20261116])
            harness.double.setHealth(.red, of: "v2_2_bklog_nginx_access_2026111600_0")
            let added = try await harness.run(
                "archive", "add", "--table", "2_bklog.nginx_access", "--repo", "archive", "--days", "30", "--date-format", "%Y%m%d%H")
            #expect(added.status == 0, "\(added.stderr)")

            let run = try await harness.run("archive", "run", "--time", "2026-11-25T02:00:00Z")
            #expect(run.status == 1, "an index that stays makes the run fail loudly")
            #expect(run.stdout.contains("BLOCKED v2_2_bklog_nginx_access_2026111600_0: red"), "\(run.stdout)")
            let reports = try #require(
                try await harness.run("archive", "run", "--time", "2026-11-25T03:00:00Z", "--json").json() as? [[String: Any]])
            let blocked = try #require(reports.first?["blocked"] as? [[String: Any]])
            #expect(blocked.first?["index"] as? String == "v2_2_bklog_nginx_access_2026111600_0")
            #expect((blocked.first?["reason"] as? String)?.hasPrefix("red") == true)

            #expect(try await harness.run("archive", "disable", "--table", "2_bklog.nginx_access").status == 0)
            let idle = try #require(try await harness.run("archive", "run", "--json").json() as? [[String: Any]])
            #expect(idle.isEmpty, "a disabled table is left out")
            #expect(try await harness.run("archive", "enable", "--table", "2_bklog.nginx_access").status == 0)

            let expires = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3_600))
            let created = try await harness.run(
                "restore", "create", "--table", "2_bklog.nginx_access", "--from", "2026-11-15T01:00:00Z", "--to", "2026-11-15T02:00:00Z",
                "--expires", expires)
            #expect(created.status == 0, "\(created.stderr)")
            let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let extended = try await harness.run("restore", "extend", id, "--expires", "2099-01-01T00:00:00Z")
            #expect(extended.status == 0, "\(extended.stderr)")
            #expect(extended.stdout.contains("2099-01-01"))
            let past = try await harness.run("restore", "extend", id, "--expires", "2001-01-01T00:00:00Z")
            #expect(past.status == 1)
            #expect(past.stderr.hasPrefix("error: ") && past.stderr.contains("expires_at"))

            // A new catalog file knows nothing; the rebuild recovers the archived rows from the repository.
            let fresh = harness.folder + "/fresh.sqlite"
            let rebuilt = try #require(
                try await harness.run(arguments: ["catalog", "rebuild", "--repo", "archive", "--json"], catalog: fresh).json()
                    as? [String: Any])
            #expect((rebuilt["recorded"] as? [String])?.count == 1)
            let again = try await harness.run(arguments: ["catalog", "rebuild", "--repo", "archive"], catalog: fresh)
            #expect(again.status == 0)
            #expect(again.stdout.contains("recorded 0, unchanged 1"))
            // A SUCCESS snapshot taken by hand has no facts: reported, and the rebuild exits 1.
            harness.seed(days: [20261120])
            _ = try await SnapshotClientFactory.client(url: harness.double.url).createSnapshot(
                named: "2_bklog_nginx_access_snapshot_20261101", in: "archive",
                options: SnapshotOptions(indices: ["v2_2_bklog_nginx_access_2026112000_0"]), waitForCompletion: true)
            let partial = try await harness.run(arguments: ["catalog", "rebuild", "--repo", "archive"], catalog: fresh)
            #expect(partial.status == 1)
            #expect(partial.stdout.contains("without facts 2_bklog_nginx_access_snapshot_20261101"), "\(partial.stdout)")

            let deleted = try await harness.run("archive", "delete", "--table", "2_bklog.nginx_access")
            #expect(deleted.status == 0, "\(deleted.stderr)")
            let none = try #require(try await harness.run("archive", "list", "--json").json() as? [[String: Any]])
            #expect(none.isEmpty)
        }
    }
}

extension ESArchiveCLITests {
    @Test("status reports PARTIAL as GET _snapshot does (not _status's SUCCESS), and figures 6.3 does not report as null")
    func statusTellsTheTruth() async throws {
        for (version, outcome, expectNullTotals) in [("7.17.0", "PARTIAL", false), ("6.3.2", "SUCCESS", true)] {
            let harness = try await Harness { $0.version = version }
            do {
                #expect(
                    try await harness.run("repo", "create", "archive", "--type", "fs", "--setting", "location=/mnt/archive").status == 0)
                harness.seed(days: [20261115])
                harness.double.setSnapshotOutcome(outcome, for: "manual")
                let client = try SnapshotClientFactory.client(url: harness.double.url)
                _ = try await client.createSnapshot(
                    named: "manual", in: "archive", options: SnapshotOptions(indices: ["v2_2_bklog_nginx_access_2026111500_0"]),
                    waitForCompletion: true)
                let status = try #require(
                    try await harness.run("status", "--repo", "archive", "--snapshot", "manual", "--json").json() as? [String: Any])
                #expect(status["state"] as? String == outcome, "\(version)")
                #expect((status["total_size_bytes"] is NSNull) == expectNullTotals, "\(version): \(status)")
                #expect((status["total_files"] is NSNull) == expectNullTotals, "\(version): \(status)")
                #expect(status["incremental_size_bytes"] is Int, "\(version): \(status)")
            } catch {
                try? await harness.close()
                throw error
            }
            try await harness.close()
        }
    }
}

/// A client for the double with the harness's credentials.
enum SnapshotClientFactory {
    static func client(url: String) throws -> SnapshotClient {
        try SnapshotClient(configuration: .init(url: url, credentials: .basic(username: "elastic", password: "s3cret-pw"), retry: .none))
    }
}
