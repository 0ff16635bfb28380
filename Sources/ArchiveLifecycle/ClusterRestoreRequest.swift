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
    /// Settings of the original index not carried into the restored one (`ignore_index_settings`):
    /// lifecycle policies and shard allocation filters, which would move or delete a `restore_*` index.
    public var ignoreIndexSettings: [String]

    /// The settings a restored index never inherits: ILM/ISM policies and allocation filters.
    public static let inheritedSettingsToIgnore = [
        "index.lifecycle.name", "index.lifecycle.rollover_alias", "index.routing.allocation.require.*",
        "index.routing.allocation.include.*", "index.routing.allocation.exclude.*",
        "index.plugins.index_state_management.policy_id",
    ]

    /// Creates a request with the lifecycle's rename and settings.
    public init(
        repository: String, snapshot: String, indices: [String], renamePattern: String = "(.+)",
        renameReplacement: String = "restore_$1", indexSettings: [String: String] = ["index.number_of_replicas": "0"],
        includeAliases: Bool = false, ignoreIndexSettings: [String] = Self.inheritedSettingsToIgnore
    ) {
        self.repository = repository
        self.snapshot = snapshot
        self.indices = indices
        self.renamePattern = renamePattern
        self.renameReplacement = renameReplacement
        self.indexSettings = indexSettings
        self.includeAliases = includeAliases
        self.ignoreIndexSettings = ignoreIndexSettings
    }
}
