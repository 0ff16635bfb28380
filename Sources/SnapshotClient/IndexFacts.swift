public import Foundation

/// What an archive records about an index: documents and the span of its time field.
public struct IndexFacts: Hashable, Sendable {
    /// The index name.
    public var index: String
    /// Documents matching `match_all` (the same number `_count` reports).
    public var documentCount: Int64
    /// The smallest value of the time field; `nil` when the index is empty or lacks the field.
    public var earliest: Date?
    /// The largest value of the time field.
    public var latest: Date?
    /// Whether a shard of this index failed the search (`_shards.failures`): count and range are then
    /// unknown, not empty.
    public var searchFailed: Bool

    /// Creates index facts.
    public init(index: String, documentCount: Int64, earliest: Date?, latest: Date?, searchFailed: Bool = false) {
        self.index = index
        self.documentCount = documentCount
        self.earliest = earliest
        self.latest = latest
        self.searchFailed = searchFailed
    }

    /// The time range, when both ends are known.
    public var timeRange: ClosedRange<Date>? {
        guard let earliest, let latest, earliest <= latest else { return nil }
        return earliest...latest
    }
}
