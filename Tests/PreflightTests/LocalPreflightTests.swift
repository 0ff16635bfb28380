import BackupCatalog
import BackupEngine
import BackupModels
import BackupPlans
import Foundation
import GRDB
import Logging
import Testing

/// `backup check` on local storage, files and SQLite sources, a key file, a schedule and notifiers.
@Suite("Preflight: local plan")
struct LocalPreflightTests {
    static let keyA = String(repeating: "a1", count: 32)
    static let keyB = String(repeating: "b2", count: 32)

    /// A correct plan: a files source, a SQLite database, a 0600 key, a schedule and a log notifier.
    static func correctSetup(_ scratch: PreflightScratch, extra: String = "") throws -> String {
        try scratch.write("config/app.yaml", "port: 8080\n")
        try scratch.write("backup.key", keyA, mode: 0o600)
        let database = try DatabaseQueue(path: scratch.folder + "/app.db")
        try database.write {
            try $0.execute(sql: "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY); INSERT OR IGNORE INTO t VALUES (1);")
        }
        try database.close()
        return """
            plan: nightly
            catalog: ./catalog.sqlite
            storage: {type: local, path: ./store}
            sources:
              - {name: config, type: files, paths: [./config]}
              - {name: app-db, type: sqlite, path: ./app.db}
            encryption: {key_file: ./backup.key}
            schedule: {cron: "30 1 * * *", time_zone: UTC}
            notify: {log: true}
            \(extra)
            """
    }

    @Test("a correct local plan reports every check ok")
    func correctPlanIsAllOK() async throws {
        let scratch = try PreflightScratch()
        let plan = try scratch.plan(try Self.correctSetup(scratch))
        let results = await scratch.check(plan)
        #expect(notOK(results).isEmpty, "\(notOK(results))")
        for (component, check) in [
            ("catalog", "open"), ("catalog", "schema"), ("catalog", "writable"), ("catalog", "leases"), ("storage", "reachable"),
            ("storage", "write"), ("storage", "read"), ("storage", "list"), ("storage", "delete"), ("storage", "free_space"),
            ("encryption", "key"), ("encryption", "key_permissions"), ("encryption", "key_id"), ("source config", "paths"),
            ("source app-db", "open"), ("schedule", "next"), ("notify", "configuration"),
        ] {
            #expect(results.result(component, check) != nil, "\(component) \(check) ran")
        }
        // The probe is gone, and nothing else was left under .check/.
        let probes = (try? FileManager.default.contentsOfDirectory(atPath: scratch.folder + "/store/.check")) ?? []
        #expect(probes.isEmpty, "\(probes)")
        #expect(results.result("schedule", "next")?.detail.contains("01:30:00") == true)
    }

