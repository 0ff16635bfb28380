/// The cluster's disk use from `GET /_cat/allocation?format=json&bytes=b`.
public struct DiskAllocation: Hashable, Sendable {
    /// One data node's disk.
    public struct Node: Hashable, Sendable {
        /// The node's name.
        public var name: String
        /// Shards allocated to it.
        public var shards: Int
        /// Bytes used by indices.
        public var indicesBytes: Int64?
        /// Bytes used on the disk (by anything).
        public var usedBytes: Int64
        /// Bytes available.
        public var availableBytes: Int64?
        /// Disk size.
        public var totalBytes: Int64

        /// Creates a node entry.
        public init(
            name: String, shards: Int, indicesBytes: Int64? = nil, usedBytes: Int64, availableBytes: Int64? = nil,
            totalBytes: Int64
        ) {
            self.name = name
            self.shards = shards
            self.indicesBytes = indicesBytes
            self.usedBytes = usedBytes
            self.availableBytes = availableBytes
            self.totalBytes = totalBytes
        }
    }

    /// Data nodes with a known disk (the `UNASSIGNED` row is left out).
    public var nodes: [Node]
    /// Shards not allocated to any node.
    public var unassignedShards: Int

    /// Creates an allocation summary.
    public init(nodes: [Node], unassignedShards: Int = 0) {
        self.nodes = nodes
        self.unassignedShards = unassignedShards
    }

    /// Bytes used over all nodes.
    public var usedBytes: Int64 { nodes.reduce(0) { Self.saturatingSum($0, $1.usedBytes) } }
    /// Disk size over all nodes.
    public var totalBytes: Int64 { nodes.reduce(0) { Self.saturatingSum($0, $1.totalBytes) } }

    /// `a + b`, clamped to Int64's range: a cluster's numbers must not trap the client.
    private static func saturatingSum(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b < 0 ? .min : .max) : sum
    }
    /// Used over total, `0...1` (0 when nothing is known).
    public var usedFraction: Double { totalBytes > 0 ? Double(usedBytes) / Double(totalBytes) : 0 }

    /// Decodes the cat rows.
    package static func decode(from json: JSONValue) throws -> DiskAllocation {
        guard let rows = json.arrayValue else {
            throw SnapshotClientError(code: .invalidResponse, message: "_cat/allocation did not answer a JSON array")
        }
        var nodes: [Node] = []
        var unassigned = 0
        for row in rows {
            let shards = Int(row["shards"]?.int64Value ?? 0)
            guard let used = row["disk.used"]?.int64Value, let total = row["disk.total"]?.int64Value else {
                if row["node"]?.stringValue == "UNASSIGNED" { unassigned += shards }
                continue
            }
            nodes.append(
                Node(
                    name: row["node"]?.stringValue ?? "", shards: shards, indicesBytes: row["disk.indices"]?.int64Value,
                    usedBytes: used, availableBytes: row["disk.avail"]?.int64Value, totalBytes: total))
        }
        return DiskAllocation(nodes: nodes, unassignedShards: unassigned)
    }
}
