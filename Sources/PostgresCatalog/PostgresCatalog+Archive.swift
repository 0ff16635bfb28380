public import BackupCatalog
public import BackupModels
public import Foundation
import PostgresNIO

extension PostgresCatalog: ArchiveCatalog {
    // MARK: Archive configurations

    /// Inserts a configuration, or replaces every field of the one with the same id.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/conflict`` naming the other configuration if `config` is
    ///   enabled and another enabled one exists for its table.
    public func save(_ config: ArchiveConfig) async throws {
        let layout = try config.catalogLayout()
        try await transaction("cannot save archive configuration \(config.id)") { connection in
            if config.isEnabled {
                let other = try await connection.query(
                    "SELECT id FROM archive_configs WHERE table_id = \(config.tableID) AND enabled AND id <> \(config.id)",
                    logger: self.logger
                ).collect().first?.decode(String.self)
                if let other {
                    throw CatalogError(
                        code: .conflict,
                        message: "table \(config.tableID) already has the enabled archive configuration \(other); disable it first")
                }
            }
            try await connection.query(
                """
                INSERT INTO archive_configs (\(unescaped: ArchiveConfig.catalogReadColumns)) VALUES (
                    \(config.id), \(config.instanceID), \(config.instanceType.rawValue), \(config.businessID), \(config.tableID),
                    \(config.repository), \(Int64(config.snapshotDays)), \(config.timeZoneIdentifier), \(config.isEnabled),
                    \(CatalogValue.seconds(config.createdAt)), \(CatalogValue.seconds(config.updatedAt)),
                    \(Int64(config.indexRetentionDays)), \(layout))
                ON CONFLICT (id) DO UPDATE SET
                    instance_id = excluded.instance_id, instance_type = excluded.instance_type,
                    business_id = excluded.business_id, table_id = excluded.table_id, repository = excluded.repository,
                    snapshot_days = excluded.snapshot_days, time_zone = excluded.time_zone, enabled = excluded.enabled,
                    created_at = excluded.created_at, updated_at = excluded.updated_at,
                    index_retention_days = excluded.index_retention_days, layout = excluded.layout
                """, logger: self.logger)
        }
    }

