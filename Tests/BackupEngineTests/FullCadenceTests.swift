import BackupCatalog
import BackupModels
import Foundation
import Logging
import RemoteStorage
import RemoteStorageTesting
import ServiceLifecycle
import Testing

@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSupport

/// Scheduled plans start new chains: `schedule.full`, `full_every` and `max_chain_length`, and retention
/// then frees whole old chains.
@Suite("Full-backup cadence")
struct FullCadenceTests {
    let logger = SchedulerFixture.logger

    /// A plan over `scratch/src` with the given `schedule:` and `retention:` lines, loaded as a user's file is.
    static func plan(_ scratch: Scratch, schedule: String, retention: String? = nil) throws -> BackupPlan {
        try scratch.write("src/app.yaml", "port: 8080\n")
        var yaml = """
            plan: cadence
            catalog: ./store/catalog.sqlite
            storage: {type: local, path: ./store}
            sources:
              - {name: config, type: files, paths: [./src]}
            schedule: \(schedule)

            """
        if let retention { yaml += "retention: \(retention)\n" }
        return try PlanLoader.parse(yaml: yaml, origin: "cadence.yaml", workingDirectory: scratch.path)
    }

    /// The full backup at the root of `record`'s chain, walking parents through `byID`.
    static func root(of record: BackupRecord, in byID: [BackupID: BackupRecord]) -> BackupRecord? {
        var current = record
        while let parentID = current.parentID {
            guard let parent = byID[parentID] else { return nil }
            current = parent
        }
        return current
    }

