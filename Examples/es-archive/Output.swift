import ArchiveLifecycle
import BackupModels
import Foundation
import SnapshotClient

/// The JSON documents es-archive prints (snake_case keys; documented in Documentation/Archive.md).
enum Output {
    struct Info: Encodable {
        var distribution: String
        var version: String
        var cluster_name: String
    }

    struct Snapshot: Encodable {
        var snapshot: String
        var state: String
        var indices: [String]
        var start_time: Date?
        var end_time: Date?
        var duration_ms: Int64?

        init(_ info: SnapshotInfo) {
            snapshot = info.name
            state = info.state.rawValue
            indices = info.indices.sorted()
            start_time = info.startTime
            end_time = info.endTime
            duration_ms =
                info.durationMilliseconds
                ?? info.startTime.flatMap { start in info.endTime.map { Int64(($0.timeIntervalSince(start) * 1000).rounded()) } }
        }

        enum CodingKeys: String, CodingKey { case snapshot, state, indices, start_time, end_time, duration_ms }

        /// Absent values are written as `null` so every row has every key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(snapshot, forKey: .snapshot)
            try container.encode(state, forKey: .state)
            try container.encode(indices, forKey: .indices)
            try container.encode(start_time, forKey: .start_time)
            try container.encode(end_time, forKey: .end_time)
            try container.encode(duration_ms, forKey: .duration_ms)
        }
    }

    struct Shards: Encodable {
        var total: Int
        var done: Int
        var failed: Int
    }

    /// `status --json`: the state as `GET _snapshot` reports it (PARTIAL stays PARTIAL, where `_status` says
    /// SUCCESS), shard progress, and sizes; a figure the cluster's version does not report is `null`.
    struct SnapshotStatusRow: Encodable {
        var snapshot: String
        var state: String
        var shards: Shards
        var total_size_bytes: Int64?
        var incremental_size_bytes: Int64?
        var total_files: Int64?
        var incremental_files: Int64?

        init(_ status: SnapshotStatus, state: String) {
            snapshot = status.snapshot
            self.state = state
            shards = Shards(total: status.shards.total, done: status.shards.done, failed: status.shards.failed)
            // Up to 6.3 `_status` reports only what this snapshot copied: there is no separate total.
            total_size_bytes = status.stats.hasSeparateTotal ? status.stats.total.bytes : nil
            total_files = status.stats.hasSeparateTotal ? status.stats.total.files : nil
            incremental_size_bytes = status.stats.incremental.bytes
            incremental_files = status.stats.incremental.files
        }

        enum CodingKeys: String, CodingKey {
            case snapshot, state, shards, total_size_bytes, incremental_size_bytes, total_files, incremental_files
        }

        /// Absent figures are written as `null` so every row has every key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(snapshot, forKey: .snapshot)
            try container.encode(state, forKey: .state)
            try container.encode(shards, forKey: .shards)
            try container.encode(total_size_bytes, forKey: .total_size_bytes)
            try container.encode(incremental_size_bytes, forKey: .incremental_size_bytes)
            try container.encode(total_files, forKey: .total_files)
            try container.encode(incremental_files, forKey: .incremental_files)
        }
    }

    struct RepositoryRow: Encodable {
        var name: String
        var type: String
        var settings: [String: JSONValue]

        init(_ repository: Repository) {
            name = repository.name
            type = repository.type
            settings = repository.settings.reduce(into: [:]) { result, entry in
                result[entry.key] = Output.isSecret(entry.key) ? .string("<redacted>") : entry.value
            }
        }
    }

    struct RestoreRow: Encodable {
        var id: String
        var table_id: String
        var state: String
        var start_time: Date
        var end_time: Date
        var expires_at: Date
        var created_at: Date
        var started_at: Date?
        var finished_at: Date?
        var duration_ms: Int64?
        var indices: [String]
        var total_doc_count: Int64
        var restored_doc_count: Int64
        var total_store_size_bytes: Int64
        var progress: Double
        var failure_reason: String?

        init(_ restore: RestoreConfig) {
            id = restore.id
            table_id = restore.tableID
            state = restore.state.rawValue
            start_time = restore.startTime
            end_time = restore.endTime
            expires_at = restore.expiresAt
            created_at = restore.createdAt
            started_at = restore.startedAt
            finished_at = restore.finishedAt
            duration_ms = restore.duration.map { Int64(($0 * 1000).rounded()) }
            indices = restore.indices
            total_doc_count = restore.totalDocCount
            restored_doc_count = restore.restoredDocCount
            total_store_size_bytes = restore.totalStoreSizeBytes
            progress = restore.totalDocCount > 0 ? min(1, Double(restore.restoredDocCount) / Double(restore.totalDocCount)) : 1
            failure_reason = restore.failureReason
        }

        enum CodingKeys: String, CodingKey {
            case id, table_id, state, start_time, end_time, expires_at, created_at, started_at, finished_at, duration_ms, indices
            case total_doc_count, restored_doc_count, total_store_size_bytes, progress, failure_reason
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(table_id, forKey: .table_id)
            try container.encode(state, forKey: .state)
            try container.encode(start_time, forKey: .start_time)
            try container.encode(end_time, forKey: .end_time)
            try container.encode(expires_at, forKey: .expires_at)
            try container.encode(created_at, forKey: .created_at)
            try container.encode(started_at, forKey: .started_at)
            try container.encode(finished_at, forKey: .finished_at)
            try container.encode(duration_ms, forKey: .duration_ms)
            try container.encode(indices, forKey: .indices)
            try container.encode(total_doc_count, forKey: .total_doc_count)
            try container.encode(restored_doc_count, forKey: .restored_doc_count)
            try container.encode(total_store_size_bytes, forKey: .total_store_size_bytes)
            try container.encode(progress, forKey: .progress)
            try container.encode(failure_reason, forKey: .failure_reason)
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONCoding.encoder().encode(value), as: UTF8.self)
    }

    /// A `--setting` value: `true`/`false` as booleans, everything else as the string the cluster parses.
    static func settingValue(_ text: String) -> JSONValue {
        if let flag = Bool(text) { return .bool(flag) }
        return .string(text)
    }

    /// Whether a repository setting holds a credential.
    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return ["secret", "password", "access_key", "token", "credentials", "sas"].contains { lowered.contains($0) }
    }

    /// A few lines per table of a daily cycle: the summary, then each blocked index with its reason.
    static func summary(_ report: ArchiveTableReport) -> String {
        var text = "\(report.tableID): "
        if let skipped = report.skipped { return text + "SKIPPED: \(skipped)" }
        text += "\(report.expiredIndices.count) expired, "
        if let snapshot = report.snapshot {
            text += "snapshot \(snapshot) \(report.snapshotState ?? "?") after \(report.attempts) attempt(s), "
        }
        text += "\(report.archivedIndices.count) archived, \(report.deletedIndices.count) deleted"
        if !report.deletedSnapshots.isEmpty { text += ", \(report.deletedSnapshots.count) old snapshot(s) deleted" }
        if !report.reconciledSnapshots.isEmpty { text += ", reconciled \(report.reconciledSnapshots.joined(separator: ","))" }
        if !report.goneSnapshots.isEmpty { text += ", GONE from the repository: \(report.goneSnapshots.joined(separator: ","))" }
        if report.clusterWaits > 0 { text += ", waited \(report.clusterWaits) time(s) for the cluster" }
        if let error = report.error { text += "; FAILED: \(error)" }
        for blocked in report.blocked { text += "\n  BLOCKED \(blocked.index): \(blocked.reason)" }
        for note in report.notes { text += "\n  note: \(note)" }
        return text
    }
}
