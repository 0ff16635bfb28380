public import BackupModels
public import Foundation
import GRDB

extension SQLiteCatalog {
    // MARK: Writing records

    /// Inserts a new `running` record without artifacts.
    ///
    /// - Parameter record: The record; its parent, if any, must already be in the catalog.
    /// - Throws: ``CatalogError/Code-swift.struct/invalidTransition`` if the record is not running or
    ///   carries artifacts; ``CatalogError/Code-swift.struct/duplicate`` if its id, or its label within
    ///   its plan and source, is taken; ``CatalogError/Code-swift.struct/notFound`` if its parent is unknown.
    public func insert(_ record: BackupRecord) async throws {
        guard record.state == .running else {
            throw CatalogError(
                code: .invalidTransition, message: "backup \(record.id) is \(record.state); a new record must be running",
                path: path)
        }
        try refuseArtifactsOnRunning(record)
        try await write("cannot insert backup \(record.id)") { db in
            if try Self.state(of: record.id, db) != nil {
                throw CatalogError(code: .duplicate, message: "backup id \(record.id) is already in the catalog")
            }
            let sameLabel = try String.fetchOne(
                db.cachedStatement(sql: "SELECT id FROM backups WHERE plan = ? AND source = ? AND label = ?"),
                arguments: [record.plan, record.source, record.label.rawValue])
            if let sameLabel {
                throw CatalogError(
                    code: .duplicate,
                    message: "label \(record.label) of \(record.plan)/\(record.source) is already used by backup \(sameLabel)")
            }
            if let parent = record.parentID, try Self.state(of: parent, db) == nil {
                throw CatalogError(code: .notFound, message: "parent backup \(parent) of \(record.id) is not in the catalog")
            }
            try db.cachedStatement(sql: BackupRecord.catalogInsertSQL).execute(arguments: try record.catalogArguments())
        }
    }

    /// Imports records as they are, artifacts included, in one transaction: all are inserted or none.
    ///
    /// Meant for importers (records rebuilt from manifests) and bulk loads. Records may be in any state,
    /// but the catalog's rules still hold: a `running` record has no artifacts, a `committed` one has at
    /// least one, and every artifact is complete. Parents may come later in the same batch.
    ///
    /// - Parameter records: The records to insert.
    /// - Throws: ``CatalogError/Code-swift.struct/incompleteArtifact`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` for a record breaking the rules above;
    ///   ``CatalogError/Code-swift.struct/duplicate`` for a taken id or label;
    ///   ``CatalogError/Code-swift.struct/notFound`` if a parent is neither in the catalog nor in the batch.
    public func insert(contentsOf records: [BackupRecord]) async throws {
        for record in records {
            switch record.state {
            case .running: try refuseArtifactsOnRunning(record)
            case .committed: try requireCompleteArtifacts(record.artifacts, of: record.id)
            case .failed, .expired, .missing:
                if !record.artifacts.isEmpty { try requireCompleteArtifacts(record.artifacts, of: record.id) }
            }
        }
        guard !records.isEmpty else { return }
        try await write("cannot insert \(records.count) backups") { db in
            let insertRecord = try db.cachedStatement(sql: BackupRecord.catalogInsertSQL)
            let insertArtifact = try db.cachedStatement(sql: ArtifactDescriptor.catalogInsertSQL)
            for record in records {
                do {
                    try insertRecord.execute(arguments: try record.catalogArguments())
                    for (ordinal, artifact) in record.artifacts.enumerated() {
                        try insertArtifact.execute(arguments: artifact.catalogArguments(backupID: record.id, ordinal: ordinal))
                    }
                } catch {
                    throw Self.wrap(error, "cannot insert backup \(record.id)", path: nil)
                }
            }
        }
    }

    /// Moves a `running` record to `committed` with its artifacts, in one transaction.
    ///
    /// - Parameters:
    ///   - id: The running record.
    ///   - artifacts: The stored objects, in order; at least one, each complete (size and SHA-256).
    ///   - position: Where the source stood; `nil` keeps the position given at insert.
    ///   - finishedAt: When the backup finished.
    /// - Returns: The committed record.
    /// - Throws: ``CatalogError/Code-swift.struct/notFound``, ``CatalogError/Code-swift.struct/invalidTransition``
    ///   if the record is not running, ``CatalogError/Code-swift.struct/incompleteArtifact``, or
    ///   ``CatalogError/Code-swift.struct/duplicate`` if two artifacts share a key. Nothing is written then.
    @discardableResult
    public func commit(
        _ id: BackupID, artifacts: [ArtifactDescriptor], position: SourcePosition?, finishedAt: Date
    ) async throws -> BackupRecord {
        try await write("cannot commit backup \(id)") { db in
            let state = try Self.existingState(of: id, db)
            guard state == .running else {
                throw CatalogError(
                    code: .invalidTransition,
                    message: "backup \(id) is \(state); only a running backup can be committed"
                        + (state == .missing ? " (markFound commits a missing one again)" : ""))
            }
            try self.requireCompleteArtifacts(artifacts, of: id)
            let insertArtifact = try db.cachedStatement(sql: ArtifactDescriptor.catalogInsertSQL)
            for (ordinal, artifact) in artifacts.enumerated() {
                try insertArtifact.execute(arguments: artifact.catalogArguments(backupID: id, ordinal: ordinal))
            }
            // The state changes last: the trigger checks the artifacts exist.
            try db.cachedStatement(
                sql: """
                    UPDATE backups SET state = 'committed', finished_at = ?, position = coalesce(?, position) WHERE id = ?
                    """
            ).execute(arguments: [CatalogValue.seconds(finishedAt), try position.map(CatalogValue.json), id.rawValue])
            guard let record = try Self.fetchRecord(id, db) else {
                throw CatalogError(code: .notFound, message: "backup \(id) vanished during its commit")
            }
            return record
        }
    }

