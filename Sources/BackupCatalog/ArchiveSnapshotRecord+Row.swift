import GRDB

extension ArchiveSnapshotRecord {
    /// The `archive_snapshots` columns, in the order ``init(catalogRow:)`` reads them.
    package static let catalogColumns = """
        repository, snapshot, archive_config_id, table_id, state, attempts, indices, started_at, finished_at, \
        failure_reason
        """

    /// Inserts a snapshot record, or replaces every field of the one with the same repository and name.
    static let catalogUpsertSQL = """
        INSERT INTO archive_snapshots (\(catalogColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (repository, snapshot) DO UPDATE SET
            archive_config_id = excluded.archive_config_id, table_id = excluded.table_id, state = excluded.state,
            attempts = excluded.attempts, indices = excluded.indices, started_at = excluded.started_at,
            finished_at = excluded.finished_at, failure_reason = excluded.failure_reason
        """

    /// The arguments of ``catalogUpsertSQL``.
    func catalogArguments() throws -> StatementArguments {
        let values: [(any DatabaseValueConvertible)?] = [
            repository, snapshot, archiveConfigID, tableID, state.rawValue, attempts, try CatalogValue.json(indices),
            CatalogValue.seconds(startedAt), finishedAt.map(CatalogValue.seconds), failureReason,
        ]
        return StatementArguments(values)
    }

    /// Reads a row selected with ``catalogColumns``.
    init(catalogRow row: Row) throws {
        let snapshot: String = try row.decode(atIndex: 1)
        let stateText: String = try row.decode(atIndex: 4)
        guard let state = State(rawValue: stateText) else { throw CatalogValue.malformed("state", stateText, row: snapshot) }
        let finishedAt: Double? = try row.decode(atIndex: 8)
        self.init(
            repository: try row.decode(atIndex: 0),
            snapshot: snapshot,
            archiveConfigID: try row.decode(atIndex: 2),
            tableID: try row.decode(atIndex: 3),
            state: state,
            attempts: try row.decode(atIndex: 5),
            indices: try CatalogValue.strings(json: try row.decode(atIndex: 6), column: "indices", row: snapshot),
            startedAt: CatalogValue.date(try row.decode(atIndex: 7)),
            finishedAt: finishedAt.map(CatalogValue.date),
            failureReason: try row.decode(atIndex: 9)
        )
    }
}
