import BackupEngine
import BackupModels
import Foundation
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

private let directory = "/srv/backup"

/// A plan with the given storage mapping, a files source and optional extra top-level lines.
private func plan(storage: String, sources: String = "  - {name: config, type: files, paths: [config]}", extra: String = "")
    throws -> BackupPlan
{
    let yaml = """
        plan: demo
        catalog: ./catalog.sqlite
        storage: \(storage)
        sources:
        \(sources)
        \(extra)
        """
    return try PlanLoader.parse(yaml: yaml, origin: "plan.yaml", workingDirectory: directory)
}

/// The error a plan raises, with its key path.
private func failure(storage: String = "{type: local, path: ./b}", sources: String? = nil, extra: String = "") -> PlanError? {
    do {
        if let sources {
            _ = try plan(storage: storage, sources: sources, extra: extra)
        } else {
            _ = try plan(storage: storage, extra: extra)
        }
        return nil
    } catch let error as PlanError {
        return error
    } catch {
        return nil
    }
}

@Suite("Plan loader: storage, MySQL and schedule keys")
struct PlanLoaderExtensionTests {
    @Test("an s3 storage reads every key, adds the prefix's slash and parses the bandwidth unit")
    func s3Storage() throws {
        let loaded = try plan(
            storage: """
                {type: s3, endpoint: "http://127.0.0.1:8333", region: us-east-1, bucket: backups, prefix: bklog,
                          path_style: true, access_key_env: S3_ACCESS_KEY, secret_key_env: S3_SECRET_KEY,
                          download_domain: null, bandwidth_limit: 20MiB}
                """)
        let expected = S3StorageConfig(
            provider: .aws, endpoint: "http://127.0.0.1:8333", region: "us-east-1", bucket: "backups", prefix: "bklog/",
            pathStyle: true, accessKeyEnvironmentVariable: "S3_ACCESS_KEY", secretKeyEnvironmentVariable: "S3_SECRET_KEY",
            bandwidthLimit: 20 << 20)
        #expect(loaded.storage == .s3(expected))
    }

    @Test("a local storage reads bandwidth_limit with a unit, and rendering keeps it")
    func localBandwidth() throws {
        let loaded = try plan(storage: "{type: local, path: /mnt/nfs/backups, bandwidth_limit: 500KB}")
        #expect(loaded.storage == .local(LocalStorageConfig(path: "/mnt/nfs/backups", bandwidthLimit: 500_000)))
        let reread = try PlanLoader.parse(
            yaml: PlanLoader.yaml(for: loaded), origin: "rendered.yaml", workingDirectory: directory)
        #expect(reread == loaded)
        let error = failure(storage: "{type: local, path: /mnt/nfs/backups, bandwidth_limit: slow}")
        #expect(error?.keyPath == "storage.bandwidth_limit", "\(String(describing: error))")
    }

    @Test("a cos storage needs the appid suffix and implies the COS provider")
    func cosStorage() throws {
        let loaded = try plan(
            storage: "{type: cos, region: ap-guangzhou, bucket: backups-1250000000, access_key_env: A, secret_key_env: B}")
        guard case .s3(let config) = loaded.storage else {
            Issue.record("expected an s3 storage, got \(loaded.storage)")
            return
        }
        #expect(config.provider == .tencentCOS)
        #expect(loaded.storage.typeName == "cos")
        let error = failure(storage: "{type: cos, region: ap-guangzhou, bucket: backups, access_key_env: A, secret_key_env: B}")
        #expect(error?.keyPath == "storage.bucket")
        #expect(error?.message.contains("<name>-<appid>") == true)
    }

