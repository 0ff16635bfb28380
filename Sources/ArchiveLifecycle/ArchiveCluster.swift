import BackupModels
public import Foundation

/// What the archive lifecycle needs from an Elasticsearch or OpenSearch cluster, and nothing more.
///
/// Every requirement is one HTTP request in ``SnapshotClient/SnapshotClient``'s conformance (deleting
/// many indices may take a few, in URL-length-safe chunks), and every bulk requirement takes a whole
/// table's indices at once: a daily cycle sends requests in proportion to tables, not to indices.
/// Tests conform an in-memory fake.
public protocol ArchiveCluster: Sendable {
    /// The indices matching `pattern` (`_cat/indices/<pattern>`), with document count and primary store
    /// size. `pattern` may hold `*` wildcards.
    func listIndices(matching pattern: String) async throws -> [ClusterIndex]

    /// The earliest and latest value of the time field `field` in each of `indices`, in one request.
    /// Indices without a value are absent from the result.
    func timeRanges(of indices: [String], field: String) async throws -> [String: ClosedRange<Date>]

    /// The snapshots of `repository` whose names match `pattern` (`*` wildcards), any state.
    func listSnapshots(in repository: String, matching pattern: String) async throws -> [ClusterSnapshot]

    /// One snapshot, or `nil` if the repository has none with this name.
    func snapshotIfPresent(named name: String, in repository: String) async throws -> ClusterSnapshot?

    /// Starts a snapshot of exactly `indices` with `include_global_state: false` and `partial: false`,
    /// without waiting for it to finish.
    func startSnapshot(named name: String, in repository: String, indices: [String]) async throws

    /// Deletes a snapshot (missing snapshots are not an error).
    func deleteSnapshotIfPresent(named name: String, in repository: String) async throws

    /// Starts restoring indices of one snapshot, without waiting.
    func restore(_ request: ClusterRestoreRequest) async throws

    /// Disk use summed over the data nodes (`_cat/allocation`).
    func diskUsage() async throws -> ClusterDisk

    /// Deletes indices by exact name; missing ones are ignored.
    func removeIndices(_ names: [String]) async throws
}
