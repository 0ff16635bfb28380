import ArgumentParser
import BackupCatalog
import BackupEngine
import BackupModels
import BackupPlans
import BackupScheduler
import BackupSources
import Foundation
import Logging
import RemoteStorage
import Retention

/// The `backup` command; `BackupMain` runs it.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Run, list, verify, restore and prune backups described by a YAML plan.",
        discussion: """
            Exit status: 0 on success, 1 on any failure (usage errors included), 143 after SIGTERM and 130 after \
            SIGINT once the interrupted work is cleaned up (`schedule` exits 0 after a graceful shutdown). See \
            Documentation/GettingStarted.md.
            """,
        subcommands: [
            Run.self, List.self, Verify.self, Restore.self, Prune.self, Coverage.self, Schedule.self, Status.self, Check.self,
            Drill.self, CatalogGroup.self,
        ])
}

/// Options every subcommand takes.
struct PlanOptions: ParsableArguments {
    @Option(name: .long, help: "The YAML plan file.")
    var plan: String

    @Flag(name: .shortAndLong, help: "Log progress details to standard error.")
    var verbose = false

    func load(time: String? = nil) async throws -> Engine {
        let level: Logger.Level = verbose ? .info : .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "backup")
        let plan = try PlanLoader.load(contentsOf: plan)
        let clock = try Self.clock(time)
        var engine = try await Engine.open(plan, logger: logger, now: clock)
        engine.cancellationReason = { Signals.interruptionReason }
        return engine
    }

    /// `--time` sets the clock for the command, as restic's `backup --time` does: the given instant,
    /// advancing with real time from there.
    static func clock(_ time: String?) throws -> @Sendable () -> Date {
        guard let time else { return { Date() } }
        guard let start = ISO8601.date(from: time) else {
            throw ValidationError("--time '\(time)' is not an ISO 8601 instant such as 2026-11-25T01:30:00Z")
        }
        let offset = start.timeIntervalSinceNow
        return { Date().addingTimeInterval(offset) }
    }
}

/// Runs `body`, printing errors as `error: …` on standard error with exit status 1.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        // After SIGTERM or SIGINT the entry point says what happened; the cancellation is no error of its own.
        if Signals.received == nil { Terminal.standardError("error: \(error)") }
        throw ExitCode.failure
    }
}

