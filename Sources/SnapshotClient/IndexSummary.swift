import Foundation

/// One row of `GET /_cat/indices?format=json&bytes=b`.
public struct IndexSummary: Hashable, Sendable {
    /// The index name.
    public var name: String
    /// `green`, `yellow` or `red` (absent for closed indices).
    public var health: String?
    /// `open` or `close`.
    public var status: String?
    /// The index UUID.
    public var uuid: String?
    /// Primary shard count.
    public var primaryShards: Int?
    /// Replicas per primary.
    public var replicas: Int?
    /// Documents (Lucene documents: nested documents count; `nil` for closed indices).
    public var documentCount: Int64?
    /// Store size of all copies, in bytes.
    public var storeSizeBytes: Int64?
    /// Store size of the primaries, in bytes.
    public var primaryStoreSizeBytes: Int64?

    /// Creates a row.
    public init(
        name: String, health: String? = nil, status: String? = nil, uuid: String? = nil, primaryShards: Int? = nil,
        replicas: Int? = nil, documentCount: Int64? = nil, storeSizeBytes: Int64? = nil,
        primaryStoreSizeBytes: Int64? = nil
    ) {
        self.name = name
        self.health = health
        self.status = status
        self.uuid = uuid
        self.primaryShards = primaryShards
        self.replicas = replicas
        self.documentCount = documentCount
        self.storeSizeBytes = storeSizeBytes
        self.primaryStoreSizeBytes = primaryStoreSizeBytes
    }

    /// Whether the index is open.
    public var isOpen: Bool { status != "close" }

    /// Whether the cluster can report the index's content: it is open, not red, and `_cat/indices` gave its
    /// document count and primary store size. A red index (primaries unassigned, e.g. while a restore recovers)
    /// or a closed one reports `null` counts: it is unreadable, not empty.
    public var isReadable: Bool {
        status == "open" && health != "red" && documentCount != nil && primaryStoreSizeBytes != nil
    }

    /// Decodes the cat rows (every value a string, or `null`).
    package static func list(from json: JSONValue) throws -> [IndexSummary] {
        guard let rows = json.arrayValue else {
            throw SnapshotClientError(code: .invalidResponse, message: "_cat/indices did not answer a JSON array")
        }
        return rows.compactMap { row in
            guard let name = row["index"]?.stringValue else { return nil }
            return IndexSummary(
                name: name, health: row["health"]?.stringValue, status: row["status"]?.stringValue,
                uuid: row["uuid"]?.stringValue?.trimmingCharacters(in: .whitespaces),
                primaryShards: row["pri"]?.int64Value.map { Int($0) }, replicas: row["rep"]?.int64Value.map { Int($0) },
                documentCount: row["docs.count"]?.int64Value, storeSizeBytes: row["store.size"]?.int64Value,
                primaryStoreSizeBytes: row["pri.store.size"]?.int64Value)
        }
    }
}
