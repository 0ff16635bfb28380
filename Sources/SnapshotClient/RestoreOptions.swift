/// What a restore brings back and under which names.
public struct RestoreOptions: Hashable, Sendable {
    /// Index names or patterns from the snapshot; empty means all of them.
    public var indices: [String]
    /// A regular expression matched against each restored index name (e.g. `(.+)`).
    public var renamePattern: String?
    /// The replacement, with `$1`-style groups (e.g. `restore_$1`).
    public var renameReplacement: String?
    /// Index settings to override on the restored indices (e.g. `["index.number_of_replicas": 0]`).
    public var indexSettings: [String: JSONValue]?
    /// Index settings to drop from the snapshot's copy.
    public var ignoreIndexSettings: [String]
    /// Restore the aliases too.
    public var includeAliases: Bool?
    /// Restore the cluster state too.
    public var includeGlobalState: Bool?
    /// Restore what is available when some shards are missing.
    public var partial: Bool?
    /// Skip missing indices instead of failing.
    public var ignoreUnavailable: Bool?

    /// Creates restore options.
    public init(
        indices: [String] = [], renamePattern: String? = nil, renameReplacement: String? = nil,
        indexSettings: [String: JSONValue]? = nil, ignoreIndexSettings: [String] = [], includeAliases: Bool? = nil,
        includeGlobalState: Bool? = nil, partial: Bool? = nil, ignoreUnavailable: Bool? = nil
    ) {
        self.indices = indices
        self.renamePattern = renamePattern
        self.renameReplacement = renameReplacement
        self.indexSettings = indexSettings
        self.ignoreIndexSettings = ignoreIndexSettings
        self.includeAliases = includeAliases
        self.includeGlobalState = includeGlobalState
        self.partial = partial
        self.ignoreUnavailable = ignoreUnavailable
    }

    var body: JSONValue {
        var body: [String: JSONValue] = [:]
        if !indices.isEmpty { body["indices"] = .string(indices.joined(separator: ",")) }
        if let renamePattern { body["rename_pattern"] = .string(renamePattern) }
        if let renameReplacement { body["rename_replacement"] = .string(renameReplacement) }
        if let indexSettings { body["index_settings"] = .object(indexSettings) }
        if !ignoreIndexSettings.isEmpty { body["ignore_index_settings"] = .string(ignoreIndexSettings.joined(separator: ",")) }
        if let includeAliases { body["include_aliases"] = .bool(includeAliases) }
        if let includeGlobalState { body["include_global_state"] = .bool(includeGlobalState) }
        if let partial { body["partial"] = .bool(partial) }
        if let ignoreUnavailable { body["ignore_unavailable"] = .bool(ignoreUnavailable) }
        return .object(body)
    }
}

/// What a completed restore reports (`wait_for_completion=true`).
public struct RestoreResult: Hashable, Sendable {
    /// The snapshot restored from.
    public var snapshot: String
    /// The indices restored (their new names).
    public var indices: [String]
    /// Shard counts.
    public var shards: ShardCounts

    /// Creates a restore result.
    public init(snapshot: String, indices: [String], shards: ShardCounts) {
        self.snapshot = snapshot
        self.indices = indices
        self.shards = shards
    }
}
