public import BackupModels
public import Foundation
import GRDB

extension SQLiteCatalog {
    // MARK: Archive configurations

    /// Inserts a configuration, or replaces every field of the one with the same id.
    ///
    /// - Parameter config: The configuration.
    /// - Throws: ``CatalogError/Code-swift.struct/conflict`` naming the other configuration if `config` is
    ///   enabled and another enabled one exists for its table.
    public func save(_ config: ArchiveConfig) async throws {
        try await write("cannot save archive configuration \(config.id)") { db in
            if config.isEnabled {
                let other = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT id FROM archive_configs WHERE table_id = ? AND enabled = 1 AND id <> ?"),
                    arguments: [config.tableID, config.id])
                if let other {
                    throw CatalogError(
                        code: .conflict,
                        message: "table \(config.tableID) already has the enabled archive configuration \(other); "
                            + "disable it first")
                }
            }
            try db.cachedStatement(sql: ArchiveConfig.catalogUpsertSQL).execute(arguments: config.catalogArguments)
            try db.cachedStatement(sql: ArchiveConfig.catalogRetentionSQL).execute(arguments: [
                config.indexRetentionDays, config.id,
            ])
            try db.cachedStatement(sql: ArchiveConfig.catalogLayoutSQL).execute(arguments: [try config.catalogLayout(), config.id])
        }
    }

    /// The configuration with this id, or `nil`.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func archiveConfig(id: String) async throws -> ArchiveConfig? {
        try await read("cannot read archive configuration \(id)") { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(ArchiveConfig.catalogReadColumns) FROM archive_configs WHERE id = ?"),
                arguments: [id]
            ).map(ArchiveConfig.init(catalogRow:))
        }
    }

    /// All configurations, or those of one table, ordered by table, creation time and id.
    /// - Parameter tableID: The table, or `nil` for all.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func archiveConfigs(tableID: String?) async throws -> [ArchiveConfig] {
        try await read("cannot list archive configurations") { db in
            let filter = tableID == nil ? "" : "WHERE table_id = ?"
            let sql = "SELECT \(ArchiveConfig.catalogReadColumns) FROM archive_configs \(filter) ORDER BY table_id, created_at, id"
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(tableID.map { [$0] } ?? []))
                .map(ArchiveConfig.init(catalogRow:))
        }
    }

    /// Deletes a configuration; its archived-index rows stay.
    /// - Parameter id: The configuration.
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` if there is none with this id.
    public func deleteArchiveConfig(id: String) async throws {
        try await write("cannot delete archive configuration \(id)") { db in
            try db.cachedStatement(sql: "DELETE FROM archive_configs WHERE id = ?").execute(arguments: [id])
            guard db.changesCount > 0 else {
                throw CatalogError(code: .notFound, message: "no archive configuration \(id)")
            }
        }
    }

    // MARK: Archived indices

    /// Records the indices held by a successful snapshot, in one transaction. Recording an index of the
    /// same snapshot again replaces its facts.
    /// - Parameter indices: The indices.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if a row is refused (an end before its start).
    public func insert(_ indices: [ArchivedIndex]) async throws {
        guard !indices.isEmpty else { return }
        try await write("cannot record \(indices.count) archived indices") { db in
            let upsert = try db.cachedStatement(sql: ArchivedIndex.catalogUpsertSQL)
            let uuid = try db.cachedStatement(sql: ArchivedIndex.catalogUUIDSQL)
            for index in indices {
                do {
                    try upsert.execute(arguments: index.catalogArguments)
                    try uuid.execute(arguments: index.catalogUUIDArguments)
                } catch {
                    throw Self.wrap(error, "cannot record index \(index.index) of snapshot \(index.snapshot)", path: nil)
                }
            }
        }
    }

    /// Archived indices of `tableID` whose time range overlaps `[start, end]`, both ends inclusive
    /// (`start_time <= end AND end_time >= start`, the rule of ``ArchivedIndex/overlaps(start:end:)``),
    /// ordered by start time and index name. An inverted range (`start > end`) matches nothing.
    /// - Parameters:
    ///   - tableID: The table.
    ///   - start: The first instant of the range.
    ///   - end: The last instant of the range.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func archivedIndices(tableID: String, overlapping start: Date, _ end: Date) async throws -> [ArchivedIndex] {
        guard start <= end else { return [] }
        return try await read("cannot list archived indices of \(tableID)") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(ArchivedIndex.catalogReadColumns) FROM archived_indices
                        WHERE table_id = ? AND start_time <= ? AND end_time >= ?
                        ORDER BY start_time, index_name, snapshot
                        """),
                arguments: [tableID, CatalogValue.seconds(end), CatalogValue.seconds(start)]
            ).map(ArchivedIndex.init(catalogRow:))
        }
    }

    /// Archived indices held by one snapshot, ordered by index name.
    /// - Parameters:
    ///   - repository: The snapshot repository.
    ///   - snapshot: The snapshot name.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func archivedIndices(repository: String, snapshot: String) async throws -> [ArchivedIndex] {
        try await read("cannot list the indices of snapshot \(snapshot)") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT \(ArchivedIndex.catalogReadColumns) FROM archived_indices
                        WHERE repository = ? AND snapshot = ? ORDER BY index_name
                        """),
                arguments: [repository, snapshot]
            ).map(ArchivedIndex.init(catalogRow:))
        }
    }

    /// Forgets the indices of a deleted snapshot (nothing happens if none are recorded).
    /// - Parameters:
    ///   - repository: The snapshot repository.
    ///   - snapshot: The snapshot name.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be written.
    public func deleteArchivedIndices(repository: String, snapshot: String) async throws {
        try await write("cannot forget the indices of snapshot \(snapshot)") { db in
            try db.cachedStatement(sql: "DELETE FROM archived_indices WHERE repository = ? AND snapshot = ?")
                .execute(arguments: [repository, snapshot])
        }
    }

    // MARK: Restores

    /// Inserts a restore, or replaces every field of the one with the same id.
    /// - Parameter restore: The restore.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be written.
    public func save(_ restore: RestoreConfig) async throws {
        try await write("cannot save restore \(restore.id)") { db in
            try db.cachedStatement(sql: RestoreConfig.catalogUpsertSQL).execute(arguments: try restore.catalogArguments())
            try db.cachedStatement(sql: RestoreConfig.catalogWaitingSQL).execute(arguments: [
                try CatalogValue.json(restore.waitingIndices), restore.id,
            ])
        }
    }

    /// The restore with this id, or `nil`.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func restore(id: String) async throws -> RestoreConfig? {
        try await read("cannot read restore \(id)") { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(RestoreConfig.catalogReadColumns) FROM restores WHERE id = ?"),
                arguments: [id]
            ).map(RestoreConfig.init(catalogRow:))
        }
    }

    /// Restores in any of `states` (all when `nil`), oldest first.
    /// - Parameter states: The states, or `nil` for all.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func restores(states: Set<RestoreState>?) async throws -> [RestoreConfig] {
        if let states, states.isEmpty { return [] }
        let stateValues = (states ?? []).map(\.rawValue).sorted()
        let filter =
            stateValues.isEmpty ? "" : "WHERE state IN (\(Array(repeating: "?", count: stateValues.count).joined(separator: ", ")))"
        return try await read("cannot list restores") { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(RestoreConfig.catalogReadColumns) FROM restores \(filter) ORDER BY created_at, id"),
                arguments: StatementArguments(stateValues)
            ).map(RestoreConfig.init(catalogRow:))
        }
    }
}
