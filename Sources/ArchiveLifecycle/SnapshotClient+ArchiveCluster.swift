import BackupModels
public import Foundation
public import SnapshotClient

/// The real cluster behind the archive lifecycle. Each requirement is one request (`removeIndices` and
/// `timeRanges` one per URL-length-safe chunk):
///
/// | requirement | request |
/// |---|---|
/// | `listIndices(matching:)` | `GET /_cat/indices/<pattern>?format=json&bytes=b` |
/// | `timeRanges(of:field:)` | `POST /<i1,i2,…>/_search` (terms on `_index`, min/max of the field) |
/// | `listSnapshots(in:matching:)` | `GET /_snapshot/<repo>/<pattern>?ignore_unavailable=true` |
/// | `snapshotIfPresent(named:in:)` | `GET /_snapshot/<repo>/<name>` |
/// | `startSnapshot(named:in:indices:)` | `PUT /_snapshot/<repo>/<name>` |
/// | `deleteSnapshotIfPresent(named:in:)` | `DELETE /_snapshot/<repo>/<name>` |
/// | `restore(_:)` | `POST /_snapshot/<repo>/<name>/_restore` |
/// | `diskUsage()` | `GET /_cat/allocation?format=json&bytes=b` |
/// | `removeIndices(_:)` | `DELETE /<i1,i2,…>?ignore_unavailable=true` |
extension SnapshotClient: ArchiveCluster {
    /// The open indices matching `pattern`, with document count and primary store size.
    public func listIndices(matching pattern: String) async throws -> [ClusterIndex] {
        try await indices(matching: pattern).filter(\.isOpen).map {
            ClusterIndex(
                name: $0.name, documentCount: $0.documentCount ?? 0,
                storeSizeBytes: $0.primaryStoreSizeBytes ?? $0.storeSizeBytes ?? 0)
        }
    }

    /// The time range of `field` in each index, from one search per chunk of names.
    public func timeRanges(of indices: [String], field: String) async throws -> [String: ClosedRange<Date>] {
        guard !indices.isEmpty else { return [:] }
        return try await indexFacts(of: indices, timeField: field).compactMapValues(\.timeRange)
    }

    /// The snapshots of `repository` matching `pattern`.
    public func listSnapshots(in repository: String, matching pattern: String) async throws -> [ClusterSnapshot] {
        try await snapshots(in: repository, named: [pattern], ignoreUnavailable: true).snapshots.map(Self.clusterSnapshot)
    }

    /// One snapshot, or `nil` when the repository has none with this name.
    public func snapshotIfPresent(named name: String, in repository: String) async throws -> ClusterSnapshot? {
        do {
            return Self.clusterSnapshot(try await snapshot(named: name, in: repository))
        } catch let error as SnapshotClientError where error.isSnapshotMissing {
            return nil
        }
    }

    /// Starts a snapshot of exactly `indices`, without the global state, refusing partial snapshots.
    public func startSnapshot(named name: String, in repository: String, indices: [String]) async throws {
        _ = try await createSnapshot(
            named: name, in: repository,
            options: SnapshotOptions(indices: indices, includeGlobalState: false, partial: false), waitForCompletion: false)
    }

    /// Deletes a snapshot; a missing one is not an error.
    public func deleteSnapshotIfPresent(named name: String, in repository: String) async throws {
        do {
            try await deleteSnapshot(named: name, in: repository)
        } catch let error as SnapshotClientError where error.isSnapshotMissing {
            return
        }
    }

    /// Starts a restore with the request's rename, settings and alias choice.
    public func restore(_ request: ClusterRestoreRequest) async throws {
        let settings = request.indexSettings.mapValues { value -> JSONValue in
            if let number = Int64(value) { return .int(number) }
            if let flag = Bool(value) { return .bool(flag) }
            return .string(value)
        }
        _ = try await restoreSnapshot(
            named: request.snapshot, in: request.repository,
            options: .init(
                indices: request.indices, renamePattern: request.renamePattern,
                renameReplacement: request.renameReplacement, indexSettings: settings,
                includeAliases: request.includeAliases, includeGlobalState: false),
            waitForCompletion: false)
    }

    /// Used and total disk over the data nodes.
    public func diskUsage() async throws -> ClusterDisk {
        let allocation = try await diskAllocation()
        return ClusterDisk(usedBytes: allocation.usedBytes, totalBytes: allocation.totalBytes)
    }

    /// Deletes indices by exact name, ignoring missing ones.
    public func removeIndices(_ names: [String]) async throws {
        guard !names.isEmpty else { return }
        try await deleteIndices(names, ignoreMissing: true)
    }

    package static func clusterSnapshot(_ info: SnapshotInfo) -> ClusterSnapshot {
        let state: ClusterSnapshot.State =
            switch info.state {
            case .success: .success
            case .partial: .partial
            case .incompatible: .incompatible
            case let other where other.isRunning: .inProgress
            default: .failed
            }
        let shardReasons = info.failures.compactMap(\.reason)
        return ClusterSnapshot(
            name: info.name, state: state, indices: info.indices, startTime: info.startTime, endTime: info.endTime,
            failureReason: info.reason ?? shardReasons.first)
    }
}
