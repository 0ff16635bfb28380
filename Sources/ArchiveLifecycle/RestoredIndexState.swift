/// How one restored index stands in the cluster, from `_cat/indices` and `_cat/shards`.
public struct RestoredIndexState: Hashable, Sendable {
    /// The restored index's name.
    public var name: String
    /// `green`, `yellow` or `red`; `nil` for a closed index.
    public var health: String?
    /// Documents readable now, or `nil` while the cluster cannot count them (red).
    public var documentCount: Int64?
    /// Why a primary shard failed to recover, when one did (`ALLOCATION_FAILED: …`).
    public var failure: String?

    /// Creates a state.
    public init(name: String, health: String?, documentCount: Int64?, failure: String? = nil) {
        self.name = name
        self.health = health
        self.documentCount = documentCount
        self.failure = failure
    }
}
