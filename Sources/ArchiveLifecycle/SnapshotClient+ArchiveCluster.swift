import BackupModels
import Foundation
public import SnapshotClient

/// The real cluster behind the archive lifecycle. Each requirement is one request (lists of names one
/// per URL-length-safe chunk):
///
/// | requirement | request |
/// |---|---|
/// | `limits()` | `GET /` (cached) |
/// | `listIndices(matchingAny:)` | `GET /_cat/indices/<p1>,<p2>?format=json&bytes=b&expand_wildcards=open,closed` |
/// | `aliases(ofIndicesMatching:)` | `GET /<p1>,<p2>/_alias` |
/// | `timeRanges(of:field:)` | `POST /<i1,i2,…>/_search` (terms on `_index`, min/max of the field) |
/// | `blockWrites(to:)` | `PUT /<i1,i2,…>/_settings` (`index.blocks.write: true`) |
/// | `listSnapshots(in:matching:)` | `GET /_snapshot/<repo>/<pattern>?ignore_unavailable=true` |
/// | `snapshotIfPresent(named:in:)` | `GET /_snapshot/<repo>/<name>` |
/// | `startSnapshot(named:in:indices:metadata:)` | `PUT /_snapshot/<repo>/<name>` |
/// | `deleteSnapshotIfPresent(named:in:)` | `DELETE /_snapshot/<repo>/<name>` |
/// | `restore(_:)` | `POST /_snapshot/<repo>/<name>/_restore` |
/// | `restoredIndices(matching:)` | `GET /_cat/indices/<pattern>` and `GET /_cat/shards/<pattern>` |
/// | `dataNodeDisks()` | `GET /_cat/allocation?format=json&bytes=b` |
/// | `removeIndices(_:)` | `DELETE /<i1,i2,…>?ignore_unavailable=true` |
/// | `saveFacts(_:in:)` | `PUT /<facts index>/_doc/<repo>:<snapshot>?refresh=true` |
/// | `facts(of:in:index:)` | `POST /<facts index>/_mget` |
extension SnapshotClient: ArchiveCluster {
    /// What the cluster allows at once, from its version (OpenSearch behaves as Elasticsearch 7.10).
    public func limits() async throws -> ClusterLimits {
        let info = try await clusterInfo()
        let isOpenSearch = info.distribution == .opensearch
        let version = info.version
        func before(_ major: Int, _ minor: Int) -> Bool { !isOpenSearch && version < ClusterVersion(major, minor) }
        return ClusterLimits(
            version: "\(isOpenSearch ? "OpenSearch " : "")\(version.text)", oneSnapshotOperationAtATime: before(7, 7),
            oneRestoreAtATime: before(6, 6), supportsSnapshotMetadata: !before(7, 3))
    }

    /// The open and closed indices matching any pattern; unknown counts stay `nil`.
    public func listIndices(matchingAny patterns: [String]) async throws -> [ClusterIndex] {
        try await indices(matchingAny: patterns).map {
            ClusterIndex(
                name: $0.name, uuid: $0.uuid, health: $0.health, isOpen: $0.isOpen, documentCount: $0.documentCount,
                storeSizeBytes: $0.primaryStoreSizeBytes)
        }
    }

    /// The time range of `field` in each index, from one search per chunk of names; indices a shard
    /// failure hid have an unknown range.
    public func timeRanges(of indices: [String], field: String) async throws -> IndexTimeRanges {
        guard !indices.isEmpty else { return IndexTimeRanges() }
        let facts = try await indexFacts(of: indices, timeField: field)
        var ranges = IndexTimeRanges()
        for (name, fact) in facts {
            if fact.searchFailed {
                ranges.unknown.insert(name)
            } else if let range = fact.timeRange {
                ranges.ranges[name] = range
            }
        }
        return ranges
    }

