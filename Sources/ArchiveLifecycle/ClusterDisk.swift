import BackupModels

/// Disk use of a cluster's data nodes, summed (`_cat/allocation`).
public struct ClusterDisk: Hashable, Sendable {
    /// Bytes used on the data paths.
    public var usedBytes: Int64
    /// Bytes of the data paths in all.
    public var totalBytes: Int64

    /// Creates a disk summary.
    public init(usedBytes: Int64, totalBytes: Int64) {
        self.usedBytes = usedBytes
        self.totalBytes = totalBytes
    }
}
