import BackupCatalog
public import BackupModels
public import Foundation
import PostgresNIO

extension PostgresCatalog {
    /// The `drills` columns, in the order ``drill(from:)`` reads them.
    private static let drillColumns = "id, backup_id, plan, source, started_at, duration_ms, outcome, checks, error"

    /// Records a drill of a backup.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` if the backup is not in the catalog;
    ///   ``CatalogError/Code-swift.struct/duplicate`` if the drill's id is taken.
    public func insert(_ drill: DrillRecord) async throws {
        let checks = String(decoding: try JSONCoding.encoder(compact: true).encode(drill.checks), as: UTF8.self)
        try await transaction("cannot record drill \(drill.id) of backup \(drill.backupID)") { connection in
            _ = try await Self.existingState(of: drill.backupID, connection, self.logger)
            try await connection.query(
                """
                INSERT INTO drills (\(unescaped: Self.drillColumns)) VALUES (
                    \(drill.id), \(drill.backupID.rawValue), \(drill.plan), \(drill.source),
                    \(CatalogValue.seconds(drill.startedAt)), \(max(0, drill.durationMilliseconds)), \(drill.outcome.rawValue),
                    \(checks), \(drill.error))
                """, logger: self.logger)
        }
    }

    /// Drills of a plan, newest first (by start time, then id), optionally of one source or one backup.
    public func drills(plan: String, source: String? = nil, backupID: BackupID? = nil, limit: Int? = nil) async throws
        -> [DrillRecord]
    {
        if let limit, limit < 1 { return [] }
        var filter = PostgresFilter()
        filter.add("plan = ", plan)
        if let source { filter.add("source = ", source) }
        if let backupID { filter.add("backup_id = ", backupID.rawValue) }
        let sql = """
            SELECT \(Self.drillColumns) FROM drills \(filter.whereClause)
            ORDER BY started_at DESC, id COLLATE "C" DESC \(limit.map { "LIMIT \($0)" } ?? "")
            """
        let binds = filter.binds
        return try await run("cannot list drills") { connection in
            var drills: [DrillRecord] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger) {
                drills.append(try Self.drill(from: row))
            }
            return drills
        }
    }

    /// The newest drill of every drilled backup of a plan.
    public func lastDrills(plan: String) async throws -> [BackupID: DrillRecord] {
        try await run("cannot list the last drills") { connection in
            let rows = try await connection.query(
                """
                SELECT DISTINCT ON (backup_id) \(unescaped: Self.drillColumns) FROM drills WHERE plan = \(plan)
                ORDER BY backup_id, started_at DESC, id COLLATE "C" DESC
                """, logger: self.logger)
            var newest: [BackupID: DrillRecord] = [:]
            for try await row in rows {
                let drill = try Self.drill(from: row)
                newest[drill.backupID] = drill
            }
            return newest
        }
    }

    /// Notes that the artifacts of `ids` were read back at `date`; unknown ids are ignored.
    public func markVerified(_ ids: [BackupID], at date: Date) async throws {
        guard !ids.isEmpty else { return }
        try await run("cannot note \(ids.count) verified backups") { connection in
            try await connection.query(
                "UPDATE backups SET last_verified_at = \(CatalogValue.seconds(date)) WHERE id = ANY(\(ids.map(\.rawValue)))",
                logger: self.logger)
        }
    }

    /// When each verified backup of a plan was last verified.
    public func lastVerified(plan: String) async throws -> [BackupID: Date] {
        try await run("cannot read verification times") { connection in
            let rows = try await connection.query(
                "SELECT id, last_verified_at FROM backups WHERE plan = \(plan) AND last_verified_at IS NOT NULL",
                logger: self.logger)
            var times: [BackupID: Date] = [:]
            for try await (id, seconds) in rows.decode((String, Double).self) {
                times[BackupID(rawValue: id)] = CatalogValue.date(seconds)
            }
            return times
        }
    }

    private static func drill(from row: PostgresRow) throws -> DrillRecord {
        let (id, backupID, plan, source, startedAt, duration, outcomeText, checksText, error) = try row.decode(
            (String, String, String, String, Double, Int64, String, String, String?).self)
        guard let outcome = DrillRecord.Outcome(rawValue: outcomeText) else {
            throw CatalogValue.malformed("outcome", outcomeText, row: id)
        }
        let checks: [DrillCheck]
        do {
            checks = try JSONCoding.decoder().decode([DrillCheck].self, from: Data(checksText.utf8))
        } catch {
            throw CatalogError(code: .database, message: "column 'checks' of drill '\(id)' is not valid JSON", underlying: "\(error)")
        }
        return DrillRecord(
            id: id, backupID: BackupID(rawValue: backupID), plan: plan, source: source, startedAt: CatalogValue.date(startedAt),
            durationMilliseconds: duration, outcome: outcome, checks: checks, error: error)
    }
}
