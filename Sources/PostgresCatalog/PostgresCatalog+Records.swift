public import BackupCatalog
public import BackupModels
public import Foundation
import PostgresNIO

extension PostgresCatalog {
    // MARK: Writing records

    /// Inserts a new `running` record without artifacts.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/invalidTransition`` if the record is not running or
    ///   carries artifacts; ``CatalogError/Code-swift.struct/duplicate`` if its id, or its label within its
    ///   plan and source, is taken; ``CatalogError/Code-swift.struct/notFound`` if its parent is unknown.
    public func insert(_ record: BackupRecord) async throws {
        guard record.state == .running else {
            throw CatalogError(
                code: .invalidTransition, message: "backup \(record.id) is \(record.state); a new record must be running",
                path: location.description)
        }
        guard record.artifacts.isEmpty else {
            throw CatalogError(
                code: .invalidTransition,
                message: "backup \(record.id) is running but has artifacts; artifacts are given to commit",
                path: location.description)
        }
        try await transaction("cannot insert backup \(record.id)") { connection in
            if try await Self.state(of: record.id, connection, self.logger) != nil {
                throw CatalogError(code: .duplicate, message: "backup id \(record.id) is already in the catalog")
            }
            let sameLabel = try await connection.query(
                "SELECT id FROM backups WHERE plan = \(record.plan) AND source = \(record.source) AND label = \(record.label.rawValue)",
                logger: self.logger
            ).collect().first?.decode(String.self)
            if let sameLabel {
                throw CatalogError(
                    code: .duplicate,
                    message: "label \(record.label) of \(record.plan)/\(record.source) is already used by backup \(sameLabel)")
            }
            if let parent = record.parentID, try await Self.state(of: parent, connection, self.logger) == nil {
                throw CatalogError(code: .notFound, message: "parent backup \(parent) of \(record.id) is not in the catalog")
            }
            try await connection.query(try Self.insertRowsQuery([record][...]), logger: self.logger)
        }
    }

    /// Imports records as they are, artifacts included, in one transaction: all are inserted or none
    /// (``SQLiteCatalog/insert(contentsOf:)``'s rules: a running record has no artifacts, a committed one
    /// at least one, every artifact is complete; parents may come later in the batch).
    public func insert(contentsOf records: [BackupRecord]) async throws {
        for record in records {
            switch record.state {
            case .running:
                guard record.artifacts.isEmpty else {
                    throw CatalogError(
                        code: .invalidTransition, message: "backup \(record.id) is running but has artifacts",
                        path: location.description)
                }
            case .committed: try Self.requireCompleteArtifacts(record.artifacts, of: record.id)
            case .failed, .expired, .missing:
                if !record.artifacts.isEmpty { try Self.requireCompleteArtifacts(record.artifacts, of: record.id) }
            }
        }
        guard !records.isEmpty else { return }
        try await transaction("cannot insert \(records.count) backups") { connection in
            // Multi-row statements: one round trip per 1,000 rows instead of one per row (a rebuild or a
            // migration imports tens of thousands), well below PostgreSQL's 65,535 parameters per statement.
            for start in stride(from: 0, to: records.count, by: Self.importBatch) {
                let batch = records[start..<min(start + Self.importBatch, records.count)]
                try await connection.query(try Self.insertRowsQuery(batch), logger: self.logger)
                let artifacts = batch.flatMap { record in
                    record.artifacts.enumerated().map { (record.id, $0.offset, $0.element) }
                }
                for first in stride(from: 0, to: artifacts.count, by: Self.importBatch) {
                    let rows = artifacts[first..<min(first + Self.importBatch, artifacts.count)]
                    try await connection.query(Self.insertRowsQuery(rows), logger: self.logger)
                }
            }
        }
    }

    /// Rows per multi-row INSERT of ``insert(contentsOf:)``.
    static let importBatch = 1_000

    /// `VALUES ($1, …, $width), ($width+1, …), …` for `rows` rows.
    private static func placeholders(rows: Int, width: Int) -> String {
        (0..<rows).map { row in "(" + (1...width).map { "$\(row * width + $0)" }.joined(separator: ", ") + ")" }
            .joined(separator: ", ")
    }

