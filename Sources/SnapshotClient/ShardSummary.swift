import Foundation

/// One shard copy as `GET /_cat/shards/{index}?format=json` reports it.
public struct ShardSummary: Hashable, Sendable {
    /// The index name.
    public var index: String
    /// The shard number.
    public var shard: Int
    /// Whether this copy is the primary (`prirep: p`) rather than a replica (`r`).
    public var isPrimary: Bool
    /// `STARTED`, `INITIALIZING`, `RELOCATING` or `UNASSIGNED`.
    public var state: String
    /// Why the copy is (or was, while it initializes) unassigned, e.g. `NEW_INDEX_RESTORED`,
    /// `ALLOCATION_FAILED`, `NODE_LEFT`; `nil` when the cluster reports none.
    public var unassignedReason: String?
    /// The cluster's details of the last allocation failure, if any.
    public var unassignedDetails: String?

    /// Creates a row.
    public init(
        index: String, shard: Int, isPrimary: Bool, state: String, unassignedReason: String? = nil,
        unassignedDetails: String? = nil
    ) {
        self.index = index
        self.shard = shard
        self.isPrimary = isPrimary
        self.state = state
        self.unassignedReason = unassignedReason
        self.unassignedDetails = unassignedDetails
    }

    /// Whether the copy serves searches (`STARTED` or `RELOCATING`).
    public var isActive: Bool { state == "STARTED" || state == "RELOCATING" }

    /// Decodes the cat rows (every value a string, or `null`), sorted by index, shard, primary first.
    package static func list(from json: JSONValue) throws -> [ShardSummary] {
        guard let rows = json.arrayValue else {
            throw SnapshotClientError(code: .invalidResponse, message: "_cat/shards did not answer a JSON array")
        }
        let shards = rows.compactMap { row -> ShardSummary? in
            guard let index = row["index"]?.stringValue, let shard = row["shard"]?.int64Value,
                let state = row["state"]?.stringValue
            else { return nil }
            func text(_ key: String) -> String? {
                guard let value = row[key]?.stringValue?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
                return value
            }
            return ShardSummary(
                index: index, shard: Int(shard), isPrimary: row["prirep"]?.stringValue?.lowercased().hasPrefix("p") == true,
                state: state.uppercased(), unassignedReason: text("unassigned.reason"), unassignedDetails: text("unassigned.details"))
        }
        return shards.sorted {
            ($0.index, $0.shard, $0.isPrimary ? 0 : 1) < ($1.index, $1.shard, $1.isPrimary ? 0 : 1)
        }
    }
}
