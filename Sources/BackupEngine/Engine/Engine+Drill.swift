import BackupCatalog
public import BackupModels
public import BackupSources
import BackupSupport
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which backups a drill restores, and where.
public struct DrillRequest: Sendable {
    /// Which backups are sampled.
    public enum Sample: Sendable, Hashable {
        /// The newest committed backup of each source (its whole chain is restored) plus this many random
        /// older committed backups.
        case newest(plusOlder: Int)
        /// Every committed backup.
        case all
    }

    /// Only backups of this source; all sources when `nil`.
    public var source: String?
    /// Which backups are sampled.
    public var sample: Sample
    /// The scratch server MySQL backups are restored into; without one, a MySQL backup's drill fails
    /// saying so.
    public var mysqlTarget: MySQLTarget?
    /// Where scratch copies are made (a private folder inside it, removed afterwards); the system
    /// temporary folder when `nil`.
    public var scratchDirectory: String?

    /// Creates a request; by default the newest backup of each source and one random older backup.
    public init(
        source: String? = nil, sample: Sample = .newest(plusOlder: 1), mysqlTarget: MySQLTarget? = nil,
        scratchDirectory: String? = nil
    ) {
        self.source = source
        self.sample = sample
        self.mysqlTarget = mysqlTarget
        self.scratchDirectory = scratchDirectory
    }
}

extension Engine {
    /// The backups a drill restores, newest first: per ``DrillRequest/sample``, among the plan's committed
    /// backups (of ``DrillRequest/source`` when given).
    ///
    /// - Parameter generator: Picks the random older backups.
    public func drillSelection(_ request: DrillRequest, using generator: inout some RandomNumberGenerator) async throws
        -> [BackupRecord]
    {
        let committed = try await catalog.records(
            RecordQuery(plan: plan.name, source: request.source, states: [.committed], newestFirst: true))
        switch request.sample {
        case .all:
            return committed
        case .newest(let older):
            var chosen: [BackupRecord] = []
            var sources = Set<String>()
            for record in committed where sources.insert(record.source).inserted { chosen.append(record) }
            let picked = Set(chosen.map(\.id))
            let rest = committed.filter { !picked.contains($0.id) }.shuffled(using: &generator).prefix(max(0, older))
            return (chosen + rest).sorted { ($0.startedAt, $0.id.rawValue) > ($1.startedAt, $1.id.rawValue) }
        }
    }

    /// Drills the sampled backups one after the other (see ``drill(_:request:)``).
    ///
    /// - Returns: One drill record per backup, in the order drilled (newest first).
    /// - Throws: ``EngineError`` `notRestorable` when there is no committed backup to drill; a catalog error
    ///   when a drill cannot be recorded.
    public func drill(_ request: DrillRequest) async throws -> [DrillRecord] {
        var generator = SystemRandomNumberGenerator()
        let records = try await drillSelection(request, using: &generator)
        guard !records.isEmpty else {
            let scope = request.source.map { "source '\($0)' of plan '\(plan.name)'" } ?? "plan '\(plan.name)'"
            throw EngineError(code: .notRestorable, message: "\(scope) has no committed backup to drill")
        }
        var drills: [DrillRecord] = []
        for record in records {
            try Task.checkCancellation()
            drills.append(try await drill(record.id, request: request))
        }
        return drills
    }