    /// One INSERT of `records` (their rows in `backups` only): the one place a record becomes column values.
    static func insertRowsQuery(_ records: ArraySlice<BackupRecord>) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: records.count * 13)
        for record in records {
            binds.append(record.id.rawValue)
            binds.append(record.plan)
            binds.append(record.source)
            binds.append(record.kind.rawValue)
            binds.append(record.parentID?.rawValue)
            binds.append(record.label.rawValue)
            binds.append(record.state.rawValue)
            binds.append(CatalogValue.seconds(record.startedAt))
            binds.append(record.finishedAt.map(CatalogValue.seconds))
            binds.append(record.host)
            binds.append(try CatalogValue.json(record.tags))
            binds.append(record.failureReason)
            binds.append(try record.position.map(CatalogValue.json))
        }
        let sql = "INSERT INTO backups (\(BackupRecord.catalogColumns)) VALUES " + placeholders(rows: records.count, width: 13)
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// One INSERT of artifacts rows: (backup id, ordinal, artifact).
    static func insertRowsQuery(_ rows: ArraySlice<(BackupID, Int, ArtifactDescriptor)>) -> PostgresQuery {
        var binds = PostgresBindings(capacity: rows.count * 9)
        for (backupID, ordinal, artifact) in rows {
            binds.append(backupID.rawValue)
            binds.append(Int64(ordinal))
            binds.append(artifact.role)
            binds.append(artifact.key)
            binds.append(artifact.sizeBytes)
            binds.append(artifact.sha256)
            binds.append(artifact.compression.rawValue)
            binds.append(artifact.encryptionKeyID)
            binds.append(artifact.uncompressedBytes)
        }
        let sql =
            "INSERT INTO artifacts (backup_id, ordinal, \(ArtifactDescriptor.catalogColumns)) VALUES "
            + placeholders(rows: rows.count, width: 9)
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// Moves a `running` record to `committed` with its artifacts, in one transaction.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound``, ``CatalogError/Code-swift.struct/invalidTransition``
    ///   if the record is not running, ``CatalogError/Code-swift.struct/incompleteArtifact``, or
    ///   ``CatalogError/Code-swift.struct/duplicate`` if two artifacts share a key. Nothing is written then.
    @discardableResult
    public func commit(
        _ id: BackupID, artifacts: [ArtifactDescriptor], position: SourcePosition?, finishedAt: Date
    ) async throws -> BackupRecord {
        let positionJSON = try position.map(CatalogValue.json)
        return try await transaction("cannot commit backup \(id)") { connection in
            let state = try await Self.existingState(of: id, connection, self.logger, lock: true)
            guard state == .running else {
                throw CatalogError(
                    code: .invalidTransition, message: "backup \(id) is \(state); only a running backup can be committed")
            }
            try Self.requireCompleteArtifacts(artifacts, of: id)
            let rows = artifacts.enumerated().map { (id, $0.offset, $0.element) }
            try await connection.query(Self.insertRowsQuery(rows[...]), logger: self.logger)
            // The state changes last: the trigger checks the artifacts exist.
            try await connection.query(
                """
                UPDATE backups SET state = 'committed', finished_at = \(CatalogValue.seconds(finishedAt)),
                    position = coalesce(\(positionJSON), position) WHERE id = \(id.rawValue)
                """, logger: self.logger)
            guard let record = try await Self.fetchRecord(id, connection, self.logger) else {
                throw CatalogError(code: .notFound, message: "backup \(id) vanished during its commit")
            }
            return record
        }
    }

    /// Moves a `running` record to `failed`.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` if the record is not running.
    public func markFailed(_ id: BackupID, reason: String, at date: Date) async throws {
        try await transaction("cannot mark backup \(id) failed") { connection in
            let state = try await Self.existingState(of: id, connection, self.logger, lock: true)
            guard state.canTransition(to: .failed) else {
                throw CatalogError(code: .invalidTransition, message: "backup \(id) is \(state); only a running backup can fail")
            }
            try await connection.query(
                """
                UPDATE backups SET state = 'failed', failure_reason = \(reason), finished_at = \(CatalogValue.seconds(date))
                WHERE id = \(id.rawValue)
                """, logger: self.logger)
        }
    }

    /// Moves `committed` or `failed` records to `expired`, all or none.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition``; then no record changes.
    public func markExpired(_ ids: [BackupID], at date: Date) async throws {
        var seen = Set<BackupID>()
        let unique = ids.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else { return }
        try await transaction("cannot mark \(unique.count) backups expired") { connection in
            for id in unique {
                let state = try await Self.existingState(of: id, connection, self.logger, lock: true)
                guard state.canTransition(to: .expired) else {
                    throw CatalogError(
                        code: .invalidTransition,
                        message: "backup \(id) is \(state); only committed, failed or missing backups can expire")
                }
                try await connection.query(
                    "UPDATE backups SET state = 'expired', expired_at = \(CatalogValue.seconds(date)) WHERE id = \(id.rawValue)",
                    logger: self.logger)
            }
        }
    }

    /// Moves `committed` records to `missing` (a rebuild found their artifacts gone from storage), all or none.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` if a record is not committed; then no record changes.
    public func markMissing(_ ids: [BackupID], at date: Date) async throws {
        try await move(.missing(ids, at: date))
    }

    /// Moves `missing` records back to `committed` (a rebuild found their artifacts again), all or none.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` if a record is not missing; then no record changes.
    public func markFound(_ ids: [BackupID], at date: Date) async throws {
        try await move(.found(ids))
    }

    /// Moves records as `move` says, all or none, setting `missing_since`.
    private func move(_ move: StateMove) async throws {
        guard !move.ids.isEmpty else { return }
        try await transaction(move.operation) { connection in
            for id in move.ids {
                try move.check(id, in: try await Self.existingState(of: id, connection, self.logger, lock: true))
                try await connection.query(
                    "UPDATE backups SET state = \(move.to.rawValue), missing_since = \(move.missingSince) WHERE id = \(id.rawValue)",
                    logger: self.logger)
            }
        }
    }

    // MARK: Reading records

    /// The record with this id and its artifacts, or `nil`.
    public func record(_ id: BackupID) async throws -> BackupRecord? {
        try await run("cannot read backup \(id)") { connection in try await Self.fetchRecord(id, connection, self.logger) }
    }

    /// Records matching `query`, ordered by start time then id, with their artifacts (one transaction,
    /// two statements, like ``SQLiteCatalog``).
    public func records(_ query: RecordQuery) async throws -> [BackupRecord] {
        var filter = PostgresFilter()
        if let plan = query.plan { filter.add("plan = ", plan) }
        if let source = query.source { filter.add("source = ", source) }
        if let states = query.states {
            if states.isEmpty { return [] }
            filter.add("state = ANY(", states.map(\.rawValue).sorted(), ")")
        }
        if let date = query.startedAtOrAfter { filter.add("started_at >= ", CatalogValue.seconds(date)) }
        if let date = query.startedBefore { filter.add("started_at < ", CatalogValue.seconds(date)) }
        if let limit = query.limit, limit < 1 { return [] }
        let direction = query.newestFirst ? "DESC" : "ASC"
        let order = "ORDER BY started_at \(direction), id COLLATE \"C\" \(direction)"
        let limit = query.limit.map { "LIMIT \($0)" } ?? ""
        let recordsSQL = "SELECT \(BackupRecord.catalogColumns) FROM backups \(filter.whereClause) \(order) \(limit)"
        let artifactsSQL = """
            SELECT backup_id, \(ArtifactDescriptor.catalogColumns) FROM artifacts
            WHERE backup_id IN (SELECT id FROM backups \(filter.whereClause) \(query.limit == nil ? "" : "\(order) \(limit)"))
            ORDER BY backup_id, ordinal
            """
        let binds = filter.binds
        return try await transaction("cannot list backups") { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
            var artifacts: [String: [ArtifactDescriptor]] = [:]
            let artifactRows = try await connection.query(PostgresQuery(unsafeSQL: artifactsSQL, binds: binds), logger: self.logger)
            for try await row in artifactRows {
                let (backupID, artifact) = try Self.artifact(from: row)
                artifacts[backupID, default: []].append(artifact)
            }
            var records: [BackupRecord] = []
            let rows = try await connection.query(PostgresQuery(unsafeSQL: recordsSQL, binds: binds), logger: self.logger)
            for try await row in rows {
                records.append(try Self.record(from: row) { artifacts[$0] ?? [] })
            }
            return records
        }
    }

    // MARK: Internals

    static func state(of id: BackupID, _ connection: PostgresConnection, _ logger: Logger, lock: Bool = false) async throws
        -> BackupState?
    {
        let sql = "SELECT state FROM backups WHERE id = $1" + (lock ? " FOR UPDATE" : "")
        var binds = PostgresBindings()
        binds.append(id.rawValue)
        guard
            let text = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                .collect().first?.decode(String.self)
        else { return nil }
        guard let state = BackupState(rawValue: text) else { throw CatalogValue.malformed("state", text, row: id.rawValue) }
        return state
    }

    static func existingState(of id: BackupID, _ connection: PostgresConnection, _ logger: Logger, lock: Bool = false)
        async throws -> BackupState
    {
        guard let state = try await state(of: id, connection, logger, lock: lock) else {
            throw CatalogError(code: .notFound, message: "no backup \(id) in the catalog")
        }
        return state
    }

    static func fetchRecord(_ id: BackupID, _ connection: PostgresConnection, _ logger: Logger) async throws -> BackupRecord? {
        var artifacts: [ArtifactDescriptor] = []
        let artifactRows = try await connection.query(
            """
            SELECT backup_id, \(unescaped: ArtifactDescriptor.catalogColumns) FROM artifacts
            WHERE backup_id = \(id.rawValue) ORDER BY ordinal
            """, logger: logger)
        for try await row in artifactRows { artifacts.append(try artifact(from: row).1) }
        let rows = try await connection.query(
            "SELECT \(unescaped: BackupRecord.catalogColumns) FROM backups WHERE id = \(id.rawValue)", logger: logger)
        guard let row = try await rows.collect().first else { return nil }
        return try record(from: row) { _ in artifacts }
    }

    /// Reads `backup_id` and the ``ArtifactDescriptor/catalogColumns``.
    static func artifact(from row: PostgresRow) throws -> (String, ArtifactDescriptor) {
        let (backupID, role, key, size, sha256, compressionText, keyID, uncompressed) = try row.decode(
            (String, String, String, Int64, String, String, String?, Int64?).self)
        guard let compression = CompressionAlgorithm(rawValue: compressionText) else {
            throw CatalogValue.malformed("compression", compressionText, row: backupID)
        }
        return (
            backupID,
            ArtifactDescriptor(
                role: role, key: key, sizeBytes: size, sha256: sha256, compression: compression, encryptionKeyID: keyID,
                uncompressedBytes: uncompressed)
        )
    }

    /// Reads a row selected with ``BackupRecord/catalogColumns``.
    static func record(from row: PostgresRow, artifacts: (String) -> [ArtifactDescriptor]) throws -> BackupRecord {
        let (id, plan, source, kindText, parentID, labelText, stateText, startedAt, finishedAt, host, tags, reason, position) =
            try row.decode(
                (String, String, String, String, String?, String, String, Double, Double?, String, String, String?, String?).self)
        guard let kind = BackupKind(rawValue: kindText) else { throw CatalogValue.malformed("kind", kindText, row: id) }
        guard let state = BackupState(rawValue: stateText) else { throw CatalogValue.malformed("state", stateText, row: id) }
        guard let label = try? BackupLabel(labelText) else { throw CatalogValue.malformed("label", labelText, row: id) }
        return BackupRecord(
            id: BackupID(rawValue: id), plan: plan, source: source, kind: kind, parentID: parentID.map(BackupID.init(rawValue:)),
            label: label, state: state, startedAt: CatalogValue.date(startedAt), finishedAt: finishedAt.map(CatalogValue.date),
            artifacts: artifacts(id), position: try position.map { try CatalogValue.position(json: $0, row: id) },
            tags: try CatalogValue.strings(json: tags, column: "tags", row: id), host: host, failureReason: reason)
    }

    static func requireCompleteArtifacts(_ artifacts: [ArtifactDescriptor], of id: BackupID) throws {
        guard !artifacts.isEmpty else {
            throw CatalogError(code: .incompleteArtifact, message: "backup \(id) has no artifact")
        }
        if let artifact = artifacts.first(where: { !$0.isComplete }) {
            throw CatalogError(
                code: .incompleteArtifact,
                message: "artifact '\(artifact.key)' (\(artifact.role)) of backup \(id) lacks a key, a size or a "
                    + "lowercase hexadecimal SHA-256")
        }
    }
}

/// `WHERE` conditions with numbered parameters, for queries whose filters vary.
struct PostgresFilter {
    private(set) var conditions: [String] = []
    private(set) var binds = PostgresBindings()

    /// Adds `prefix $n suffix` with `value` as parameter n.
    mutating func add(_ prefix: String, _ value: some PostgresDynamicTypeEncodable, _ suffix: String = "") {
        binds.append(value)
        conditions.append("\(prefix)$\(binds.count)\(suffix)")
    }

    var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
}
