import Foundation

/// What the archive lifecycle needs from an Elasticsearch or OpenSearch cluster, and nothing more.
///
/// Every requirement is one HTTP request in ``SnapshotClient/SnapshotClient``'s conformance (lists of
/// names go in URL-length-safe chunks), and every bulk requirement takes a whole table's indices at once:
/// a daily cycle sends requests in proportion to tables, not to indices or aliases.
public protocol ArchiveCluster: Sendable {
    /// What the cluster allows at once, by its version (`GET /`).
    func limits() async throws -> ClusterLimits

    /// The open and closed indices matching any of `patterns` (`_cat/indices/<p1>,<p2>`), with UUID,
    /// health, and document count and primary store size as the cluster reports them (`nil` when it
    /// cannot: red or closed indices).
    func listIndices(matchingAny patterns: [String]) async throws -> [ClusterIndex]

    /// The aliases on each index matching any of `patterns` (`GET /<p1>,<p2>/_alias`); an index without
    /// aliases maps to `[]`.
    func aliases(ofIndicesMatching patterns: [String]) async throws -> [String: [String]]

    /// The earliest and latest value of the time field `field` in each of `indices`, in one search per
    /// chunk. Indices without a value are absent; indices a shard failure hid are in
    /// ``IndexTimeRanges/unknown``.
    func timeRanges(of indices: [String], field: String) async throws -> IndexTimeRanges

    /// Sets `index.blocks.write: true` on `indices` (`PUT /<indices>/_settings`).
    func blockWrites(to indices: [String]) async throws

    /// The snapshots of `repository` whose names match `pattern` (`GET /_snapshot/<repo>/<pattern>`), any
    /// state; PARTIAL is told apart from SUCCESS, as only this API does.
    func listSnapshots(in repository: String, matching pattern: String) async throws -> [ClusterSnapshot]

    /// One snapshot, or `nil` if the repository has none with this name.
    func snapshotIfPresent(named name: String, in repository: String) async throws -> ClusterSnapshot?

    /// Starts a snapshot of exactly `indices` with `include_global_state: false` and `partial: false`,
    /// carrying `metadata` when the cluster keeps metadata, without waiting for it to finish.
    func startSnapshot(named name: String, in repository: String, indices: [String], metadata: [String: String]) async throws

    /// Deletes a snapshot (missing snapshots are not an error).
    func deleteSnapshotIfPresent(named name: String, in repository: String) async throws

    /// Starts restoring indices of one snapshot, without waiting.
    func restore(_ request: ClusterRestoreRequest) async throws

    /// How the restored indices matching `pattern` stand: health, readable count, failed recoveries
    /// (`_cat/indices` and `_cat/shards`).
    func restoredIndices(matching pattern: String) async throws -> [RestoredIndexState]

    /// The disk of every data node (`_cat/allocation`).
    func dataNodeDisks() async throws -> [ClusterDisk]

    /// Deletes indices by exact name; missing ones are ignored.
    func removeIndices(_ names: [String]) async throws

    /// Writes one snapshot's facts as a document of `index` (created on first use), visible at once.
    func saveFacts(_ facts: SnapshotFacts, in index: String) async throws

    /// The facts of `snapshots` of `repository` kept in `index`, by snapshot name; missing ones are absent.
    func facts(of snapshots: [String], in repository: String, index: String) async throws -> [String: SnapshotFacts]

    /// How the cluster refused a request that threw `error`.
    func refusal(of error: any Error) -> ClusterRefusal
}
