import ArtifactFormat
public import AsyncHTTPClient
import BackupCatalog
import BackupEngine
public import BackupModels
import BackupScheduler
public import Foundation
public import Logging
import PostgresCatalog

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks, without taking a backup, everything a plan's next run needs (`backup check`): the catalog,
/// the storage (a probe object written create-only, read back, listed and deleted under `.check/`), the
/// encryption key, every source, the schedule and the notifiers.
///
/// Each check gives a ``BackupModels/CheckResult`` with what was seen and, when it is not ok, the fix in
/// one sentence; no check throws, and none writes a secret into its result. The checks are listed, with
/// what a failure means, in `Documentation/Troubleshooting.md`.
///
/// ```swift
/// let results = await Preflight(plan: plan, logger: logger).run()
/// if results.hasFailures { … }
/// ```
public struct Preflight: Sendable {
    /// The plan checked.
    public var plan: BackupPlan
    /// Where the variables the plan names (`*_env`) are read.
    public var environment: [String: String]
    /// Handed to the storage backends and notifiers (never secrets).
    public var logger: Logger
    /// The client network storages and the clock-skew probe send requests with.
    public var httpClient: HTTPClient
    /// The current time (next instants, clock skew, link lifetimes).
    public var now: @Sendable () -> Date
    /// Send a test event through every notifier (`--notify`).
    public var sendsTestNotification: Bool
    /// The `PATH` searched for the MySQL tools; the environment's `PATH` when `nil`.
    public var searchPath: String?
    /// The largest difference between this host's clock and a storage server's before the check fails:
    /// SigV4 refuses requests signed more than 15 minutes off.
    public var maximumClockSkew: TimeInterval = 15 * 60
    /// How long the storage may take to answer the first listing before `reachable` fails (the storage's
    /// own retries would otherwise wait minutes).
    public var reachDeadline: Duration = .seconds(30)

    /// Creates a preflight for `plan`.
    /// - Parameters:
    ///   - plan: The plan to check.
    ///   - logger: For the storage backends and notifiers.
    ///   - environment: Where `*_env` variables are read; the process environment by default.
    ///   - httpClient: The client network requests use.
    ///   - now: The clock.
    ///   - sendsTestNotification: Whether to send a test event through every notifier.
    ///   - searchPath: The `PATH` for the MySQL tools.
    public init(
        plan: BackupPlan, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient = .shared, now: @escaping @Sendable () -> Date = { Date() },
        sendsTestNotification: Bool = false, searchPath: String? = nil
    ) {
        self.plan = plan
        self.logger = logger
        self.environment = environment
        self.httpClient = httpClient
        self.now = now
        self.sendsTestNotification = sendsTestNotification
        self.searchPath = searchPath
    }

    /// The name of the `.check/` probe folder in storage; retention only deletes keys the catalog
    /// records, so it never touches it.
    public static let probeFolder = ".check/"

    /// Runs every check, in the order of the plan: catalog, storage, encryption, sources, schedule,
    /// notifiers.
    /// - Returns: One result per check; a check that could not run because an earlier one failed is left out.
    public func run() async -> [CheckResult] {
        var results = CheckList()
        let catalog = await checkCatalog(into: &results)
        let records = await committedRecords(catalog)
        await checkStorage(records: records, into: &results)
        checkEncryption(records: records, into: &results)
        for config in plan.sources {
            await checkSource(config, records: records, into: &results)
        }
        checkSchedule(into: &results)
        await checkNotifiers(into: &results)
        if let catalog { await catalog.close() }
        return results.results
    }

    /// The plan's committed records, newest first (empty without a catalog).
    private func committedRecords(_ catalog: PlanCatalog?) async -> [BackupRecord] {
        guard let catalog else { return [] }
        let query = RecordQuery(plan: plan.name, states: [.committed], newestFirst: true)
        return (try? await catalog.catalog.records(query)) ?? []
    }
}

/// Results gathered in order.
struct CheckList {
    var results: [CheckResult] = []

    mutating func ok(_ component: String, _ check: String, _ detail: String) {
        results.append(CheckResult(component: component, check: check, status: .ok, detail: detail))
    }