    /// Moves a `running` record to `failed`.
    ///
    /// - Parameters:
    ///   - id: The running record.
    ///   - reason: Why the run failed (shown to operators; must not hold secrets).
    ///   - date: When it failed; stored as the finish time.
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` if the record is not running.
    public func markFailed(_ id: BackupID, reason: String, at date: Date) async throws {
        try await write("cannot mark backup \(id) failed") { db in
            let state = try Self.existingState(of: id, db)
            guard state.canTransition(to: .failed) else {
                throw CatalogError(code: .invalidTransition, message: "backup \(id) is \(state); only a running backup can fail")
            }
            try db.cachedStatement(
                sql: """
                    UPDATE backups SET state = 'failed', failure_reason = ?, finished_at = ? WHERE id = ?
                    """
            ).execute(arguments: [reason, CatalogValue.seconds(date), id.rawValue])
        }
    }

    /// Moves `committed` records to `missing` (a rebuild found their artifacts gone), all or none.
    ///
    /// - Parameters:
    ///   - ids: The records (repeats are ignored).
    ///   - date: When storage was found without them (column `missing_since`).
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` if a record is not committed; then no record changes.
    public func markMissing(_ ids: [BackupID], at date: Date) async throws {
        try await move(.missing(ids, at: date))
    }

    /// Moves `missing` records back to `committed` (a rebuild found their artifacts again), all or none.
    ///
    /// - Parameters:
    ///   - ids: The records (repeats are ignored).
    ///   - date: When they were found; the record keeps its finish time.
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` if a record is not missing; then no record changes.
    public func markFound(_ ids: [BackupID], at date: Date) async throws {
        try await move(.found(ids))
    }

    /// Moves records as `move` says, all or none, setting `missing_since`.
    private func move(_ move: StateMove) async throws {
        guard !move.ids.isEmpty else { return }
        try await write(move.operation) { db in
            let update = try db.cachedStatement(sql: "UPDATE backups SET state = ?, missing_since = ? WHERE id = ?")
            for id in move.ids {
                try move.check(id, in: try Self.existingState(of: id, db))
                try update.execute(arguments: [move.to.rawValue, move.missingSince, id.rawValue])
            }
        }
    }

    /// Moves `committed`, `failed` or `missing` records to `expired`, all or none.
    ///
    /// - Parameters:
    ///   - ids: The records whose artifacts retention removed (repeats are ignored).
    ///   - date: When they expired (column `expired_at`).
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` (for example an already expired record);
    ///   then no record changes.
    public func markExpired(_ ids: [BackupID], at date: Date) async throws {
        var seen = Set<BackupID>()
        let unique = ids.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { return }
        try await write("cannot mark \(unique.count) backups expired") { db in
            let update = try db.cachedStatement(sql: "UPDATE backups SET state = 'expired', expired_at = ? WHERE id = ?")
            for id in unique {
                let state = try Self.existingState(of: id, db)
                guard state.canTransition(to: .expired) else {
                    throw CatalogError(
                        code: .invalidTransition,
                        message: "backup \(id) is \(state); only committed, failed or missing backups can expire")
                }
                try update.execute(arguments: [CatalogValue.seconds(date), id.rawValue])
            }
        }
    }

    // MARK: Reading records

