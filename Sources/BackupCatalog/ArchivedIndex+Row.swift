package import BackupModels
import GRDB

extension ArchivedIndex {
    /// The `archived_indices` columns, in the order ``init(catalogRow:)`` reads them.
    static let catalogColumns = """
        archive_config_id, table_id, repository, snapshot, index_name, doc_count, store_size_bytes, start_time, \
        end_time, archived_at
        """

    /// The columns ``init(catalogRow:)`` reads: ``catalogColumns`` and the index UUID (v6 on).
    package static let catalogReadColumns = catalogColumns + ", index_uuid"

    /// Sets the index UUID of the row just written with ``catalogUpsertSQL`` (a v6 column).
    static let catalogUUIDSQL =
        "UPDATE archived_indices SET index_uuid = ? WHERE repository = ? AND snapshot = ? AND index_name = ?"

    /// The arguments of ``catalogUUIDSQL``.
    var catalogUUIDArguments: StatementArguments { [indexUUID, repository, snapshot, index] }

    /// Inserts an index of a snapshot, or replaces the facts recorded for the same index of the same snapshot.
    static let catalogUpsertSQL = """
        INSERT INTO archived_indices (\(catalogColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (repository, snapshot, index_name) DO UPDATE SET
            archive_config_id = excluded.archive_config_id, table_id = excluded.table_id,
            doc_count = excluded.doc_count, store_size_bytes = excluded.store_size_bytes,
            start_time = excluded.start_time, end_time = excluded.end_time, archived_at = excluded.archived_at
        """

    /// The arguments of ``catalogUpsertSQL``.
    var catalogArguments: StatementArguments {
        let values: [(any DatabaseValueConvertible)?] = [
            archiveConfigID, tableID, repository, snapshot, index, docCount, storeSizeBytes,
            CatalogValue.seconds(startTime), CatalogValue.seconds(endTime), CatalogValue.seconds(archivedAt),
        ]
        return StatementArguments(values)
    }

    /// Reads a row selected with ``catalogColumns``.
    init(catalogRow row: Row) throws {
        self.init(
            archiveConfigID: try row.decode(atIndex: 0),
            tableID: try row.decode(atIndex: 1),
            repository: try row.decode(atIndex: 2),
            snapshot: try row.decode(atIndex: 3),
            index: try row.decode(atIndex: 4),
            docCount: try row.decode(atIndex: 5),
            storeSizeBytes: try row.decode(atIndex: 6),
            startTime: CatalogValue.date(try row.decode(atIndex: 7)),
            endTime: CatalogValue.date(try row.decode(atIndex: 8)),
            archivedAt: CatalogValue.date(try row.decode(atIndex: 9))
        )
        if row.count > 10 { indexUUID = try row.decode(atIndex: 10) }
    }
}