extension BackupCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Back up the plan's sources, then apply its retention.")

        @OptionGroup var options: PlanOptions

        @Flag(name: .long, help: "Take full backups.")
        var full = false

        @Flag(name: .long, help: "Take incremental backups (sources that cannot, take a full one and say so).")
        var incremental = false

        @Option(name: .long, help: "Back up only this source (repeatable).")
        var source: [String] = []

        @Option(name: .long, help: "Tag the backups (repeatable).")
        var tag: [String] = []

        @Option(name: .long, help: "Use this instant (ISO 8601) as the current time, to replay a run.")
        var time: String?

        @Flag(name: .long, help: "Do not apply retention after the backup.")
        var noPrune = false

        func validate() throws {
            if full && incremental { throw ValidationError("--full and --incremental exclude each other") }
        }

        func run() async throws {
            try await reportingErrors {
                let engine = try await options.load(time: time)
                let kind: BackupRequest.Kind = full ? .full : incremental ? .incremental : .auto
                let reporter = ProgressReporter()
                let display = Task { await ProgressDisplay().show(reporter.events) }
                let report = try await engine.backup(
                    BackupRequest(kind: kind, sources: source.isEmpty ? nil : source, tags: tag, applyRetention: !noPrune),
                    progress: reporter)
                await display.value
                print(Summary.run(report, engine: engine))
                if !report.succeeded { throw ExitCode.failure }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the plan's backups, oldest first.")

        @OptionGroup var options: PlanOptions

        @Flag(name: .long, help: "Print a JSON array of records (see Documentation/GettingStarted.md).")
        var json = false

        @Option(name: .long, help: "Only this source.")
        var source: String?

        func run() async throws {
            try await reportingErrors {
                let engine = try await options.load()
                let records = try await engine.list(source: source)
                if json {
                    let drills = try await engine.catalog.lastDrills(plan: engine.plan.name)
                    let verified = try await engine.catalog.lastVerified(plan: engine.plan.name)
                    print(try JSONOutput.records(records, lastDrills: drills, lastVerified: verified))
                } else {
                    print(Summary.table(records))
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-read backups: checksum, decryption, decompression, archive structure.")

        @OptionGroup var options: PlanOptions

        @Argument(help: "The backup id (or a unique prefix, or its label).")
        var id: String?

        @Flag(name: .long, help: "Verify every committed backup of the plan.")
        var all = false

        @Option(
            name: .long,
            help: "Rolling verification: re-read this percentage of the committed backups, least recently verified first.")
        var sample: Double?

        @Option(name: .long, help: "The source the backup belongs to (a label alone is ambiguous when sources share it).")
        var source: String?

        func validate() throws {
            let modes = [id != nil, all, sample != nil].filter { $0 }.count
            if modes != 1 { throw ValidationError("give a backup ID, --all or --sample PERCENT") }
            if let sample, !(sample > 0 && sample <= 100) {
                throw ValidationError("--sample must be a percentage above 0 and at most 100 (is \(sample))")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let engine = try await options.load()
                let records: [BackupRecord]
                if let sample {
                    records = try await engine.rollingVerificationSelection(percent: sample, source: source)
                } else if all {
                    records = try await engine.list(source: source, states: [.committed])
                } else {
                    records = [try await engine.record(matching: id ?? "", source: source)]
                }
                var damaged = 0
                for record in records {
                    let result = try await engine.verify(record.id)
                    if result.isSound {
                        print("ok       \(record.id)  \(record.source)  \(record.label)")
                    } else {
                        damaged += 1
                        print("DAMAGED  \(record.id)  \(record.source)  \(record.label)")
                        for problem in result.problems { print("         - \(problem)") }
                    }
                }
                print("\(records.count - damaged) sound, \(damaged) damaged")
                if damaged > 0 { throw ExitCode.failure }
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore a backup (with its full and incrementals) into a folder or a MySQL server.",
            discussion: """
                With --to-mysql mysql://USER@HOST:PORT the chain's full dump is loaded into that server and the binary \
                logs of its incrementals are replayed (up to --until, an ISO 8601 instant, when given); the password, \
                if any, comes from MYSQL_RESTORE_PASSWORD. Every restored table's row count and CHECKSUM TABLE are printed.
                """)

        @OptionGroup var options: PlanOptions

        @Argument(help: "The backup id (or a unique prefix, or its label).")
        var id: String

        @Option(name: .long, help: "The source the backup belongs to (a label alone is ambiguous when sources share it).")
        var source: String?

        @Option(name: .long, help: "The folder to restore into; it must be empty unless --force is given.")
        var to: String?

        @Option(name: .customLong("to-mysql"), help: "Restore a MySQL backup into this server: mysql://USER@HOST:PORT.")
        var toMySQL: String?

        @Option(name: .long, help: "With --to-mysql: replay binary logs up to this instant (ISO 8601), inclusive.")
        var until: String?

        @Flag(name: .long, help: "Restore into a non-empty folder, or into the MySQL source server itself.")
        var force = false

        @Flag(name: .long, help: "Restore symbolic links that point outside the target folder.")
        var allowExternalLinks = false

        func validate() throws {
            switch (to, toMySQL) {
            case (nil, nil): throw ValidationError("give --to FOLDER or --to-mysql mysql://USER@HOST:PORT")
            case (.some, .some): throw ValidationError("--to and --to-mysql exclude each other")
            default: break
            }
            if until != nil && toMySQL == nil { throw ValidationError("--until needs --to-mysql") }
            if let until, ISO8601.date(from: until) == nil {
                throw ValidationError("--until '\(until)' is not an ISO 8601 instant such as 2026-11-25T01:30:00Z")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let engine = try await options.load()
                let record = try await engine.record(matching: id, source: source)
                if let toMySQL {
                    try await restoreMySQL(record, engine: engine, url: toMySQL)
                    return
                }
                guard let to else { return }
                let report = try await engine.restore(
                    record.id, to: to, options: FolderRestoreOptions(allowNonEmptyTarget: force, allowExternalLinks: allowExternalLinks))
                let chain = report.chain.map(\.label.rawValue).joined(separator: " → ")
                print("restored \(record.source) \(record.label) into \(report.target)")
                print("  applied \(chain)")
                print("  \(report.filesWritten) entries, \(Summary.bytes(report.bytesWritten))")
            }
        }

        private func restoreMySQL(_ record: BackupRecord, engine: Engine, url: String) async throws {
            let password = ProcessInfo.processInfo.environment["MYSQL_RESTORE_PASSWORD"]
            let target = try MySQLTarget(url: url, password: password, force: force)
            let point = until.flatMap(ISO8601.date(from:)).map(MySQLRestorePoint.time)
            let report = try await engine.restoreMySQL(record.id, to: target, until: point)
            print("restored \(record.source) \(record.label) into mysql \(report.target)")
            print("  applied \(report.chain.map(\.label.rawValue).joined(separator: " → "))")
            if !report.binlogsReplayed.isEmpty {
                let stop = point.map { _ in " until \(until ?? "")" } ?? ""
                print("  replayed \(report.binlogsReplayed.count) binary log(s)\(stop): \(report.binlogsReplayed.joined(separator: ", "))")
            }
            for table in report.tables {
                print("  \(table.name)  rows \(table.rows)  checksum \(table.checksum ?? "-")")
            }
            for note in report.notes { print("  note: \(note)") }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply the plan's retention policy.")

        @OptionGroup var options: PlanOptions

        @Flag(name: .long, help: "Only show what would be removed.")
        var dryRun = false

        @Flag(name: .long, help: "Print a JSON array of decisions (see Documentation/GettingStarted.md).")
        var json = false

        @Option(name: .long, help: "Use this instant (ISO 8601) as the current time.")
        var time: String?

        func run() async throws {
            try await reportingErrors {
                let engine = try await options.load(time: time)
                let report = try await engine.applyRetention(dryRun: dryRun)
                print(json ? try JSONOutput.decisions(report.plan) : Summary.prune(report))
                if !report.failures.isEmpty { throw ExitCode.failure }
            }
        }
    }
}

extension Engine {
    /// The record whose id is `text`, starts with `text` or whose label is `text`, of `source` when given.
    func record(matching text: String, source: String?) async throws -> BackupRecord {
        guard let source else {
            do {
                return try await catalog.record(matching: text, plan: plan.name)
            } catch let error as CatalogError where error.code == .ambiguous {
                throw CatalogError(code: .ambiguous, message: error.message + "; name the source with --source")
            }
        }
        let ofSource = try await list(source: source)
        guard plan.source(named: source) != nil || !ofSource.isEmpty else {
            let known = plan.sources.map(\.name).joined(separator: ", ")
            throw CatalogError(code: .notFound, message: "plan '\(plan.name)' has no source '\(source)' (sources: \(known))")
        }
        let candidates = ofSource.filter {
            $0.id.rawValue == text || (text.count >= 4 && $0.id.rawValue.hasPrefix(text)) || $0.label.rawValue == text
        }
        switch candidates.count {
        case 1: return candidates[0]
        case 0: throw CatalogError(code: .notFound, message: "no backup '\(text)' of source '\(source)' in plan '\(plan.name)'")
        default:
            let ids = candidates.prefix(5).map(\.id.rawValue).joined(separator: ", ")
            throw CatalogError(code: .ambiguous, message: "'\(text)' matches \(candidates.count) backups of source '\(source)': \(ids)")
        }
    }
}