    /// The record with this id and its artifacts, or `nil`.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func record(_ id: BackupID) async throws -> BackupRecord? {
        try await read("cannot read backup \(id)") { db in try Self.fetchRecord(id, db) }
    }

    /// Records matching `query`, ordered by start time then id, with their artifacts.
    ///
    /// Runs two statements in one read transaction: the records, then all their artifacts.
    /// - Parameter query: Filters, order and limit. An empty `states` set or a limit below 1 matches nothing.
    /// - Returns: The matching records.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func records(_ query: RecordQuery) async throws -> [BackupRecord] {
        var conditions: [String] = []
        var values: [(any DatabaseValueConvertible)?] = []
        if let plan = query.plan {
            conditions.append("plan = ?")
            values.append(plan)
        }
        if let source = query.source {
            conditions.append("source = ?")
            values.append(source)
        }
        if let states = query.states {
            if states.isEmpty { return [] }
            conditions.append("state IN (\(Array(repeating: "?", count: states.count).joined(separator: ", ")))")
            values.append(contentsOf: states.map(\.rawValue).sorted())
        }
        if let date = query.startedAtOrAfter {
            conditions.append("started_at >= ?")
            values.append(CatalogValue.seconds(date))
        }
        if let date = query.startedBefore {
            conditions.append("started_at < ?")
            values.append(CatalogValue.seconds(date))
        }
        if let limit = query.limit, limit < 1 { return [] }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let direction = query.newestFirst ? "DESC" : "ASC"
        let order = "ORDER BY started_at \(direction), id \(direction)"
        let limit = query.limit.map { "LIMIT \($0)" } ?? ""
        let recordsSQL = "SELECT \(BackupRecord.catalogColumns) FROM backups \(filter) \(order) \(limit)"
        let artifactsSQL = """
            SELECT backup_id, \(ArtifactDescriptor.catalogColumns) FROM artifacts
            WHERE backup_id IN (SELECT id FROM backups \(filter) \(query.limit == nil ? "" : "\(order) \(limit)"))
            ORDER BY backup_id, ordinal
            """
        let arguments = StatementArguments(values)
        return try await read("cannot list backups") { db in
            var artifacts: [String: [ArtifactDescriptor]] = [:]
            let artifactRows = try Row.fetchCursor(db.cachedStatement(sql: artifactsSQL), arguments: arguments)
            while let row = try artifactRows.next() {
                let backupID: String = try row.decode(atIndex: 0)
                artifacts[backupID, default: []].append(try ArtifactDescriptor(catalogRow: row, offset: 1, backupID: backupID))
            }
            var records: [BackupRecord] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: recordsSQL), arguments: arguments)
            while let row = try rows.next() {
                let id: String = try row.decode(atIndex: 0)
                records.append(try BackupRecord(catalogRow: row, artifacts: artifacts[id] ?? []))
            }
            return records
        }
    }

    // MARK: Internals

    /// The state of a record, or `nil` if there is none.
    static func state(of id: BackupID, _ db: Database) throws -> BackupState? {
        guard
            let text = try String.fetchOne(
                db.cachedStatement(sql: "SELECT state FROM backups WHERE id = ?"), arguments: [id.rawValue])
        else { return nil }
        guard let state = BackupState(rawValue: text) else { throw CatalogValue.malformed("state", text, row: id.rawValue) }
        return state
    }

    /// The state of a record that must exist.
    static func existingState(of id: BackupID, _ db: Database) throws -> BackupState {
        guard let state = try state(of: id, db) else {
            throw CatalogError(code: .notFound, message: "no backup \(id) in the catalog")
        }
        return state
    }

    /// One record with its artifacts, or `nil`.
    static func fetchRecord(_ id: BackupID, _ db: Database) throws -> BackupRecord? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(BackupRecord.catalogColumns) FROM backups WHERE id = ?"),
                arguments: [id.rawValue])
        else { return nil }
        let artifactRows = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT backup_id, \(ArtifactDescriptor.catalogColumns) FROM artifacts WHERE backup_id = ? ORDER BY ordinal"),
            arguments: [id.rawValue])
        var artifacts: [ArtifactDescriptor] = []
        while let artifactRow = try artifactRows.next() {
            artifacts.append(try ArtifactDescriptor(catalogRow: artifactRow, offset: 1, backupID: id.rawValue))
        }
        return try BackupRecord(catalogRow: row, artifacts: artifacts)
    }

    private func refuseArtifactsOnRunning(_ record: BackupRecord) throws {
        guard record.artifacts.isEmpty else {
            throw CatalogError(
                code: .invalidTransition,
                message: "backup \(record.id) is running but has artifacts; artifacts are given to commit", path: path)
        }
    }

    private func requireCompleteArtifacts(_ artifacts: [ArtifactDescriptor], of id: BackupID) throws {
        guard !artifacts.isEmpty else {
            throw CatalogError(code: .incompleteArtifact, message: "backup \(id) has no artifact", path: path)
        }
        if let artifact = artifacts.first(where: { !$0.isComplete }) {
            throw CatalogError(
                code: .incompleteArtifact,
                message: "artifact '\(artifact.key)' (\(artifact.role)) of backup \(id) lacks a key, a size or a "
                    + "lowercase hexadecimal SHA-256",
                path: path)
        }
    }
}