    @Test("an http storage with basic auth, and a local storage with signed links")
    func httpAndLocal() throws {
        let http = try plan(
            storage: "{type: http, url: \"http://127.0.0.1:8081/repo/\", user_env: DAV_USER, password_env: DAV_PASSWORD}")
        #expect(
            http.storage
                == .http(
                    HTTPStorageConfig(
                        url: "http://127.0.0.1:8081/repo/", userEnvironmentVariable: "DAV_USER",
                        passwordEnvironmentVariable: "DAV_PASSWORD")))
        let local = try plan(
            storage: "{type: local, path: ./b, link_secret_env: LINK_SECRET, link_base_url: \"https://host/download\"}")
        #expect(
            local.storage
                == .local(
                    LocalStorageConfig(
                        path: "/srv/backup/b", linkSecretEnvironmentVariable: "LINK_SECRET",
                        linkBaseURL: "https://host/download")))
    }

    @Test(
        "bad storage settings name the key at fault",
        arguments: [
            ("{type: ftp, path: x}", "storage.type", "unsupported storage type"),
            ("{type: s3, region: us-east-1, access_key_env: A, secret_key_env: B}", "storage.bucket", "missing"),
            ("{type: s3, bucket: backups, access_key_env: A, secret_key_env: B}", "storage.region", "missing"),
            ("{type: s3, bucket: backups, region: US_EAST, access_key_env: A, secret_key_env: B}", "storage.region", "region"),
            ("{type: s3, bucket: Backups!, region: us-east-1, access_key_env: A, secret_key_env: B}", "storage.bucket", "bucket"),
            ("{type: s3, bucket: backups, region: us-east-1, access_key_env: A}", "storage.secret_key_env", "secret_key_env"),
            (
                "{type: s3, bucket: backups, region: us-east-1, endpoint: \"ftp://x\", access_key_env: A, secret_key_env: B}",
                "storage.endpoint", "http"
            ),
            (
                "{type: s3, bucket: backups, region: us-east-1, access_key_env: \"wJalrXUt/nFEMI\", secret_key_env: B}",
                "storage.access_key_env", "environment variable"
            ),
            (
                "{type: s3, bucket: backups, region: us-east-1, access_key_env: A, secret_key_env: B, bandwidth_limit: fast}",
                "storage.bandwidth_limit", "rate"
            ),
            ("{type: http, url: \"http://user:pw@host/repo/\"}", "storage.url", "credentials"),
            ("{type: http, url: \"http://host/repo/\", user_env: U}", "storage.password_env", "both"),
            ("{type: local, path: ./b, link_secret_env: S}", "storage.link_base_url", "both"),
            (
                "{type: s3, bucket: backups, region: us-east-1, access_key_env: A, secret_key_env: B, secret_key: x}", "storage.secret_key",
                "unknown key"
            ),
        ])
    func badStorage(storage: String, keyPath: String, phrase: String) {
        let error = failure(storage: storage)
        #expect(error?.keyPath == keyPath, "\(String(describing: error))")
        #expect(error?.description.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test("error messages never repeat a value that looks like a secret")
    func secretsStayOut() {
        let error = failure(
            storage: "{type: s3, bucket: backups, region: us-east-1, access_key_env: \"wJalrXUt/nFEMI\", secret_key_env: B}")
        #expect(error != nil)
        #expect(error?.description.contains("wJalrXUt") == false)
    }

    @Test("a mysql source reads every key with defaults for the rest")
    func mysqlSource() throws {
        let loaded = try plan(
            storage: "{type: local, path: ./b}",
            sources: """
                  - {name: meta, type: mysql, host: 127.0.0.1, port: 3306, user: backup, password_env: MYSQL_PASSWORD,
                     databases: [bk_log_search], exclude_tables: [bk_log_search.django_session],
                     incremental: binlog, schema_dir: ./support-files/sql, require_coverage: true, parallel: 1}
                """)
        let expected = MySQLSourceConfig(
            name: "meta", host: "127.0.0.1", port: 3306, user: "backup", passwordEnvironmentVariable: "MYSQL_PASSWORD",
            databases: ["bk_log_search"], excludeTables: ["bk_log_search.django_session"], incremental: .binlog,
            schemaDirectory: "/srv/backup/support-files/sql", requireCoverage: true, parallel: 1)
        #expect(loaded.sources == [.mysql(expected)])
        #expect(loaded.sources.first?.supportsIncremental == true)
    }

    @Test(
        "bad mysql settings name the key at fault",
        arguments: [
            ("{name: m, type: mysql}", "sources[0].user"),
            ("{name: m, type: mysql, user: u, port: 70000}", "sources[0].port"),
            ("{name: m, type: mysql, user: u, exclude_tables: [sessions]}", "sources[0].exclude_tables[0]"),
            ("{name: m, type: mysql, user: u, incremental: wal}", "sources[0].incremental"),
            ("{name: m, type: mysql, user: u, parallel: 0}", "sources[0].parallel"),
            ("{name: m, type: mysql, user: u, on_broken_chain: ignore}", "sources[0].on_broken_chain"),
            ("{name: m, type: mysql, user: u, password: secret}", "sources[0].password"),
        ])
    func badMySQL(source: String, keyPath: String) {
        let error = failure(sources: "  - " + source)
        #expect(error?.keyPath == keyPath, "\(String(describing: error))")
        #expect(error?.description.contains("secret") == false)
    }

    @Test("a schedule reads cron, zone, window, jitter and the missed-run policy")
    func schedule() throws {
        let loaded = try plan(
            storage: "{type: local, path: ./b}",
            extra: "schedule: {cron: \"30 1 * * *\", time_zone: Asia/Shanghai, window: \"01:00-05:00\", jitter: 5m, missed: run_once}")
        #expect(
            loaded.schedule
                == ScheduleConfig(
                    cron: "30 1 * * *", timeZoneIdentifier: "Asia/Shanghai", window: "01:00-05:00", jitterSeconds: 300,
                    missed: .runOnce))
        let defaults = try plan(storage: "{type: local, path: ./b}", extra: "schedule: {cron: \"@daily\"}\ntime_zone: Europe/Paris")
        #expect(defaults.schedule?.timeZoneIdentifier == "Europe/Paris")
        #expect(defaults.schedule?.jitterSeconds == 0)
    }

    @Test(
        "bad schedules name the key at fault",
        arguments: [
            ("schedule: {cron: \"61 * * * *\"}", "schedule.cron"),
            ("schedule: {cron: \"@daily\", time_zone: Mars/Olympus}", "schedule.time_zone"),
            ("schedule: {cron: \"@daily\", window: \"25:00-05:00\"}", "schedule.window"),
            ("schedule: {cron: \"@daily\", window: \"01:00-01:00\"}", "schedule.window"),
            ("schedule: {cron: \"@daily\", jitter: 5x}", "schedule.jitter"),
            ("schedule: {cron: \"@daily\", missed: later}", "schedule.missed"),
            ("schedule: {window: \"01:00-05:00\"}", "schedule.cron"),
        ])
    func badSchedule(extra: String, keyPath: String) {
        let error = failure(extra: extra)
        #expect(error?.keyPath == keyPath, "\(String(describing: error))")
    }

    @Test("rendering a plan with every new key and parsing it back gives the same plan")
    func roundTrip() throws {
        let original = try plan(
            storage: """
                {type: s3, endpoint: "http://127.0.0.1:8333", region: us-east-1, bucket: backups, prefix: bklog/,
                          path_style: true, access_key_env: S3_ACCESS_KEY, secret_key_env: S3_SECRET_KEY,
                          session_token_env: S3_TOKEN, download_domain: dl.example.com, bandwidth_limit: 1000000}
                """,
            sources: """
                  - {name: meta, type: mysql, user: backup, password_env: MYSQL_PASSWORD, databases: [a, b],
                     exclude_tables: [a.t], incremental: binlog, on_broken_chain: full, require_coverage: true,
                     parallel: 4}
                """,
            extra: "schedule: {cron: \"*/15 * * * *\", window: \"22:00-06:00\", jitter: 90s, missed: skip}")
        let text = PlanLoader.yaml(for: original)
        let reread = try PlanLoader.parse(yaml: text, origin: "rendered.yaml", workingDirectory: directory)
        #expect(reread == original, "\(text)")
    }

    @Test("a storage file holds just the storage mapping")
    func storageFile() throws {
        let config = try PlanLoader.parseStorage(
            yaml: "storage: {type: http, url: \"https://repo.example.com/backups/\", token_env: REPO_TOKEN}\n",
            origin: "storage.yaml", workingDirectory: directory)
        #expect(config == .http(HTTPStorageConfig(url: "https://repo.example.com/backups/", tokenEnvironmentVariable: "REPO_TOKEN")))
        #expect(throws: PlanError.self) {
            try PlanLoader.parseStorage(yaml: "plan: x\n", origin: "storage.yaml", workingDirectory: directory)
        }
    }
}

