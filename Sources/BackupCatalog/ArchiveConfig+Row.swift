package import BackupModels
import Foundation
import GRDB

extension ArchiveConfig {
    /// The `archive_configs` columns, in the order ``init(catalogRow:)`` reads them.
    static let catalogColumns = """
        id, instance_id, instance_type, business_id, table_id, repository, snapshot_days, time_zone, enabled, \
        created_at, updated_at
        """

    /// The columns ``init(catalogRow:)`` reads: ``catalogColumns``, the index retention (v5 on) and the
    /// layout (v6 on).
    package static let catalogReadColumns = catalogColumns + ", index_retention_days, layout"

    /// Sets the layout of the configuration just written with ``catalogUpsertSQL`` (a v6 column).
    static let catalogLayoutSQL = "UPDATE archive_configs SET layout = ? WHERE id = ?"

    /// The platform layout fields, as stored in the `layout` column.
    struct Layout: Codable {
        var dateFormat: String
        var indexTimeZone: String
        var indexWithoutAlias: IndexWithoutAliasPolicy
        var longTermIndices: [String]

        enum CodingKeys: String, CodingKey {
            case dateFormat = "date_format"
            case indexTimeZone = "index_time_zone"
            case indexWithoutAlias = "index_without_alias"
            case longTermIndices = "long_term_indices"
        }
    }

    /// The `layout` column's JSON.
    package func catalogLayout() throws -> String {
        let layout = Layout(
            dateFormat: dateFormat, indexTimeZone: indexTimeZoneIdentifier, indexWithoutAlias: indexWithoutAlias,
            longTermIndices: longTermIndices)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(layout), as: UTF8.self)
    }

    /// Sets the index retention of the configuration just written with ``catalogUpsertSQL`` (a v5 column,
    /// kept out of the upsert so that files at earlier versions can still be seeded with it).
    static let catalogRetentionSQL = "UPDATE archive_configs SET index_retention_days = ? WHERE id = ?"

    /// Inserts a configuration, or replaces every field of the one with the same id.
    static let catalogUpsertSQL = """
        INSERT INTO archive_configs (\(catalogColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET
            instance_id = excluded.instance_id, instance_type = excluded.instance_type,
            business_id = excluded.business_id, table_id = excluded.table_id, repository = excluded.repository,
            snapshot_days = excluded.snapshot_days, time_zone = excluded.time_zone, enabled = excluded.enabled,
            created_at = excluded.created_at, updated_at = excluded.updated_at
        """

    /// The arguments of ``catalogUpsertSQL``.
    var catalogArguments: StatementArguments {
        let values: [(any DatabaseValueConvertible)?] = [
            id, instanceID, instanceType.rawValue, businessID, tableID, repository, snapshotDays, timeZoneIdentifier,
            isEnabled, CatalogValue.seconds(createdAt), CatalogValue.seconds(updatedAt),
        ]
        return StatementArguments(values)
    }

    /// Reads a row selected with ``catalogReadColumns`` (or ``catalogColumns``, then the retention is 7).
    init(catalogRow row: Row) throws {
        let id: String = try row.decode(atIndex: 0)
        let typeText: String = try row.decode(atIndex: 2)
        guard let instanceType = ArchiveInstanceType(rawValue: typeText) else {
            throw CatalogValue.malformed("instance_type", typeText, row: id)
        }
        self.init(
            id: id,
            instanceID: try row.decode(atIndex: 1),
            instanceType: instanceType,
            businessID: try row.decode(atIndex: 3),
            tableID: try row.decode(atIndex: 4),
            repository: try row.decode(atIndex: 5),
            snapshotDays: try row.decode(atIndex: 6),
            indexRetentionDays: row.count > 11 ? try row.decode(atIndex: 11) : 7,
            timeZoneIdentifier: try row.decode(atIndex: 7),
            isEnabled: try row.decode(atIndex: 8),
            createdAt: CatalogValue.date(try row.decode(atIndex: 9)),
            updatedAt: CatalogValue.date(try row.decode(atIndex: 10))
        )
        if row.count > 12, let text: String = try row.decode(atIndex: 12) { try applyCatalogLayout(text) }
    }

    /// Sets the layout fields from the `layout` column's JSON.
    package mutating func applyCatalogLayout(_ text: String) throws {
        guard let layout = try? JSONDecoder().decode(Layout.self, from: Data(text.utf8)) else {
            throw CatalogValue.malformed("layout", text, row: id)
        }
        dateFormat = layout.dateFormat
        indexTimeZoneIdentifier = layout.indexTimeZone
        indexWithoutAlias = layout.indexWithoutAlias
        longTermIndices = layout.longTermIndices
    }
}