    /// Restores one backup (its whole chain) into a scratch place, proves what came out, removes the
    /// scratch copy, records the drill in the catalog and, when it failed, notifies `drill_failed`.
    ///
    /// What is proven depends on the source type (see `Documentation/Drills.md`): a file tree is read
    /// back from disk and compared with the manifest (every file's size and SHA-256, no entry missing or
    /// left over, link targets, permission bits); a SQLite file opens, passes `PRAGMA integrity_check`
    /// and holds the row counts recorded at backup time; a MySQL chain is loaded into
    /// ``DrillRequest/mysqlTarget`` (never the source's own server), its tables' row counts are compared
    /// with those recorded by the full backup and their `CHECKSUM TABLE` values reported, and the
    /// restored databases are dropped again.
    ///
    /// A backup that does not restore is a failed drill, not an error.
    ///
    /// - Returns: The drill as recorded.
    /// - Throws: ``EngineError`` `notRestorable` for an unknown backup; a catalog error when the drill
    ///   cannot be recorded.
    public func drill(_ id: BackupID, request: DrillRequest = DrillRequest()) async throws -> DrillRecord {
        guard let record = try await catalog.record(id) else {
            throw EngineError(code: .notRestorable, message: "no backup \(id) in the catalog", backupID: id)
        }
        let startedAt = now()
        let clock = ContinuousClock.now
        logger.info("drill started", metadata: ["backup": "\(record.id)", "label": "\(record.label)", "source": "\(record.source)"])
        var checks: [DrillCheck] = []
        var failure: String?
        do {
            checks = try await drillChecks(of: record, request: request)
            failure = checks.first { !$0.passed }.map { "\($0.name): \($0.detail)" }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            checks.append(DrillCheck(name: "restore", passed: false, detail: "\(error)"))
            failure = "restore: \(error)"
        }
        let elapsed = ContinuousClock.now - clock
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        let drill = DrillRecord(
            backupID: record.id, plan: plan.name, source: record.source, startedAt: startedAt,
            durationMilliseconds: milliseconds, outcome: failure == nil ? .passed : .failed, checks: checks, error: failure)
        if let failure {
            logger.error(
                "drill failed", metadata: ["backup": "\(record.id)", "label": "\(record.label)", "error": "\(failure)"])
            await deliver(.drillFailed(drill, label: record.label, at: now()))
        } else {
            logger.info("drill passed", metadata: ["backup": "\(record.id)", "label": "\(record.label)", "ms": "\(milliseconds)"])
        }
        try await catalog.insert(drill)
        return drill
    }

    /// Restores `record` by its source type and returns what was checked.
    private func drillChecks(of record: BackupRecord, request: DrillRequest) async throws -> [DrillCheck] {
        let manifest = try await readManifest(of: record)
        let source = try source(of: record, manifest: manifest)
        if let mysql = source as? MySQLSource {
            return try await drillMySQL(record, source: mysql, request: request)
        }
        return try await withScratchFolder(in: request.scratchDirectory) { scratch in
            let target = scratch + "/restore"
            let report = try await restore(record.id, to: target, options: FolderRestoreOptions(allowExternalLinks: true))
            var checks = [
                DrillCheck(
                    name: "restore", passed: true,
                    detail:
                        "\(report.chain.count) backup(s) restored: \(report.filesWritten) entries, \(report.bytesWritten) bytes")
            ]
            switch manifest.sourceType {
            case "files":
                if let files = try await FileTreeSource.index(of: try await restoreChain(for: record.id)) {
                    checks += try treeChecks(root: target, files: files, manifest: manifest)
                }
            case "sqlite":
                checks += sqliteChecks(folder: target, manifest: manifest, source: record.source)
            default:
                break
            }
            return checks
        }
    }

