import BackupModels

/// A restore of some indices of one snapshot, as the archive lifecycle sends it.
public struct ClusterRestoreRequest: Hashable, Sendable {
    /// The snapshot repository.
    public var repository: String
    /// The snapshot.
    public var snapshot: String
    /// The indices to restore, by their names in the snapshot.
    public var indices: [String]
    /// The regular expression applied to each index name (`(.+)`).
    public var renamePattern: String
    /// The new name, with `$1` for the first group (`restore_$1`).
    public var renameReplacement: String
    /// Settings of the restored indices (`index.number_of_replicas: 0`).
    public var indexSettings: [String: String]
    /// Whether aliases are restored too.
    public var includeAliases: Bool

    /// Creates a request with the lifecycle's rename and settings.
    public init(
        repository: String, snapshot: String, indices: [String], renamePattern: String = "(.+)",
        renameReplacement: String = "restore_$1", indexSettings: [String: String] = ["index.number_of_replicas": "0"],
        includeAliases: Bool = false
    ) {
        self.repository = repository
        self.snapshot = snapshot
        self.indices = indices
        self.renamePattern = renamePattern
        self.renameReplacement = renameReplacement
        self.indexSettings = indexSettings
        self.includeAliases = includeAliases
    }
}
