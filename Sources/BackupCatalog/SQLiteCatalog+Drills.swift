public import BackupModels
public import Foundation
import GRDB

extension SQLiteCatalog {
    /// The `drills` columns, in the order ``drill(from:)`` reads them.
    private static let drillColumns = "id, backup_id, plan, source, started_at, duration_ms, outcome, checks, error"

    /// Records a drill of a backup.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` if the backup is not in the catalog;
    ///   ``CatalogError/Code-swift.struct/duplicate`` if the drill's id is taken.
    public func insert(_ drill: DrillRecord) async throws {
        let checks = String(decoding: try JSONCoding.encoder(compact: true).encode(drill.checks), as: UTF8.self)
        try await write("cannot record drill \(drill.id) of backup \(drill.backupID)") { db in
            _ = try Self.existingState(of: drill.backupID, db)
            try db.cachedStatement(
                sql: "INSERT INTO drills (\(Self.drillColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                drill.id, drill.backupID.rawValue, drill.plan, drill.source, CatalogValue.seconds(drill.startedAt),
                max(0, drill.durationMilliseconds), drill.outcome.rawValue, checks, drill.error,
            ])
        }
    }

    /// Drills of a plan, newest first (by start time, then id), optionally of one source or one backup.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func drills(plan: String, source: String? = nil, backupID: BackupID? = nil, limit: Int? = nil) async throws
        -> [DrillRecord]
    {
        if let limit, limit < 1 { return [] }
        var conditions = ["plan = ?"]
        var values: [(any DatabaseValueConvertible)?] = [plan]
        if let source {
            conditions.append("source = ?")
            values.append(source)
        }
        if let backupID {
            conditions.append("backup_id = ?")
            values.append(backupID.rawValue)
        }
        let sql = """
            SELECT \(Self.drillColumns) FROM drills WHERE \(conditions.joined(separator: " AND "))
            ORDER BY started_at DESC, id DESC \(limit.map { "LIMIT \($0)" } ?? "")
            """
        let arguments = StatementArguments(values)
        return try await read("cannot list drills") { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(Self.drill(from:))
        }
    }

    /// The newest drill of every drilled backup of a plan.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func lastDrills(plan: String) async throws -> [BackupID: DrillRecord] {
        try await read("cannot list the last drills") { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(Self.drillColumns) FROM drills AS d WHERE plan = ? AND NOT EXISTS (
                            SELECT 1 FROM drills AS newer WHERE newer.backup_id = d.backup_id
                                AND (newer.started_at > d.started_at OR (newer.started_at = d.started_at AND newer.id > d.id)))
                        """), arguments: [plan])
            var newest: [BackupID: DrillRecord] = [:]
            for row in rows {
                let drill = try Self.drill(from: row)
                newest[drill.backupID] = drill
            }
            return newest
        }
    }

    /// Notes that the artifacts of `ids` were read back at `date`; unknown ids are ignored.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be written.
    public func markVerified(_ ids: [BackupID], at date: Date) async throws {
        guard !ids.isEmpty else { return }
        try await write("cannot note \(ids.count) verified backups") { db in
            let update = try db.cachedStatement(sql: "UPDATE backups SET last_verified_at = ? WHERE id = ?")
            for id in ids { try update.execute(arguments: [CatalogValue.seconds(date), id.rawValue]) }
        }
    }

    /// When each verified backup of a plan was last verified.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func lastVerified(plan: String) async throws -> [BackupID: Date] {
        try await read("cannot read verification times") { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT id, last_verified_at FROM backups WHERE plan = ? AND last_verified_at IS NOT NULL"),
                arguments: [plan])
            var times: [BackupID: Date] = [:]
            for row in rows {
                let id: String = try row.decode(atIndex: 0)
                times[BackupID(rawValue: id)] = CatalogValue.date(try row.decode(atIndex: 1))
            }
            return times
        }
    }

    private static func drill(from row: Row) throws -> DrillRecord {
        let id: String = try row.decode(atIndex: 0)
        let outcomeText: String = try row.decode(atIndex: 6)
        guard let outcome = DrillRecord.Outcome(rawValue: outcomeText) else {
            throw CatalogValue.malformed("outcome", outcomeText, row: id)
        }
        let checksText: String = try row.decode(atIndex: 7)
        let checks: [DrillCheck]
        do {
            checks = try JSONCoding.decoder().decode([DrillCheck].self, from: Data(checksText.utf8))
        } catch {
            throw CatalogError(code: .database, message: "column 'checks' of drill '\(id)' is not valid JSON", underlying: "\(error)")
        }
        let backupID: String = try row.decode(atIndex: 1)
        return DrillRecord(
            id: id, backupID: BackupID(rawValue: backupID), plan: try row.decode(atIndex: 2), source: try row.decode(atIndex: 3),
            startedAt: CatalogValue.date(try row.decode(atIndex: 4)), durationMilliseconds: try row.decode(atIndex: 5),
            outcome: outcome, checks: checks, error: try row.decode(atIndex: 8))
    }
}
