/// The disk of one data node (`_cat/allocation`).
public struct ClusterDisk: Hashable, Sendable {
    /// The node's name.
    public var node: String
    /// Bytes used on the node's data paths.
    public var usedBytes: Int64
    /// Total bytes of the node's data paths.
    public var totalBytes: Int64

    /// Creates a node's disk description.
    public init(node: String = "node-1", usedBytes: Int64, totalBytes: Int64) {
        self.node = node
        self.usedBytes = usedBytes
        self.totalBytes = totalBytes
    }
}
