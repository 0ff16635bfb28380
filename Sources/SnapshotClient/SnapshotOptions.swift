/// What a new snapshot holds.
public struct SnapshotOptions: Hashable, Sendable {
    /// Index names or patterns; empty means every index.
    public var indices: [String]
    /// Skip missing indices instead of failing.
    public var ignoreUnavailable: Bool?
    /// Include the cluster state (templates, persistent settings). Archives set `false`.
    public var includeGlobalState: Bool?
    /// Allow a partial snapshot when some primaries are unavailable.
    public var partial: Bool?
    /// User metadata stored with the snapshot (Elasticsearch 7.3+ and OpenSearch); its JSON must be shorter than
    /// ``maximumMetadataBytes``.
    public var metadata: [String: JSONValue]?

    /// Elasticsearch refuses snapshot metadata whose JSON is this many bytes or more.
    public static let maximumMetadataBytes = 1024

    /// Creates snapshot options.
    public init(
        indices: [String] = [], ignoreUnavailable: Bool? = nil, includeGlobalState: Bool? = nil, partial: Bool? = nil,
        metadata: [String: JSONValue]? = nil
    ) {
        self.indices = indices
        self.ignoreUnavailable = ignoreUnavailable
        self.includeGlobalState = includeGlobalState
        self.partial = partial
        self.metadata = metadata
    }

    var body: JSONValue {
        var body: [String: JSONValue] = [:]
        if !indices.isEmpty { body["indices"] = .string(indices.joined(separator: ",")) }
        if let ignoreUnavailable { body["ignore_unavailable"] = .bool(ignoreUnavailable) }
        if let includeGlobalState { body["include_global_state"] = .bool(includeGlobalState) }
        if let partial { body["partial"] = .bool(partial) }
        if let metadata { body["metadata"] = .object(metadata) }
        return .object(body)
    }
}