    @Test("14 days of a daily full and hourly incrementals: chains restart daily, keep_daily 7 frees whole old chains")
    func fourteenDays() async throws {
        let scratch = Scratch("cadence")
        let plan = try Self.plan(
            scratch, schedule: "{full: \"30 1 * * *\", incremental: \"0 * * * *\", time_zone: UTC, missed: skip}",
            retention: "{keep_daily: 7, time_zone: UTC}")
        let start = SchedulerFixture.date("2026-11-01T00:10:00Z")
        let end = start.addingTimeInterval(14 * 86_400)
        let clock = ManualClock("2026-11-01T00:10:00Z")
        let engine = Engine(
            plan: plan, catalog: try SQLiteCatalog.inMemory(), storage: MemoryStorage(now: { clock.now }), logger: logger,
            host: "test-host", now: { clock.now })
        let scheduler = try BackupScheduler(engines: [engine], logger: logger, clock: clock.schedulerClock)
        try await SchedulerFixture.running(scheduler) { _ in
            // Move the clock to each next deadline once the plan's loop waits for it (however long a run takes).
            while true {
                while scheduler.busyLoops.value != 0 || clock.sleeperCount == 0 { try await Task.sleep(for: .milliseconds(1)) }
                guard let next = clock.earliestDeadline, next <= end else { break }
                clock.advance(to: next)
            }
        }

        let records = try await engine.list()
        let byID = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })
        let scheduled = try ScheduledPlan(plan)
        // Every due instant ran once.
        #expect(records.count == scheduled.nextRuns(1_000, after: start).filter { $0 <= end }.count)
        #expect(records.allSatisfy { $0.state == .committed || $0.state == .expired }, "\(records.map(\.state))")

        // Each 01:30 run is a full one, and every other run belongs to the chain of that day's full.
        for record in records {
            let day = Calendar.utc.startOfDay(for: record.startedAt)
            let fullInstant = day.addingTimeInterval(5_400)
            if record.startedAt == fullInstant {
                #expect(record.kind == .full, "\(record.label) is due at a full instant")
            }
            guard record.startedAt > fullInstant, let root = Self.root(of: record, in: byID) else { continue }
            #expect(root.startedAt == fullInstant, "\(record.label) belongs to the chain of \(root.label), not of that day's full")
        }
        let fulls = records.filter { $0.kind == .full }
        #expect(fulls.count >= 14, "a new chain every day")

        // Retention removed old chains whole, and never an ancestor of a kept backup.
        let expired = records.filter { $0.state == .expired }
        #expect(!expired.isEmpty, "keep_daily: 7 removes the chains of older days")
        for record in records where record.state == .committed {
            var current = record
            while let parentID = current.parentID, let parent = byID[parentID] {
                #expect(parent.state == .committed, "\(parent.label), an ancestor of kept \(record.label), was removed")
                current = parent
            }
        }
        // Old chains go whole: once a full is removed, nothing of its chain remains. (A kept chain may lose
        // incrementals newer than the backup a day keeps, such as the 00:00 and 01:00 runs before the next full.)
        let expiredFulls = expired.filter { $0.kind == .full }
        #expect(!expiredFulls.isEmpty, "whole chains of older days are removed")
        for root in expiredFulls {
            let chain = records.filter { Self.root(of: $0, in: byID)?.id == root.id }
            #expect(chain.allSatisfy { $0.state == .expired }, "the chain of \(root.label) was removed only in part")
        }
        let keptDays = Set(records.filter { $0.state == .committed }.map { Calendar.utc.startOfDay(for: $0.startedAt) })
        #expect(keptDays.count <= 8, "7 daily backups keep at most the chains of 7 days and today's: \(keptDays.count)")
        // What was removed is gone from storage.
        for record in expired {
            for artifact in record.artifacts {
                #expect(try await engine.storage.head(artifact.key) == nil, "\(artifact.key) stayed in storage")
            }
        }
    }

    @Test("auto mode starts a new chain when the full is older than full_every")
    func fullEvery() async throws {
        let scratch = Scratch("cadence")
        let plan = try Self.plan(scratch, schedule: "{cron: \"0 * * * *\", full_every: 1d}")
        let clock = TestClock("2026-11-01T00:00:00Z")
        let engine = Engine(
            plan: plan, catalog: try SQLiteCatalog(path: plan.catalogPath), storage: try LocalStorage(root: scratch.sub("store")),
            logger: logger, host: "test-host", now: { clock.now })
        var kinds: [BackupKind] = []
        for _ in 0..<49 {
            let report = try await engine.backup(BackupRequest(kind: .auto))
            kinds.append(try #require(report.outcomes.first?.record).kind)
            clock.advance(3_600)
        }
        let fullIndices = kinds.indices.filter { kinds[$0] == .full }
        #expect(fullIndices == [0, 24, 48], "a full when the chain's full is a day old: \(fullIndices)")
    }

    @Test("auto mode starts a new chain once the chain holds max_chain_length backups; --incremental still adds to it")
    func maxChainLength() async throws {
        let scratch = Scratch("cadence")
        let plan = try Self.plan(scratch, schedule: "{cron: \"0 * * * *\", max_chain_length: 4}")
        let clock = TestClock("2026-11-01T00:00:00Z")
        let engine = Engine(
            plan: plan, catalog: try SQLiteCatalog(path: plan.catalogPath), storage: try LocalStorage(root: scratch.sub("store")),
            logger: logger, host: "test-host", now: { clock.now })
        var kinds: [BackupKind] = []
        for _ in 0..<9 {
            let report = try await engine.backup(BackupRequest(kind: .auto))
            let outcome = try #require(report.outcomes.first)
            kinds.append(try #require(outcome.record).kind)
            if kinds.count == 5 { #expect(outcome.notes.contains { $0.contains("max_chain_length 4") }, "\(outcome.notes)") }
            clock.advance(60)
        }
        #expect(kinds == [.full, .incremental, .incremental, .incremental, .full, .incremental, .incremental, .incremental, .full])
        let explicit = try await engine.backup(BackupRequest(kind: .incremental))
        #expect(explicit.outcomes.first?.record?.kind == .incremental, "an explicit --incremental is not overridden")
    }

    @Test("a plan's full: instants take full backups; the union of both expressions is what --next prints")
    func fullAndIncrementalInstants() throws {
        let scratch = Scratch("cadence")
        let plan = try Self.plan(scratch, schedule: "{full: \"30 1 * * *\", incremental: \"*/15 * * * *\", time_zone: UTC}")
        let scheduled = try ScheduledPlan(plan)
        let runs = scheduled.nextRuns(8, after: SchedulerFixture.date("2026-11-01T01:00:00Z"))
        #expect(runs.count == 8)
        #expect(runs.filter { scheduled.isFullRun(at: $0) } == [SchedulerFixture.date("2026-11-01T01:30:00Z")])
        #expect(scheduled.backupKind(at: SchedulerFixture.date("2026-11-01T01:30:00Z")) == .full)
        #expect(scheduled.backupKind(at: SchedulerFixture.date("2026-11-01T01:45:00Z")) == .auto)
        #expect(Set(runs).count == runs.count, "01:30 is due in both expressions and runs once")
    }

    @Test("every schedule: mapping in the docs loads as written, and the recommended ones restart chains")
    func documentedSchedules() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        var found: [String: [String]] = [:]
        for document in ["Automation.md", "Schedules.md", "PlanReference.md", "MySQL.md"] {
            let text = try String(contentsOfFile: repository + "/Documentation/" + document, encoding: .utf8)
            var rest = text[...]
            while let start = rest.range(of: "schedule: {") {
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
                found[document, default: []].append(String(rest[rest.index(start.lowerBound, offsetBy: 10)...end]))
                rest = rest[rest.index(after: end)...]
            }
        }
        #expect(found.values.reduce(0) { $0 + $1.count } >= 8, "\(found)")
        for (document, schedules) in found {
            for schedule in schedules {
                let scratch = Scratch("cadence")
                let plan: BackupPlan
                do {
                    plan = try Self.plan(scratch, schedule: schedule)
                } catch {
                    Issue.record("\(document): schedule: \(schedule) does not load: \(error)")
                    continue
                }
                #expect(throws: Never.self, "\(document): \(schedule)") { try ScheduledPlan(plan) }
            }
        }
        // The recommended frequencies say when fulls happen.
        let recommended = (found["Automation.md"] ?? []).filter { !$0.contains("missed:") } + (found["MySQL.md"] ?? [])
        #expect(!recommended.isEmpty)
        for schedule in recommended {
            let scratch = Scratch("cadence")
            let config = try #require(try Self.plan(scratch, schedule: schedule).schedule)
            #expect(
                config.fullCron != nil || config.fullEverySeconds != nil || config.maxChainLength != nil,
                "\(schedule) never starts a new chain")
        }
    }

    @Test(
        "bad cadence settings fail naming the key",
        arguments: [
            ("{full: \"61 1 * * *\", incremental: \"0 * * * *\"}", "schedule.full"),
            ("{cron: \"0 * * * *\", incremental: \"0 * * * *\"}", "schedule.incremental"),
            ("{cron: \"0 * * * *\", max_chain_length: 0}", "schedule.max_chain_length"),
            ("{cron: \"0 * * * *\", full_every: 3x}", "schedule.full_every"),
        ])
    func badSettings(schedule: String, key: String) throws {
        let scratch = Scratch("cadence")
        #expect {
            try Self.plan(scratch, schedule: schedule)
        } throws: { error in
            "\(error)".contains(key)
        }
    }
}