    @Test("missing paths, a file that is no SQLite database and a key readable by others fail with their fixes")
    func sourceAndKeyFailures() async throws {
        let scratch = try PreflightScratch()
        var yaml = try Self.correctSetup(scratch)
        yaml = yaml.replacingOccurrences(of: "paths: [./config]", with: "paths: [./config, ./gone]")
        try scratch.write("app.db", "id,name\n1,a\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: scratch.folder + "/backup.key")
        let results = await scratch.check(try scratch.plan(yaml))
        let paths = expectFailed(results, "source config", "paths")
        #expect(paths?.detail.contains("/gone does not exist") == true)
        expectFailed(results, "source app-db", "open")
        let mode = expectFailed(results, "encryption", "key_permissions")
        #expect(mode?.fix?.contains("chmod 600") == true)
        // The key itself is refused too (the library never loads a key others can read); everything else passes.
        expectFailed(results, "encryption", "key")
        #expect(notOK(results).count == 4, "\(notOK(results))")
    }

    @Test("a catalog that cannot be opened fails, and the storage checks still run")
    func catalogFailure() async throws {
        let scratch = try PreflightScratch()
        try scratch.write("blocker", "a file where a folder should be\n")
        let yaml = try Self.correctSetup(scratch).replacingOccurrences(
            of: "catalog: ./catalog.sqlite", with: "catalog: ./blocker/catalog.sqlite")
        let results = await scratch.check(try scratch.plan(yaml))
        expectFailed(results, "catalog", "open")
        #expect(results.result("catalog", "writable") == nil)
        #expect(results.result("storage", "write")?.status == .ok)
    }

    @Test("a key that differs from the newest backup's fails key_id; free space is compared with the last full backup")
    func keyMismatch() async throws {
        let scratch = try PreflightScratch()
        let plan = try scratch.plan(try Self.correctSetup(scratch))
        var logger = Logger(label: "preflight-tests")
        logger.logLevel = .critical
        let engine = try await Engine.open(plan, logger: logger)
        let report = try await engine.backup(BackupRequest(kind: .full))
        #expect(report.succeeded)
        let before = await scratch.check(plan)
        #expect(notOK(before).isEmpty, "\(notOK(before))")
        #expect(before.result("storage", "free_space")?.detail.contains("the last full backups took") == true)

        try scratch.write("backup.key", Self.keyB, mode: 0o600)
        let after = await scratch.check(plan)
        let mismatch = expectFailed(after, "encryption", "key_id")
        #expect(mismatch?.fix?.contains("backup run --full") == true)
        #expect(notOK(after).count == 1, "\(notOK(after))")
    }

    @Test("storage settings naming an unset variable fail configuration; signed links are checked when set up")
    func storageConfigurationAndLinks() async throws {
        let scratch = try PreflightScratch()
        let yaml = try Self.correctSetup(scratch).replacingOccurrences(
            of: "storage: {type: local, path: ./store}",
            with: "storage: {type: local, path: ./store, link_secret_env: CHECK_LINK_SECRET, link_base_url: \"https://dl.example.com/d\"}")
        let plan = try scratch.plan(yaml)
        let unset = await scratch.check(plan)
        let failure = expectFailed(unset, "storage", "configuration")
        #expect(failure?.detail.contains("CHECK_LINK_SECRET") == true)
        #expect(unset.result("storage", "write") == nil)

        let secret = String(repeating: "s3cr3t-", count: 6)
        let set = await scratch.check(plan, environment: ["CHECK_LINK_SECRET": secret])
        #expect(set.result("storage", "links")?.status == .ok, "\(set)")
        #expect(notOK(set).isEmpty, "\(notOK(set))")
        expectNoSecret(set, [secret])
    }

    @Test("notifiers: an unset header variable fails configuration; --notify sends a test event through each")
    func notifiers() async throws {
        let scratch = try PreflightScratch()
        let marker = scratch.folder + "/notified.json"
        try scratch.write("notify.sh", "#!/bin/sh\ncat > \(marker)\n", mode: 0o755)
        let working = try scratch.plan(
            try Self.correctSetup(scratch).replacingOccurrences(
                of: "notify: {log: true}", with: "notify: {log: false, commands: [{command: [\(scratch.folder)/notify.sh]}]}"))
        let sent = await scratch.check(working, notify: true)
        #expect(sent.result("notify", "test_event")?.status == .ok, "\(sent)")
        let event = try String(contentsOfFile: marker, encoding: .utf8)
        #expect(event.contains("\"kind\":\"check\""))

        let failing = try scratch.plan(
            try Self.correctSetup(scratch).replacingOccurrences(
                of: "notify: {log: true}", with: "notify: {log: false, commands: [{command: [/bin/false]}]}"))
        expectFailed(await scratch.check(failing, notify: true), "notify", "test_event")
        #expect(await scratch.check(failing, notify: false).result("notify", "test_event") == nil)

        let unset = try scratch.plan(
            try Self.correctSetup(scratch).replacingOccurrences(
                of: "notify: {log: true}",
                with: "notify: {webhooks: [{url: \"http://127.0.0.1:9/hook\", headers_from_env: {Authorization: CHECK_HOOK_AUTH}}]}"))
        let configuration = expectFailed(await scratch.check(unset), "notify", "configuration")
        #expect(configuration?.detail.contains("CHECK_HOOK_AUTH") == true)

        // A webhook nobody answers fails the test event; its header value never shows.
        let hook = try scratch.plan(
            try Self.correctSetup(scratch).replacingOccurrences(
                of: "notify: {log: true}",
                with:
                    "notify: {webhooks: [{url: \"http://127.0.0.1:9/hook\", headers_from_env: {Authorization: CHECK_HOOK_AUTH}, max_attempts: 1, timeout_seconds: 2}]}"
            ))
        let token = "Bearer check-hook-token-7f3a"
        let unanswered = await scratch.check(hook, environment: ["CHECK_HOOK_AUTH": token], notify: true)
        #expect(unanswered.result("notify", "configuration")?.status == .ok)
        expectFailed(unanswered, "notify", "test_event")
        expectNoSecret(unanswered, [token])
    }

    @Test("a schedule in an unknown time zone fails")
    func scheduleZone() async throws {
        let scratch = try PreflightScratch()
        var plan = try scratch.plan(try Self.correctSetup(scratch))
        plan.schedule?.timeZoneIdentifier = "Mars/Olympus_Mons"
        expectFailed(await scratch.check(plan), "schedule", "time_zone")
    }
}

extension LocalPreflightTests {
    @Test("free space smaller than the newest full backup fails free_space")
    func freeSpace() async throws {
        let scratch = try PreflightScratch()
        let plan = try scratch.plan(try Self.correctSetup(scratch))
        // The catalog holds a full backup of 1 PiB: no disk here has that much free.
        let catalog = try SQLiteCatalog(path: plan.catalogPath)
        let started = Date().addingTimeInterval(-3600)
        let record = BackupRecord(plan: plan.name, source: "config", kind: .full, label: .full(at: started, in: .gmt), startedAt: started)
        try await catalog.insert(record)
        _ = try await catalog.commit(
            record.id,
            artifacts: [
                ArtifactDescriptor(
                    key: "nightly/config/x.tar.zst", sizeBytes: 1 << 50, sha256: String(repeating: "0", count: 64), compression: .zstd)
            ], position: nil, finishedAt: started.addingTimeInterval(60))
        try catalog.close()
        let results = await scratch.check(plan)
        let space = expectFailed(results, "storage", "free_space")
        #expect(space?.detail.contains("1024.0 TiB") == true, "\(String(describing: space))")
    }
}