@Suite("Plan loader: notify and limits keys")
struct PlanLoaderAutomationTests {
    @Test("notify and limits read every key and render back to the same plan")
    func notifyAndLimits() throws {
        let loaded = try plan(
            storage: "{type: local, path: ./b}",
            extra: """
                notify:
                  log: false
                  webhooks:
                    - {url: "https://hooks.example.com/backup", headers_from_env: {Authorization: HOOK_AUTH}, timeout_seconds: 15, max_attempts: 3}
                  commands:
                    - {command: [/usr/local/bin/page-oncall, --team, storage], timeout_seconds: 1m}
                limits: {max_concurrent_runs: 2, nice: 10, ionice: idle, ionice_level: 7}
                """)
        let expected = NotifyConfig(
            log: false,
            webhooks: [
                .init(
                    url: "https://hooks.example.com/backup", headersFromEnvironment: ["Authorization": "HOOK_AUTH"],
                    timeoutSeconds: 15, maxAttempts: 3)
            ],
            commands: [.init(command: ["/usr/local/bin/page-oncall", "--team", "storage"], timeoutSeconds: 60)])
        #expect(loaded.notify == expected)
        #expect(loaded.limits == ResourceLimitsConfig(maxConcurrentRuns: 2, niceness: 10, ioClass: "idle", ioLevel: 7))
        let reread = try PlanLoader.parse(yaml: PlanLoader.yaml(for: loaded), origin: "rendered.yaml", workingDirectory: directory)
        #expect(reread == loaded)
    }

    @Test(
        "bad notify and limits settings name the key at fault",
        arguments: [
            ("notify: {webhooks: [{url: \"not a url\"}]}", "notify.webhooks[0].url"),
            (
                "notify: {webhooks: [{url: \"https://h/x\", headers_from_env: {Authorization: \"Bearer abc\"}}]}",
                "notify.webhooks[0].headers_from_env.Authorization"
            ),
            ("notify: {commands: [{command: []}]}", "notify.commands[0].command"),
            ("notify: {commands: [{command: [x], timeout_seconds: 0}]}", "notify.commands[0].timeout_seconds"),
            ("limits: {nice: 40}", "limits.nice"),
            ("limits: {ionice: fastest}", "limits.ionice"),
            ("limits: {max_concurrent_runs: 0}", "limits.max_concurrent_runs"),
        ])
    func badAutomation(extra: String, keyPath: String) {
        let error = failure(extra: extra)
        #expect(error?.keyPath == keyPath, "\(String(describing: error))")
        #expect(error?.description.contains("Bearer abc") == false)
    }
}
