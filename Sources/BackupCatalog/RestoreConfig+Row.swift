package import BackupModels
import Foundation
import GRDB

extension RestoreConfig {
    /// The `restores` columns, in the order ``init(catalogRow:)`` reads them.
    static let catalogColumns = """
        id, business_id, index_set_id, index_set_name, table_id, start_time, end_time, expires_at, state, \
        created_at, started_at, finished_at, total_store_size_bytes, total_doc_count, restored_doc_count, indices, \
        notify_users, failure_reason, notified
        """

    /// The columns ``init(catalogRow:)`` reads: ``catalogColumns`` and the waiting indices (v6 on).
    package static let catalogReadColumns = catalogColumns + ", waiting_indices"

    /// Sets the waiting indices of the restore just written with ``catalogUpsertSQL`` (a v6 column).
    static let catalogWaitingSQL = "UPDATE restores SET waiting_indices = ? WHERE id = ?"

    /// `column = excluded.column` for every column of `columns` but `id`: the update of an upsert that
    /// replaces every field of the row with the same id (SQLite and PostgreSQL spell it alike).
    package static func catalogReplacingAssignments(_ columns: String) -> String {
        columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { $0 != "id" }
            .map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
    }

    /// Inserts a restore, or replaces every field of the one with the same id.
    static let catalogUpsertSQL = """
        INSERT INTO restores (\(catalogColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET \(catalogReplacingAssignments(catalogColumns))
        """

    /// The arguments of ``catalogUpsertSQL``.
    func catalogArguments() throws -> StatementArguments {
        let values: [(any DatabaseValueConvertible)?] = [
            id, businessID, indexSetID, indexSetName, tableID, CatalogValue.seconds(startTime),
            CatalogValue.seconds(endTime), CatalogValue.seconds(expiresAt), state.rawValue,
            CatalogValue.seconds(createdAt), startedAt.map(CatalogValue.seconds), finishedAt.map(CatalogValue.seconds),
            totalStoreSizeBytes, totalDocCount, restoredDocCount, try CatalogValue.json(indices),
            try CatalogValue.json(notifyUsers), failureReason, isNotified,
        ]
        return StatementArguments(values)
    }

    /// Reads a row selected with ``catalogColumns``.
    init(catalogRow row: Row) throws {
        let id: String = try row.decode(atIndex: 0)
        let stateText: String = try row.decode(atIndex: 8)
        guard let state = RestoreState(rawValue: stateText) else { throw CatalogValue.malformed("state", stateText, row: id) }
        let startedAt: Double? = try row.decode(atIndex: 10)
        let finishedAt: Double? = try row.decode(atIndex: 11)
        self.init(
            id: id,
            businessID: try row.decode(atIndex: 1),
            indexSetID: try row.decode(atIndex: 2),
            indexSetName: try row.decode(atIndex: 3),
            tableID: try row.decode(atIndex: 4),
            startTime: CatalogValue.date(try row.decode(atIndex: 5)),
            endTime: CatalogValue.date(try row.decode(atIndex: 6)),
            expiresAt: CatalogValue.date(try row.decode(atIndex: 7)),
            state: state,
            createdAt: CatalogValue.date(try row.decode(atIndex: 9)),
            startedAt: startedAt.map(CatalogValue.date),
            finishedAt: finishedAt.map(CatalogValue.date),
            totalStoreSizeBytes: try row.decode(atIndex: 12),
            totalDocCount: try row.decode(atIndex: 13),
            restoredDocCount: try row.decode(atIndex: 14),
            indices: try CatalogValue.strings(json: try row.decode(atIndex: 15), column: "indices", row: id),
            notifyUsers: try CatalogValue.strings(json: try row.decode(atIndex: 16), column: "notify_users", row: id),
            failureReason: try row.decode(atIndex: 17),
            isNotified: try row.decode(atIndex: 18)
        )
        if row.count > 19 {
            waitingIndices = try CatalogValue.strings(json: try row.decode(atIndex: 19), column: "waiting_indices", row: id)
        }
    }
}