    /// Compares a restored tree, read back from disk, with the backup's file index.
    private func treeChecks(root: String, files: [FileEntry], manifest: Manifest) throws -> [DrillCheck] {
        let tree = try RestoredTreeComparison.compare(root: root, with: files)
        func listed(_ problems: [String]) -> String {
            problems.prefix(5).joined(separator: "; ") + (problems.count > 5 ? "; and \(problems.count - 5) more" : "")
        }
        let deletions = manifest.deletedPaths?.count ?? 0
        var content = "\(tree.filesCompared) files, \(tree.bytesHashed) bytes: size and SHA-256 match the manifest"
        if tree.filesWithoutChecksum > 0 {
            content += "; \(tree.filesWithoutChecksum) files that changed while read have no SHA-256 and were compared by size"
        }
        return [
            DrillCheck(
                name: "entries", passed: tree.missing.isEmpty && tree.unexpected.isEmpty,
                detail: tree.missing.isEmpty && tree.unexpected.isEmpty
                    ? "all \(tree.entriesExpected) entries present and nothing else (\(deletions) deletion(s) of this backup applied)"
                    : [
                        tree.missing.isEmpty ? nil : "missing: \(listed(tree.missing))",
                        tree.unexpected.isEmpty ? nil : "not in the manifest (deletion not applied?): \(listed(tree.unexpected))",
                    ].compactMap { $0 }.joined(separator: "; ")),
            DrillCheck(
                name: "sha256", passed: tree.contentMismatches.isEmpty,
                detail: tree.contentMismatches.isEmpty ? content : listed(tree.contentMismatches)),
            DrillCheck(
                name: "links", passed: tree.linkMismatches.isEmpty,
                detail: tree.linkMismatches.isEmpty
                    ? "\(tree.linksCompared) links point where the manifest says" : listed(tree.linkMismatches)),
            DrillCheck(
                name: "modes", passed: tree.modeMismatches.isEmpty,
                detail: tree.modeMismatches.isEmpty ? "permission bits of every file and folder match" : listed(tree.modeMismatches)),
        ]
    }

