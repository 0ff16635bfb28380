package import BackupModels
import Foundation
import GRDB

extension BackupRecord {
    /// The `backups` columns, in the order ``init(catalogRow:artifacts:)`` reads them.
    package static let catalogColumns =
        "id, plan, source, kind, parent_id, label, state, started_at, finished_at, host, tags, failure_reason, position"

    /// Inserts one row into `backups` (artifacts are inserted separately).
    static let catalogInsertSQL = "INSERT INTO backups (\(catalogColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    /// The arguments of ``catalogInsertSQL`` for this record.
    func catalogArguments() throws -> StatementArguments {
        let values: [(any DatabaseValueConvertible)?] = [
            id.rawValue, plan, source, kind.rawValue, parentID?.rawValue, label.rawValue, state.rawValue,
            CatalogValue.seconds(startedAt), finishedAt.map(CatalogValue.seconds), host, try CatalogValue.json(tags),
            failureReason, try position.map(CatalogValue.json),
        ]
        return StatementArguments(values)
    }

    /// Reads a row selected with ``catalogColumns``.
    init(catalogRow row: Row, artifacts: [ArtifactDescriptor]) throws {
        let id: String = try row.decode(atIndex: 0)
        let kindText: String = try row.decode(atIndex: 3)
        let labelText: String = try row.decode(atIndex: 5)
        let stateText: String = try row.decode(atIndex: 6)
        guard let kind = BackupKind(rawValue: kindText) else { throw CatalogValue.malformed("kind", kindText, row: id) }
        guard let state = BackupState(rawValue: stateText) else { throw CatalogValue.malformed("state", stateText, row: id) }
        guard let label = try? BackupLabel(labelText) else { throw CatalogValue.malformed("label", labelText, row: id) }
        let parentID: String? = try row.decode(atIndex: 4)
        let finishedAt: Double? = try row.decode(atIndex: 8)
        let position: String? = try row.decode(atIndex: 12)
        self.init(
            id: BackupID(rawValue: id),
            plan: try row.decode(atIndex: 1),
            source: try row.decode(atIndex: 2),
            kind: kind,
            parentID: parentID.map(BackupID.init(rawValue:)),
            label: label,
            state: state,
            startedAt: CatalogValue.date(try row.decode(atIndex: 7)),
            finishedAt: finishedAt.map(CatalogValue.date),
            artifacts: artifacts,
            position: try position.map { try CatalogValue.position(json: $0, row: id) },
            tags: try CatalogValue.strings(json: try row.decode(atIndex: 10), column: "tags", row: id),
            host: try row.decode(atIndex: 9),
            failureReason: try row.decode(atIndex: 11)
        )
    }
}
