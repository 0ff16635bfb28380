import BackupCatalog
import BackupModels
import Foundation
import Logging

/// One index of one archive snapshot restored as `drill_<index>` and compared with its archived row.
public struct ArchiveDrillResult: Sendable, Hashable {
    public var repository: String
    public var snapshot: String
    /// The archived index.
    public var index: String
    /// The name it was restored under (`drill_<index>`), deleted again afterwards.
    public var restoredAs: String
    /// The document count the catalog's archived row holds.
    public var expectedDocuments: Int64
    /// The documents the restored index held, `nil` when it never became readable.
    public var restoredDocuments: Int64?
    /// Why the drill failed; `nil` when it passed.
    public var error: String?

    /// Whether the restored index held exactly the archived count.
    public var passed: Bool { error == nil }
}

extension ArchiveLifecycle {
    /// The prefix of a drill's restored index names.
    public static let drillPrefix = "drill_"

    /// Proves sampled archive snapshots of a table restorable: for the newest successful snapshot and
    /// `sample` random older ones, one of its archived indices is restored as `drill_<index>` (0 replicas,
    /// no aliases, no lifecycle settings), its document count is compared with the archived row's once it
    /// is readable, and the index is deleted again. A failed drill sends a `drill_failed` event (details
    /// `table_id`, `repository`, `snapshot`, `index`, `reason`).
    ///
    /// An index named `drill_<index>` already on the cluster is never replaced: that drill fails instead.
    ///
    /// - Parameters:
    ///   - tableID: The table whose snapshots are drilled.
    ///   - sample: How many random older snapshots besides the newest.
    ///   - generator: Picks the older snapshots and the index of each.
    /// - Returns: One result per drilled snapshot, newest first.
    /// - Throws: Catalog errors; cluster errors are failed drills, not thrown.
    public func drill(tableID: String, sample: Int = 1, using generator: inout some RandomNumberGenerator) async throws
        -> [ArchiveDrillResult]
    {
        let snapshots = try await catalog.archiveSnapshots(tableID: tableID).filter { $0.state == .success }.reversed()
        guard let newest = snapshots.first else { return [] }
        let older = Array(snapshots.dropFirst()).shuffled(using: &generator).prefix(max(0, sample))
        var results: [ArchiveDrillResult] = []
        for snapshot in [newest] + older {
            let indices = try await catalog.archivedIndices(repository: snapshot.repository, snapshot: snapshot.snapshot)
            guard let index = indices.randomElement(using: &generator) else { continue }
            let result = await drill(index)
            if let error = result.error {
                logger.error(
                    "archive drill failed", metadata: ["snapshot": "\(snapshot.snapshot)", "index": "\(index.index)", "error": "\(error)"])
                await deliver(
                    BackupEvent(
                        kind: .drillFailed, occurredAt: Date(),
                        details: [
                            "table_id": tableID, "repository": snapshot.repository, "snapshot": snapshot.snapshot,
                            "index": index.index, "reason": error,
                        ]))
            }
            results.append(result)
        }
        return results
    }

    /// Restores one archived index as `drill_<index>`, waits until it is readable, compares, deletes it.
    private func drill(_ index: ArchivedIndex) async -> ArchiveDrillResult {
        let restoredAs = Self.drillPrefix + index.index
        var result = ArchiveDrillResult(
            repository: index.repository, snapshot: index.snapshot, index: index.index, restoredAs: restoredAs,
            expectedDocuments: index.docCount, restoredDocuments: nil, error: nil)
        do {
            guard try await cluster.restoredIndices(matching: restoredAs).isEmpty else {
                result.error = "\(restoredAs) already exists on the cluster; a drill never replaces an index"
                return result
            }
            try await cluster.restore(
                ClusterRestoreRequest(
                    repository: index.repository, snapshot: index.snapshot, indices: [index.index], renamePattern: "(.+)",
                    renameReplacement: Self.drillPrefix + "$1"))
        } catch {
            result.error = "restoring \(index.index) from \(index.snapshot) failed: \(error)"
            return result
        }
        result = await waitForDrillIndex(restoredAs, expecting: index.docCount, result)
        do {
            try await cluster.removeIndices([restoredAs])
        } catch {
            logger.warning("archive drill: cannot delete the restored index", metadata: ["index": "\(restoredAs)", "error": "\(error)"])
        }
        return result
    }

    /// Polls a drill's restored index until it is readable, failed or gone, and compares its count.
    private func waitForDrillIndex(_ restoredAs: String, expecting expected: Int64, _ start: ArchiveDrillResult) async
        -> ArchiveDrillResult
    {
        var result = start
        do {
            for _ in 0..<max(1, options.maxPolls) {
                let state = try await cluster.restoredIndices(matching: restoredAs).first { $0.name == restoredAs }
                guard let state else {
                    result.error = "\(restoredAs) disappeared from the cluster during the drill"
                    return result
                }
                if let failure = state.failure {
                    result.error = "\(restoredAs): recovery failed: \(failure)"
                    return result
                }
                if state.health != nil, state.health != "red", let count = state.documentCount {
                    result.restoredDocuments = count
                    if count != expected {
                        result.error = "\(restoredAs) holds \(count) documents, the archive recorded \(expected)"
                    }
                    return result
                }
                try await sleep(options.pollInterval)
            }
            result.error = "\(restoredAs) did not become readable within \(options.maxPolls) polls"
        } catch {
            result.error = "reading \(restoredAs) failed: \(error)"
        }
        return result
    }
}