    /// Opens a restored SQLite file, runs `integrity_check` and compares the row counts.
    private func sqliteChecks(folder: String, manifest: Manifest, source: String) -> [DrillCheck] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let name = manifest.position?.extra["file_name"].flatMap { names.contains($0) ? $0 : nil } ?? names.first
        guard let name else { return [DrillCheck(name: "opens", passed: false, detail: "the restore wrote no file")] }
        let inspected: (integrity: [String], tableRows: [String: Int64])
        do {
            inspected = try SQLiteSource.inspectRestoredDatabase(at: folder + "/" + name, source: source)
        } catch {
            return [DrillCheck(name: "opens", passed: false, detail: "\(error)")]
        }
        return [
            DrillCheck(name: "opens", passed: true, detail: "'\(name)' opens as a SQLite database"),
            DrillCheck(
                name: "integrity_check", passed: inspected.integrity == ["ok"],
                detail: inspected.integrity == ["ok"] ? "ok" : inspected.integrity.prefix(5).joined(separator: "; ")),
            rowCountCheck(restored: inspected.tableRows, recorded: manifest.tableRows),
        ]
    }

    /// Compares restored row counts with those recorded at backup time.
    private func rowCountCheck(restored: [String: Int64], recorded: [String: Int64]?) -> DrillCheck {
        guard let recorded else {
            return DrillCheck(
                name: "row_counts", passed: true,
                detail:
                    "not compared: this backup recorded no row counts (taken before they were recorded); \(restored.count) tables restored")
        }
        var problems: [String] = []
        for table in Set(recorded.keys).union(restored.keys).sorted() {
            switch (recorded[table], restored[table]) {
            case (let expected?, let seen?) where expected != seen:
                problems.append("\(table): \(seen) rows, \(expected) at backup time")
            case (_?, nil): problems.append("\(table): missing")
            case (nil, _?): problems.append("\(table): not in the backup's counts")
            default: break
            }
        }
        let total = recorded.values.reduce(0, +)
        return DrillCheck(
            name: "row_counts", passed: problems.isEmpty,
            detail: problems.isEmpty
                ? "\(recorded.count) tables, \(total) rows, as recorded at backup time"
                : problems.prefix(5).joined(separator: "; ") + (problems.count > 5 ? "; and \(problems.count - 5) more" : ""))
    }

    /// Loads a MySQL chain into the scratch server, checks it, and drops the restored databases again.
    private func drillMySQL(_ record: BackupRecord, source: MySQLSource, request: DrillRequest) async throws -> [DrillCheck] {
        guard let target = request.mysqlTarget else {
            throw EngineError(
                code: .invalidRequest,
                message:
                    "backup \(record.label) of MySQL source '\(record.source)' needs a scratch server to drill into: set drill.mysql_target in the plan",
                backupID: record.id)
        }
        if target.isSameServer(host: source.config.host, port: source.config.port) {
            throw MySQLError(
                code: .restoreRefused, subject: target.address,
                message: "\(target.address) is the server source '\(record.source)' backs up; a drill restores into a scratch server only")
        }
        var scratchTarget = target
        scratchTarget.force = false
        let chain = try await restoreChain(for: record.id)
        let full = try await chain.manifest(of: chain.records[0])
        let databases = full.position?.extra["databases"].map { $0.split(separator: ",").map(String.init) } ?? []
        // A drill drops only what it restored: databases of the same names already on the scratch server
        // (another user's, or left by a drill that was killed) are refused, never replaced.
        let present = try await source.existingDatabases(databases, on: scratchTarget)
        guard present.isEmpty else {
            throw MySQLError(
                code: .restoreRefused, subject: target.address,
                message:
                    "the scratch server already holds database(s) \(present.joined(separator: ", ")); a drill restores only into databases it creates and drops afterwards. Drop them by hand if an interrupted drill left them"
            )
        }
        let result: Result<MySQLRestoreReport, any Error>
        do {
            result = .success(try await source.restore(chain, to: scratchTarget, logger: logger))
        } catch {
            result = .failure(error)
        }
        do {
            try await source.dropDatabases(databases, on: scratchTarget)
        } catch {
            logger.warning("drill: cannot drop the restored databases", metadata: ["target": "\(target.address)", "error": "\(error)"])
        }
        let report = try result.get()
        var checks = [
            DrillCheck(
                name: "restore", passed: true,
                detail:
                    "\(report.chain.count) backup(s) loaded into \(report.target), \(report.binlogsReplayed.count) binary log(s) replayed; \(report.tables.count) tables"
            )
        ]
        let restored = Dictionary(report.tables.map { ($0.name, $0.rows) }, uniquingKeysWith: { $1 })
        if chain.records.count == 1 {
            checks.append(rowCountCheck(restored: restored, recorded: chain.newest.manifest.tableRows))
        } else {
            checks.append(
                DrillCheck(
                    name: "row_counts", passed: true,
                    detail:
                        "not compared: the chain ends in an incremental, whose rows are not counted at backup time (full backups record them); \(restored.values.reduce(0, +)) rows restored"
                ))
        }
        let sums = report.tables.map { "\($0.name)=\($0.checksum ?? "n/a")" }
        checks.append(
            DrillCheck(
                name: "checksum_table", passed: true,
                detail: sums.isEmpty ? "no tables" : sums.prefix(20).joined(separator: ", ") + (sums.count > 20 ? ", …" : "")))
        return checks
    }

    /// Runs `body` with a new private folder (mode 0700) in `parent`, removed afterwards whatever happened.
    private func withScratchFolder<T: Sendable>(in parent: String?, _ body: (String) async throws -> T) async throws -> T {
        var base = parent ?? NSTemporaryDirectory()
        if base.hasSuffix("/") { base.removeLast() }
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var template = Array((base + "/backupkit-drill-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw EngineError(
                code: .io, message: "cannot create a drill scratch folder in '\(base)': \(FileSystem.errorText(errno))")
        }
        let folder = String(cString: created)
        defer { Self.removeScratch(folder) }
        return try await body(folder)
    }

    /// Removes a scratch folder, making read-only folders of the restored tree writable first.
    private static func removeScratch(_ folder: String) {
        if let walker = FileManager.default.enumerator(atPath: folder) {
            for case let path as String in walker {
                let full = folder + "/" + path
                if case .success(let status) = FileSystem.lstatus(full), status.isDirectory {
                    chmod(full, mode_t(status.permissions | 0o700))
                }
            }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
