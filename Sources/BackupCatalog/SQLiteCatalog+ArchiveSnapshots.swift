public import BackupModels
public import Foundation
import GRDB

extension SQLiteCatalog {
    // MARK: Archive snapshots

    /// Inserts a snapshot record, or replaces the one with the same repository and name.
    /// - Parameter snapshot: The record.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be written.
    public func save(_ snapshot: ArchiveSnapshotRecord) async throws {
        try await write("cannot save snapshot \(snapshot.snapshot)") { db in
            try db.cachedStatement(sql: ArchiveSnapshotRecord.catalogUpsertSQL).execute(arguments: try snapshot.catalogArguments())
        }
    }

    /// Marks a snapshot successful and records the indices it holds, in one transaction: either both
    /// are recorded or neither.
    /// - Parameters:
    ///   - snapshot: The record, in state ``ArchiveSnapshotRecord/State-swift.enum/success``.
    ///   - indices: The facts of each index the snapshot holds.
    /// - Throws: ``CatalogError/Code-swift.struct/invalidTransition`` if the record is not successful;
    ///   ``CatalogError/Code-swift.struct/database`` if a row is refused.
    public func commit(_ snapshot: ArchiveSnapshotRecord, indices: [ArchivedIndex]) async throws {
        guard snapshot.state == .success else {
            throw CatalogError(
                code: .invalidTransition,
                message: "snapshot \(snapshot.snapshot) is \(snapshot.state.rawValue); only a successful snapshot records indices")
        }
        try await write("cannot record snapshot \(snapshot.snapshot)") { db in
            try db.cachedStatement(sql: ArchiveSnapshotRecord.catalogUpsertSQL).execute(arguments: try snapshot.catalogArguments())
            let upsert = try db.cachedStatement(sql: ArchivedIndex.catalogUpsertSQL)
            let uuid = try db.cachedStatement(sql: ArchivedIndex.catalogUUIDSQL)
            for index in indices {
                try upsert.execute(arguments: index.catalogArguments)
                try uuid.execute(arguments: index.catalogUUIDArguments)
            }
        }
    }

    /// The record of one snapshot, or `nil`.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func archiveSnapshot(repository: String, snapshot: String) async throws -> ArchiveSnapshotRecord? {
        try await read("cannot read snapshot \(snapshot)") { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT \(ArchiveSnapshotRecord.catalogColumns) FROM archive_snapshots WHERE repository = ? AND snapshot = ?"),
                arguments: [repository, snapshot]
            ).map(ArchiveSnapshotRecord.init(catalogRow:))
        }
    }

    /// The snapshot records of one table, oldest first.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func archiveSnapshots(tableID: String) async throws -> [ArchiveSnapshotRecord] {
        try await read("cannot list the snapshots of \(tableID)") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(ArchiveSnapshotRecord.catalogColumns) FROM archive_snapshots
                        WHERE table_id = ? ORDER BY started_at, snapshot
                        """),
                arguments: [tableID]
            ).map(ArchiveSnapshotRecord.init(catalogRow:))
        }
    }

    /// Marks a snapshot that left its repository out of band ``ArchiveSnapshotRecord/State-swift.enum/gone``
    /// and forgets its archived-index rows (restores stop offering its data), in one transaction.
    /// Nothing happens if it is not recorded.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be written.
    public func markArchiveSnapshotGone(repository: String, snapshot: String, reason: String, at date: Date) async throws {
        try await write("cannot mark snapshot \(snapshot) gone") { db in
            try db.cachedStatement(sql: "DELETE FROM archived_indices WHERE repository = ? AND snapshot = ?")
                .execute(arguments: [repository, snapshot])
            try db.cachedStatement(
                sql: """
                    UPDATE archive_snapshots SET state = 'gone', failure_reason = ?, finished_at = COALESCE(finished_at, ?)
                    WHERE repository = ? AND snapshot = ?
                    """
            ).execute(arguments: [reason, CatalogValue.seconds(date), repository, snapshot])
        }
    }

    /// Forgets a deleted snapshot: its record and its archived-index rows, in one transaction. Nothing
    /// happens if neither is recorded.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be written.
    public func deleteArchiveSnapshot(repository: String, snapshot: String) async throws {
        try await write("cannot forget snapshot \(snapshot)") { db in
            try db.cachedStatement(sql: "DELETE FROM archived_indices WHERE repository = ? AND snapshot = ?")
                .execute(arguments: [repository, snapshot])
            try db.cachedStatement(sql: "DELETE FROM archive_snapshots WHERE repository = ? AND snapshot = ?")
                .execute(arguments: [repository, snapshot])
        }
    }
}
