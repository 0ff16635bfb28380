import BackupModels

/// An index as `_cat/indices` lists it.
public struct ClusterIndex: Hashable, Sendable {
    /// The index name.
    public var name: String
    /// Documents in the primaries.
    public var documentCount: Int64
    /// The primaries' store size in bytes (what a snapshot holds and a restore with 0 replicas takes).
    public var storeSizeBytes: Int64

    /// Creates an index description.
    public init(name: String, documentCount: Int64, storeSizeBytes: Int64) {
        self.name = name
        self.documentCount = documentCount
        self.storeSizeBytes = storeSizeBytes
    }
}
