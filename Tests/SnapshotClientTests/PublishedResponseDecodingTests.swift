import Foundation
import Testing

@testable import SnapshotClient

/// The client decodes every published response body of the calls it makes; files are discovered, so new
/// ones are covered without code changes.
@Suite(.enabled(if: ReferenceData.areResponsesAvailable, "needs ../shared/es-rest-api/responses (or ES_REST_API_DIR)"))
struct PublishedResponseDecodingTests {
    static func data(_ response: ReferenceData.PublishedResponse) throws -> (JSONValue, Any) {
        let bytes = try Data(contentsOf: response.url)
        let json = try #require(JSONValue.parse(bytes), "\(response.relativePath) is not JSON")
        return (json, try JSONSerialization.jsonObject(with: bytes))
    }

    @Test(arguments: ReferenceData.publishedResponses(prefix: "info"))
    func info(_ response: ReferenceData.PublishedResponse) throws {
        let (json, raw) = try Self.data(response)
        let info = try ClusterInfo(json: json)
        let object = try #require(raw as? [String: Any])
        let version = try #require(object["version"] as? [String: Any])
        #expect(info.clusterName == object["cluster_name"] as? String)
        #expect(info.version.text == version["number"] as? String)
        let isOpenSearch = (version["distribution"] as? String) == "opensearch"
        #expect(info.distribution == (isOpenSearch ? .opensearch : .elasticsearch))
    }