extension Calendar {
    /// The Gregorian calendar in UTC.
    fileprivate static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar
    }
}

/// The `runAt:` closure of a scheduler built from plans learns each due instant and its kind.
@Suite("Scheduler runAt closure")
struct SchedulerRunAtTests {
    @Test("a runAt closure receives each due instant; backupKind(at:) says which are full")
    func runAtInstants() async throws {
        let clock = ManualClock("2026-11-01T00:50:00Z")
        let plan = try ScheduledPlan(
            name: "nightly",
            config: ScheduleConfig(cron: "0 * * * *", fullCron: "30 1 * * *", timeZoneIdentifier: "UTC", missed: .skip))
        let catalog = try SQLiteCatalog.inMemory()
        let seen = Shared<[(Date, BackupRequest.Kind)]>([])
        let scheduler = try BackupScheduler(
            plans: [plan], catalog: catalog, logger: SchedulerFixture.logger, clock: clock.schedulerClock,
            runAt: { plan, instant in
                seen.withLock { $0.append((instant, plan.backupKind(at: instant))) }
                return ScheduledRunResult(succeeded: true, summary: "ok")
            })
        try await SchedulerFixture.running(scheduler) { _ in
            await SchedulerFixture.drive(clock, to: SchedulerFixture.date("2026-11-01T02:10:00Z"), schedulers: [scheduler])
        }
        let runs = seen.value
        #expect(runs.map(\.0) == ["2026-11-01T01:00:00Z", "2026-11-01T01:30:00Z", "2026-11-01T02:00:00Z"].map(SchedulerFixture.date))
        #expect(runs.map(\.1) == [.auto, .full, .auto])
    }
}