    /// Sets `index.blocks.write: true` on `indices`, in URL-length-safe chunks.
    public func blockWrites(to indices: [String]) async throws {
        try await blockWrites(to: indices, maximumURLLength: 3000)
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

    /// Starts a snapshot of exactly `indices`, without the global state, refusing partial snapshots, with
    /// `metadata` on clusters that keep it (7.3 on, OpenSearch).
    public func startSnapshot(named name: String, in repository: String, indices: [String], metadata: [String: String]) async throws {
        let keepsMetadata = try await limits().supportsSnapshotMetadata
        _ = try await createSnapshot(
            named: name, in: repository,
            options: SnapshotOptions(
                indices: indices, includeGlobalState: false, partial: false,
                metadata: keepsMetadata && !metadata.isEmpty ? metadata.mapValues { .string($0) } : nil),
            waitForCompletion: false)
    }

    /// Deletes a snapshot; a missing one is not an error.
    public func deleteSnapshotIfPresent(named name: String, in repository: String) async throws {
        do {
            try await deleteSnapshot(named: name, in: repository)
        } catch let error as SnapshotClientError where error.isSnapshotMissing {
            return
        }
    }

    /// Starts a restore with the request's rename, settings, ignored settings and alias choice.
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
                ignoreIndexSettings: request.ignoreIndexSettings, includeAliases: request.includeAliases,
                includeGlobalState: false),
            waitForCompletion: false)
    }

    /// Health, readable count and failed primary recoveries of the restored indices matching `pattern`.
    public func restoredIndices(matching pattern: String) async throws -> [RestoredIndexState] {
        let rows = try await indices(matchingAny: [pattern])
        guard !rows.isEmpty else { return [] }
        var failures: [String: String] = [:]
        for shard in try await shards(matching: pattern) where shard.isPrimary && shard.state == "UNASSIGNED" {
            guard let reason = shard.unassignedReason, reason != "NEW_INDEX_RESTORED", reason != "INDEX_CREATED" else { continue }
            failures[shard.index] = [reason, shard.unassignedDetails].compactMap { $0 }.joined(separator: ": ")
        }
        return rows.map { row in
            RestoredIndexState(
                name: row.name, health: row.isOpen ? row.health : nil, documentCount: row.documentCount, failure: failures[row.name])
        }
    }

    /// The disk of every data node.
    public func dataNodeDisks() async throws -> [ClusterDisk] {
        try await diskAllocation().nodes.map { ClusterDisk(node: $0.name, usedBytes: $0.usedBytes, totalBytes: $0.totalBytes) }
    }

    /// Deletes indices by exact name, ignoring missing ones.
    public func removeIndices(_ names: [String]) async throws {
        guard !names.isEmpty else { return }
        try await deleteIndices(names, ignoreMissing: true)
    }

    /// Writes a snapshot's facts as one document, visible at once.
    public func saveFacts(_ facts: SnapshotFacts, in index: String) async throws {
        let data = try JSONEncoder().encode(facts)
        try await putDocument(try JSONDecoder().decode(JSONValue.self, from: data), id: facts.documentID, in: index)
    }

    /// The facts kept for `snapshots` of `repository`, by snapshot.
    public func facts(of snapshots: [String], in repository: String, index: String) async throws -> [String: SnapshotFacts] {
        guard !snapshots.isEmpty else { return [:] }
        let ids = snapshots.map { SnapshotFacts.documentID(repository: repository, snapshot: $0) }
        var result: [String: SnapshotFacts] = [:]
        for (_, source) in try await documents(ids: ids, in: index) {
            guard let facts = try? JSONDecoder().decode(SnapshotFacts.self, from: JSONEncoder().encode(source)),
                facts.repository == repository
            else { continue }
            result[facts.snapshot] = facts
        }
        return result
    }

    /// How the cluster refused: a limit to wait out, a taken snapshot name, or a failure.
    public nonisolated func refusal(of error: any Error) -> ClusterRefusal {
        guard let error = error as? SnapshotClientError else { return .failure }
        if error.isSnapshotAlreadyExists { return .snapshotExists }
        if error.isRetryableClusterLimit { return .busy(error.message) }
        return .failure
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
            failureReason: info.reason ?? shardReasons.first,
            metadata: (info.metadata ?? [:]).compactMapValues(\.stringValue))
    }
}