    @Test(
        arguments: ReferenceData.publishedResponses(prefix: "snapshot.get.") + ReferenceData.publishedResponses(prefix: "snapshot.create."))
    func snapshots(_ response: ReferenceData.PublishedResponse) throws {
        let (json, raw) = try Self.data(response)
        let object = try #require(raw as? [String: Any])
        if let accepted = object["accepted"] as? Bool {
            #expect(accepted)
            #expect(json["snapshot"] == nil)
            return
        }
        let entries = try #require((object["snapshots"] as? [[String: Any]]) ?? (object["snapshot"] as? [String: Any]).map { [$0] })
        let decoded =
            try json["snapshots"] != nil
            ? SnapshotList(json: json, repository: "request_repo").snapshots
            : [SnapshotInfo(json: try #require(json["snapshot"]), repository: "request_repo")]
        #expect(decoded.count == entries.count)
        for (snapshot, entry) in zip(decoded, entries) {
            #expect(snapshot.name == entry["snapshot"] as? String)
            #expect(snapshot.state.rawValue == entry["state"] as? String)
            #expect(snapshot.indices == entry["indices"] as? [String] ?? [])
            #expect(snapshot.repository == (entry["repository"] as? String ?? "request_repo"))
            let shards = try #require(entry["shards"] as? [String: Any])
            #expect(snapshot.shards.total == shards["total"] as? Int)
            #expect(snapshot.shards.successful == shards["successful"] as? Int)
            if let start = entry["start_time_in_millis"] as? Int64 {
                #expect(snapshot.startTime == Date(timeIntervalSince1970: Double(start) / 1000))
            }
            #expect(snapshot.durationMilliseconds == entry["duration_in_millis"] as? Int64)
            if let metadata = entry["metadata"] as? [String: Any] {
                #expect(Set(snapshot.metadata?.keys ?? [:].keys) == Set(metadata.keys))
            }
        }
        if let total = object["total"] as? Int {
            #expect(try SnapshotList(json: json, repository: nil).total == total)
        }
    }

    @Test(arguments: ReferenceData.publishedResponses(prefix: "snapshot.status"))
    func status(_ response: ReferenceData.PublishedResponse) throws {
        let (json, raw) = try Self.data(response)
        let statuses = try SnapshotStatus.list(from: json, repository: "request_repo")
        let entries = try #require((raw as? [String: Any])?["snapshots"] as? [[String: Any]])
        #expect(statuses.count == entries.count)
        for (status, entry) in zip(statuses, entries) {
            let stats = try #require(entry["stats"] as? [String: Any])
            let incremental = try #require(stats["incremental"] as? [String: Any])
            let total = try #require(stats["total"] as? [String: Any])
            #expect(status.snapshot == entry["snapshot"] as? String)
            #expect(status.state.rawValue == entry["state"] as? String)
            #expect(status.stats.incremental.bytes == incremental["size_in_bytes"] as? Int64)
            #expect(status.stats.incremental.files == incremental["file_count"] as? Int64)
            #expect(status.stats.total.bytes == total["size_in_bytes"] as? Int64)
            #expect(status.stats.total.files == total["file_count"] as? Int64)
            #expect(status.stats.hasSeparateTotal)
            if let processed = stats["processed"] as? [String: Any] {
                #expect(status.stats.processed.bytes == processed["size_in_bytes"] as? Int64)
                #expect(status.state.isRunning)
            } else {
                #expect(status.stats.processed == status.stats.incremental)
            }
            let shards = try #require(entry["shards_stats"] as? [String: Any])
            #expect(status.shards.done == shards["done"] as? Int)
            #expect(status.shards.total == shards["total"] as? Int)
            let indices = try #require(entry["indices"] as? [String: Any])
            #expect(Set(status.indices.keys) == Set(indices.keys))
        }
    }

    @Test(arguments: ReferenceData.publishedResponses(prefix: "snapshot.get_repository"))
    func repositories(_ response: ReferenceData.PublishedResponse) throws {
        let (json, raw) = try Self.data(response)
        let object = try #require(raw as? [String: [String: Any]])
        let repositories = try Repository.list(from: json)
        #expect(repositories.map(\.name) == object.keys.sorted())
        for repository in repositories {
            let entry = try #require(object[repository.name])
            #expect(repository.type == entry["type"] as? String)
            #expect(repository.uuid == entry["uuid"] as? String)
            #expect(Set(repository.settings.keys) == Set((entry["settings"] as? [String: Any] ?? [:]).keys))
        }
    }

    @Test(arguments: ReferenceData.publishedResponses(prefix: "snapshot.restore"))
    func restore(_ response: ReferenceData.PublishedResponse) throws {
        let (json, raw) = try Self.data(response)
        let snapshot = try #require((raw as? [String: Any])?["snapshot"] as? [String: Any])
        let decoded = try #require(json["snapshot"])
        #expect(decoded["snapshot"]?.stringValue == snapshot["snapshot"] as? String)
        #expect(ShardCounts(json: decoded["shards"]).total == (snapshot["shards"] as? [String: Any])?["total"] as? Int)
    }

    @Test(
        arguments: ReferenceData.publishedResponses(prefix: "snapshot.cleanup_repository")
            + ReferenceData.publishedResponses(prefix: "snapshot.verify_repository"))
    func repositoryMaintenance(_ response: ReferenceData.PublishedResponse) throws {
        let (json, raw) = try Self.data(response)
        let object = try #require(raw as? [String: Any])
        if let results = object["results"] as? [String: Any] {
            #expect(json["results"]?["deleted_bytes"]?.int64Value == results["deleted_bytes"] as? Int64)
        } else {
            let nodes = try #require(object["nodes"] as? [String: Any])
            #expect(Set(json["nodes"]?.objectValue?.keys ?? [:].keys) == Set(nodes.keys))
        }
    }

    @Test(arguments: ReferenceData.publishedResponses(prefix: "cat.indices"))
    func catIndices(_ response: ReferenceData.PublishedResponse) throws {
        let (json, raw) = try Self.data(response)
        let rows = try #require(raw as? [[String: Any]])
        let summaries = try IndexSummary.list(from: json)
        #expect(summaries.count == rows.count)
        for (summary, row) in zip(summaries, rows) {
            #expect(summary.name == row["index"] as? String)
            #expect(summary.documentCount == (row["docs.count"] as? String).flatMap { Int64($0) })
            #expect(summary.uuid == (row["uuid"] as? String)?.trimmingCharacters(in: .whitespaces))
        }
    }

    @Test(arguments: ReferenceData.publishedResponses(prefix: "count"))
    func count(_ response: ReferenceData.PublishedResponse) throws {
        let (json, raw) = try Self.data(response)
        #expect(json["count"]?.int64Value == (raw as? [String: Any])?["count"] as? Int64)
    }

    @Test(arguments: ReferenceData.publishedResponses(prefix: "error."))
    func errors(_ response: ReferenceData.PublishedResponse) throws {
        let bytes = try Data(contentsOf: response.url)
        let error = SnapshotClient.clusterError(status: response.httpStatus, body: bytes, action: "test call", request: nil)
        let raw = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        let body = try #require(raw["error"] as? [String: Any])
        let type = try #require(body["type"] as? String)
        #expect(response.fileName.hasPrefix("error.\(type)."))
        #expect(error.type == type)
        #expect(error.reason == body["reason"] as? String)
        #expect(error.status == response.httpStatus)
        let expected: [String: SnapshotClientError.Code] = [
            "index_not_found_exception": .indexNotFound, "security_exception": .security,
            "repository_verification_exception": .repositoryVerification, "snapshot_restore_exception": .snapshotRestore,
            "snapshot_missing_exception": .snapshotMissing, "repository_missing_exception": .repositoryMissing,
        ]
        #expect(error.code == expected[type] ?? .cluster)
    }

    @Test(
        "responses for acknowledged calls decode as acknowledged",
        arguments: ["snapshot.delete", "indices.delete", "snapshot.create_repository", "snapshot.clone"])
    func acknowledged(prefix: String) throws {
        for response in ReferenceData.publishedResponses(prefix: prefix) {
            let (json, _) = try Self.data(response)
            #expect(json["acknowledged"]?.boolValue == true, "\(response.relativePath)")
        }
    }
}