    mutating func warning(_ component: String, _ check: String, _ detail: String, fix: String) {
        results.append(CheckResult(component: component, check: check, status: .warning, detail: detail, fix: fix))
    }

    mutating func failed(_ component: String, _ check: String, _ detail: String, fix: String) {
        results.append(CheckResult(component: component, check: check, status: .failed, detail: detail, fix: fix))
    }
}

// MARK: Catalog

extension Preflight {
    /// Opens the catalog (creating it as the first run would), compares its schema with this library's,
    /// and takes and releases a lease to prove it is writable.
    func checkCatalog(into results: inout CheckList) async -> PlanCatalog? {
        let path = plan.catalogPath
        let shared = CatalogFactory.isURL(path)
        let folder = shared ? path : (path as NSString).deletingLastPathComponent
        let existed = shared || FileManager.default.fileExists(atPath: path)
        let catalog: PlanCatalog
        do {
            catalog = try await CatalogFactory.open(plan, environment: environment)
        } catch let error as CatalogError where error.code == .newerSchema {
            results.failed(
                "catalog", "open", "\(error)", fix: "run this plan with the BackupKit version that wrote the catalog, or a newer one")
            return nil
        } catch {
            results.failed(
                "catalog", "open", "cannot open \(path): \(error)",
                fix: "make \(folder) an existing folder writable by this user, and point catalog: at a BackupKit catalog file")
            return nil
        }
        results.ok("catalog", "open", existed ? "opened \(path)" : "created \(path) (the first run would have)")
        do {
            let versions = try await catalog.schemaVersions()
            if versions.last == catalog.schemaVersion {
                results.ok("catalog", "schema", "schema \(catalog.schemaVersion)")
            } else {
                results.failed(
                    "catalog", "schema",
                    "schema \(versions.last ?? "none"), this library writes \(catalog.schemaVersion)",
                    fix: "open the catalog once with this BackupKit (any command) so that it migrates")
            }
        } catch {
            results.failed("catalog", "schema", "cannot read the schema version: \(error)", fix: "restore the catalog file from a copy")
        }
        let owner = LeaseOwner.current()
        do {
            let name = "check:\(plan.name)"
            switch try await catalog.catalog.acquireLease(name, owner: owner, duration: .seconds(60), now: now()) {
            case .acquired(let lease, _):
                _ = try await catalog.catalog.releaseLease(lease)
                results.ok("catalog", "writable", "a lease was written and released in \(path)")
                results.ok("catalog", "leases", "the lease table answers")
            case .held(let holder):
                results.ok("catalog", "writable", "the catalog answers; another check (\(holder.owner)) holds the check lease")
                results.ok("catalog", "leases", "the lease table answers")
            }
        } catch {
            results.failed(
                "catalog", "writable", "cannot write to \(path): \(error)",
                fix: "give this user write access to \(path) and to \(folder) (SQLite writes -wal and -shm files beside it)")
        }
        return catalog
    }
}

// MARK: Encryption