    /// The configuration with this id, or `nil`.
    public func archiveConfig(id: String) async throws -> ArchiveConfig? {
        try await run("cannot read archive configuration \(id)") { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: ArchiveConfig.catalogReadColumns) FROM archive_configs WHERE id = \(id)", logger: self.logger)
            return try await rows.collect().first.map(Self.archiveConfig(from:))
        }
    }

    /// All configurations, or those of one table, ordered by table, creation time and id.
    public func archiveConfigs(tableID: String?) async throws -> [ArchiveConfig] {
        var filter = PostgresFilter()
        if let tableID { filter.add("table_id = ", tableID) }
        let sql = """
            SELECT \(ArchiveConfig.catalogReadColumns) FROM archive_configs \(filter.whereClause)
            ORDER BY table_id COLLATE "C", created_at, id COLLATE "C"
            """
        let binds = filter.binds
        return try await run("cannot list archive configurations") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger).collect()
                .map(Self.archiveConfig(from:))
        }
    }

    /// Deletes a configuration.
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` if there is none with this id.
    public func deleteArchiveConfig(id: String) async throws {
        try await run("cannot delete archive configuration \(id)") { connection in
            let deleted = try await connection.query(
                "DELETE FROM archive_configs WHERE id = \(id) RETURNING id", logger: self.logger
            ).collect()
            guard !deleted.isEmpty else { throw CatalogError(code: .notFound, message: "no archive configuration \(id)") }
        }
    }

    // MARK: Archived indices

    /// Records the indices held by a successful snapshot, in one transaction; an index recorded again
    /// replaces its facts.
    public func insert(_ indices: [ArchivedIndex]) async throws {
        guard !indices.isEmpty else { return }
        try await transaction("cannot record \(indices.count) archived indices") { connection in
            for index in indices { try await connection.query(Self.upsertQuery(index), logger: self.logger) }
        }
    }

    /// Archived indices of `tableID` whose time range overlaps `[start, end]`, both ends inclusive.
    public func archivedIndices(tableID: String, overlapping start: Date, _ end: Date) async throws -> [ArchivedIndex] {
        guard start <= end else { return [] }
        return try await run("cannot list archived indices of \(tableID)") { connection in
            try await connection.query(
                """
                SELECT \(unescaped: ArchivedIndex.catalogReadColumns) FROM archived_indices
                WHERE table_id = \(tableID) AND start_time <= \(CatalogValue.seconds(end))
                    AND end_time >= \(CatalogValue.seconds(start))
                ORDER BY start_time, index_name COLLATE "C", snapshot COLLATE "C"
                """, logger: self.logger
            ).collect().map(Self.archivedIndex(from:))
        }
    }

    /// Archived indices held by one snapshot, ordered by index name.
    public func archivedIndices(repository: String, snapshot: String) async throws -> [ArchivedIndex] {
        try await run("cannot list the indices of snapshot \(snapshot)") { connection in
            try await connection.query(
                """
                SELECT \(unescaped: ArchivedIndex.catalogReadColumns) FROM archived_indices
                WHERE repository = \(repository) AND snapshot = \(snapshot) ORDER BY index_name COLLATE "C"
                """, logger: self.logger
            ).collect().map(Self.archivedIndex(from:))
        }
    }

    /// Forgets the indices of a deleted snapshot.
    public func deleteArchivedIndices(repository: String, snapshot: String) async throws {
        try await run("cannot forget the indices of snapshot \(snapshot)") { connection in
            try await connection.query(
                "DELETE FROM archived_indices WHERE repository = \(repository) AND snapshot = \(snapshot)", logger: self.logger)
        }
    }

    // MARK: Restores

    /// Inserts a restore, or replaces every field of the one with the same id.
    public func save(_ restore: RestoreConfig) async throws {
        let indices = try CatalogValue.json(restore.indices)
        let users = try CatalogValue.json(restore.notifyUsers)
        let waiting = try CatalogValue.json(restore.waitingIndices)
        try await run("cannot save restore \(restore.id)") { connection in
            try await connection.query(
                """
                INSERT INTO restores (\(unescaped: RestoreConfig.catalogReadColumns)) VALUES (
                    \(restore.id), \(restore.businessID), \(restore.indexSetID), \(restore.indexSetName), \(restore.tableID),
                    \(CatalogValue.seconds(restore.startTime)), \(CatalogValue.seconds(restore.endTime)),
                    \(CatalogValue.seconds(restore.expiresAt)), \(restore.state.rawValue), \(CatalogValue.seconds(restore.createdAt)),
                    \(restore.startedAt.map(CatalogValue.seconds)), \(restore.finishedAt.map(CatalogValue.seconds)),
                    \(restore.totalStoreSizeBytes), \(restore.totalDocCount), \(restore.restoredDocCount), \(indices), \(users),
                    \(restore.failureReason), \(restore.isNotified), \(waiting))
                ON CONFLICT (id) DO UPDATE SET \(unescaped: RestoreConfig.catalogReplacingAssignments(RestoreConfig.catalogReadColumns))
                """, logger: self.logger)
        }
    }

    /// The restore with this id, or `nil`.
    public func restore(id: String) async throws -> RestoreConfig? {
        try await run("cannot read restore \(id)") { connection in
            let rows = try await connection.query(
                "SELECT \(unescaped: RestoreConfig.catalogReadColumns) FROM restores WHERE id = \(id)", logger: self.logger)
            return try await rows.collect().first.map(Self.restore(from:))
        }
    }

    /// Restores in any of `states` (all when `nil`), oldest first.
    public func restores(states: Set<RestoreState>?) async throws -> [RestoreConfig] {
        if let states, states.isEmpty { return [] }
        var filter = PostgresFilter()
        if let states { filter.add("state = ANY(", states.map(\.rawValue).sorted(), ")") }
        let sql = "SELECT \(RestoreConfig.catalogReadColumns) FROM restores \(filter.whereClause) ORDER BY created_at, id COLLATE \"C\""
        let binds = filter.binds
        return try await run("cannot list restores") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger).collect()
                .map(Self.restore(from:))
        }
    }

    // MARK: Archive snapshots

    /// Inserts a snapshot record, or replaces the one with the same repository and name.
    public func save(_ snapshot: ArchiveSnapshotRecord) async throws {
        let query = try Self.upsertQuery(snapshot)
        try await run("cannot save snapshot \(snapshot.snapshot)") { connection in
            try await connection.query(query, logger: self.logger)
        }
    }

    /// Marks a snapshot successful and records its indices, in one transaction.
    /// - Throws: ``CatalogError/Code-swift.struct/invalidTransition`` if the record is not successful.
    public func commit(_ snapshot: ArchiveSnapshotRecord, indices: [ArchivedIndex]) async throws {
        guard snapshot.state == .success else {
            throw CatalogError(
                code: .invalidTransition,
                message: "snapshot \(snapshot.snapshot) is \(snapshot.state.rawValue); only a successful snapshot records indices")
        }
        let query = try Self.upsertQuery(snapshot)
        try await transaction("cannot record snapshot \(snapshot.snapshot)") { connection in
            try await connection.query(query, logger: self.logger)
            for index in indices { try await connection.query(Self.upsertQuery(index), logger: self.logger) }
        }
    }

    /// The record of one snapshot, or `nil`.
    public func archiveSnapshot(repository: String, snapshot: String) async throws -> ArchiveSnapshotRecord? {
        try await run("cannot read snapshot \(snapshot)") { connection in
            try await connection.query(
                """
                SELECT \(unescaped: ArchiveSnapshotRecord.catalogColumns) FROM archive_snapshots
                WHERE repository = \(repository) AND snapshot = \(snapshot)
                """, logger: self.logger
            ).collect().first.map(Self.snapshot(from:))
        }
    }

    /// The snapshot records of one table, oldest first.
    public func archiveSnapshots(tableID: String) async throws -> [ArchiveSnapshotRecord] {
        try await run("cannot list the snapshots of \(tableID)") { connection in
            try await connection.query(
                """
                SELECT \(unescaped: ArchiveSnapshotRecord.catalogColumns) FROM archive_snapshots
                WHERE table_id = \(tableID) ORDER BY started_at, snapshot COLLATE "C"
                """, logger: self.logger
            ).collect().map(Self.snapshot(from:))
        }
    }

    /// Forgets a deleted snapshot: its record and its archived-index rows, in one transaction.
    public func deleteArchiveSnapshot(repository: String, snapshot: String) async throws {
        try await transaction("cannot forget snapshot \(snapshot)") { connection in
            try await connection.query(
                "DELETE FROM archived_indices WHERE repository = \(repository) AND snapshot = \(snapshot)", logger: self.logger)
            try await connection.query(
                "DELETE FROM archive_snapshots WHERE repository = \(repository) AND snapshot = \(snapshot)", logger: self.logger)
        }
    }

    /// Marks a snapshot gone from its repository and forgets its archived-index rows, in one transaction.
    public func markArchiveSnapshotGone(repository: String, snapshot: String, reason: String, at date: Date) async throws {
        try await transaction("cannot mark snapshot \(snapshot) gone") { connection in
            try await connection.query(
                "DELETE FROM archived_indices WHERE repository = \(repository) AND snapshot = \(snapshot)", logger: self.logger)
            try await connection.query(
                """
                UPDATE archive_snapshots SET state = 'gone', failure_reason = \(reason),
                    finished_at = COALESCE(finished_at, \(CatalogValue.seconds(date)))
                WHERE repository = \(repository) AND snapshot = \(snapshot)
                """, logger: self.logger)
        }
    }

    // MARK: Rows

    private static func upsertQuery(_ index: ArchivedIndex) -> PostgresQuery {
        """
        INSERT INTO archived_indices (\(unescaped: ArchivedIndex.catalogReadColumns)) VALUES (
            \(index.archiveConfigID), \(index.tableID), \(index.repository), \(index.snapshot), \(index.index), \(index.docCount),
            \(index.storeSizeBytes), \(CatalogValue.seconds(index.startTime)), \(CatalogValue.seconds(index.endTime)),
            \(CatalogValue.seconds(index.archivedAt)), \(index.indexUUID))
        ON CONFLICT (repository, snapshot, index_name) DO UPDATE SET
            archive_config_id = excluded.archive_config_id, table_id = excluded.table_id,
            doc_count = excluded.doc_count, store_size_bytes = excluded.store_size_bytes,
            start_time = excluded.start_time, end_time = excluded.end_time, archived_at = excluded.archived_at,
            index_uuid = excluded.index_uuid
        """
    }

    private static func upsertQuery(_ snapshot: ArchiveSnapshotRecord) throws -> PostgresQuery {
        let indices = try CatalogValue.json(snapshot.indices)
        return """
            INSERT INTO archive_snapshots (\(unescaped: ArchiveSnapshotRecord.catalogColumns)) VALUES (
                \(snapshot.repository), \(snapshot.snapshot), \(snapshot.archiveConfigID), \(snapshot.tableID),
                \(snapshot.state.rawValue), \(Int64(snapshot.attempts)), \(indices), \(CatalogValue.seconds(snapshot.startedAt)),
                \(snapshot.finishedAt.map(CatalogValue.seconds)), \(snapshot.failureReason))
            ON CONFLICT (repository, snapshot) DO UPDATE SET
                archive_config_id = excluded.archive_config_id, table_id = excluded.table_id, state = excluded.state,
                attempts = excluded.attempts, indices = excluded.indices, started_at = excluded.started_at,
                finished_at = excluded.finished_at, failure_reason = excluded.failure_reason
            """
    }

    private static func archiveConfig(from row: PostgresRow) throws -> ArchiveConfig {
        let (
            id, instanceID, typeText, businessID, tableID, repository, snapshotDays, timeZone, enabled, created, updated, retention,
            layout
        ) = try row.decode(
            (String, String, String, String, String, String, Int64, String, Bool, Double, Double, Int64, String?).self)
        guard let instanceType = ArchiveInstanceType(rawValue: typeText) else {
            throw CatalogValue.malformed("instance_type", typeText, row: id)
        }
        var config = ArchiveConfig(
            id: id, instanceID: instanceID, instanceType: instanceType, businessID: businessID, tableID: tableID,
            repository: repository, snapshotDays: Int(snapshotDays), indexRetentionDays: Int(retention),
            timeZoneIdentifier: timeZone, isEnabled: enabled, createdAt: CatalogValue.date(created),
            updatedAt: CatalogValue.date(updated))
        if let layout { try config.applyCatalogLayout(layout) }
        return config
    }

    private static func archivedIndex(from row: PostgresRow) throws -> ArchivedIndex {
        let (configID, tableID, repository, snapshot, index, docs, size, start, end, archived, uuid) = try row.decode(
            (String, String, String, String, String, Int64, Int64, Double, Double, Double, String?).self)
        return ArchivedIndex(
            archiveConfigID: configID, tableID: tableID, repository: repository, snapshot: snapshot, index: index,
            indexUUID: uuid, docCount: docs, storeSizeBytes: size, startTime: CatalogValue.date(start),
            endTime: CatalogValue.date(end), archivedAt: CatalogValue.date(archived))
    }

    private static func restore(from row: PostgresRow) throws -> RestoreConfig {
        let (
            id, businessID, setID, setName, tableID, start, end, expires, stateText, created, started, finished, totalSize,
            totalDocs, restoredDocs, indices, users, reason, notified, waiting
        ) = try row.decode(
            (
                String, String, String?, String?, String, Double, Double, Double, String, Double, Double?, Double?, Int64, Int64,
                Int64, String, String, String?, Bool, String
            ).self)
        guard let state = RestoreState(rawValue: stateText) else { throw CatalogValue.malformed("state", stateText, row: id) }
        return RestoreConfig(
            id: id, businessID: businessID, indexSetID: setID, indexSetName: setName, tableID: tableID,
            startTime: CatalogValue.date(start), endTime: CatalogValue.date(end), expiresAt: CatalogValue.date(expires),
            state: state, createdAt: CatalogValue.date(created), startedAt: started.map(CatalogValue.date),
            finishedAt: finished.map(CatalogValue.date), totalStoreSizeBytes: totalSize, totalDocCount: totalDocs,
            restoredDocCount: restoredDocs, indices: try CatalogValue.strings(json: indices, column: "indices", row: id),
            notifyUsers: try CatalogValue.strings(json: users, column: "notify_users", row: id), failureReason: reason,
            isNotified: notified,
            waitingIndices: try CatalogValue.strings(json: waiting, column: "waiting_indices", row: id))
    }

    private static func snapshot(from row: PostgresRow) throws -> ArchiveSnapshotRecord {
        let (repository, snapshot, configID, tableID, stateText, attempts, indices, started, finished, reason) = try row.decode(
            (String, String, String, String, String, Int64, String, Double, Double?, String?).self)
        guard let state = ArchiveSnapshotRecord.State(rawValue: stateText) else {
            throw CatalogValue.malformed("state", stateText, row: snapshot)
        }
        return ArchiveSnapshotRecord(
            repository: repository, snapshot: snapshot, archiveConfigID: configID, tableID: tableID, state: state,
            attempts: Int(attempts), indices: try CatalogValue.strings(json: indices, column: "indices", row: snapshot),
            startedAt: CatalogValue.date(started), finishedAt: finished.map(CatalogValue.date), failureReason: reason)
    }
}