extension Preflight {
    /// The key is readable, its file is 0600, and its id matches the newest encrypted backup's.
    func checkEncryption(records: [BackupRecord], into results: inout CheckList) {
        guard let settings = plan.encryption else { return }
        let keyID: String
        if let file = settings.keyFile {
            var info = stat()
            if stat(file, &info) == 0 {
                let mode = info.st_mode & 0o777
                if mode & 0o077 != 0 {
                    results.failed(
                        "encryption", "key_permissions",
                        "the key file \(file) has mode \(String(mode, radix: 8)); group or others can read it",
                        fix: "run chmod 600 \(file)")
                } else {
                    results.ok("encryption", "key_permissions", "\(file) has mode \(String(mode, radix: 8))")
                }
            }
            do {
                keyID = try EncryptionKey(fileAt: file).keyID
            } catch {
                results.failed(
                    "encryption", "key", "\(error)",
                    fix: "point encryption.key_file at a 0600 file holding a 32-byte key (raw, hex or base64)")
                return
            }
        } else if let variable = settings.keyEnvironmentVariable {
            do {
                keyID = try EncryptionKey(environmentVariable: variable, environment: environment).keyID
            } catch {
                results.failed(
                    "encryption", "key", "\(error)",
                    fix: "set \(variable) to a 32-byte key (hex or base64) in the environment the backups run in")
                return
            }
        } else {
            results.failed(
                "encryption", "key", "encryption: names neither key_file nor key_env", fix: "set encryption.key_file or encryption.key_env")
            return
        }
        results.ok("encryption", "key", "the key loads (id \(keyID))")
        let newest = records.first { record in record.artifacts.contains { $0.encryptionKeyID != nil } }
        guard let newest, let used = newest.artifacts.compactMap(\.encryptionKeyID).first else {
            results.ok("encryption", "key_id", "no encrypted backup yet; new backups use key \(keyID)")
            return
        }
        if used == keyID {
            results.ok("encryption", "key_id", "the newest encrypted backup (\(newest.label)) used this key")
        } else {
            results.failed(
                "encryption", "key_id",
                "the newest encrypted backup (\(newest.source) \(newest.label)) used key \(used); the plan's key is \(keyID)",
                fix:
                    "point the plan at the key with id \(used); if the key was rotated on purpose, keep the old key for restores and take a full backup (backup run --full)"
            )
        }
    }
}

// MARK: Schedule and notifiers

extension Preflight {
    /// The schedule's expressions, zone and window parse, and their next instants.
    func checkSchedule(into results: inout CheckList) {
        guard let schedule = plan.schedule else {
            results.ok("schedule", "next", "no schedule: the plan runs only when started (backup run)")
            return
        }
        guard let zone = TimeZone(identifier: schedule.timeZoneIdentifier) else {
            results.failed(
                "schedule", "time_zone", "'\(schedule.timeZoneIdentifier)' is not an IANA time zone",
                fix: "set schedule.time_zone to a zone such as UTC or Asia/Shanghai")
            return
        }
        let start = now()
        var lines: [String] = []
        do {
            let runs = try CronSchedule(schedule.cron, timeZone: zone).next(3, after: start)
            lines.append("runs \(schedule.cron): " + runs.map(ISO8601.string(from:)).joined(separator: ", "))
            if let full = schedule.fullCron {
                let fulls = try CronSchedule(full, timeZone: zone).next(1, after: start)
                lines.append("full \(full): " + fulls.map(ISO8601.string(from:)).joined(separator: ", "))
            }
            if let window = schedule.window { lines.append("window \(try RunWindow(window, timeZone: zone))") }
        } catch {
            results.failed(
                "schedule", "next", "\(error)", fix: "correct the schedule expression the message names (see Documentation/Schedules.md)")
            return
        }
        results.ok("schedule", "next", lines.joined(separator: "; ") + " (\(schedule.timeZoneIdentifier))")
    }

    /// The notifiers build; with ``sendsTestNotification`` a `check` event goes through each.
    func checkNotifiers(into results: inout CheckList) async {
        guard let config = plan.notify else {
            results.ok("notify", "configuration", "no notify: section; failures are only printed and logged")
            return
        }
        let notifier: (any Notifier)?
        do {
            notifier = try Engine.makeNotifier(config, logger: logger, environment: environment)
        } catch {
            results.failed("notify", "configuration", "\(error)", fix: "correct or set what the message names in the notify: section")
            return
        }
        let count = (config.log ? 1 : 0) + config.webhooks.count + config.commands.count
        results.ok("notify", "configuration", "\(count) notifier(s) built")
        guard sendsTestNotification, let notifier else { return }
        let event = BackupEvent(
            kind: BackupEvent.Kind(rawValue: "check"), occurredAt: now(),
            details: ["plan": plan.name, "message": "test event sent by backup check --notify"])
        do {
            try await notifier.notify(event)
            results.ok("notify", "test_event", "a 'check' event was delivered to every notifier")
        } catch {
            results.failed(
                "notify", "test_event", "\(error)",
                fix: "make the webhook URL reachable and accepting, or the command runnable, as the message says")
        }
    }
}
