import Foundation
import Testing

@testable import SnapshotClient

/// `_status` bodies in the shapes of versions the published responses do not cover, written from the
/// Elasticsearch 6.x reference documentation.
struct StatusShapeTests {
    static func status(_ text: String) throws -> SnapshotStatus {
        let json = try #require(JSONValue.parse(Data(text.utf8)))
        return try #require(try SnapshotStatus.list(from: json, repository: "backups").first)
    }

    @Test("6.0–6.3: number_of_files / total_size_in_bytes only")
    func legacyShape() throws {
        let status = try Self.status(
            """
            {"snapshots":[{"snapshot":"snapshot_1","repository":"backups","uuid":"XuBo4l4ISYiVg0nYUen9zg","state":"SUCCESS",
            "include_global_state":true,"shards_stats":{"initializing":0,"started":0,"finalizing":0,"done":5,"failed":0,"total":5},
            "stats":{"number_of_files":8,"processed_files":8,"total_size_in_bytes":4704,"processed_size_in_bytes":4704,
            "start_time_in_millis":1526280280355,"time_in_millis":358},"indices":{}}]}
            """)
        #expect(status.stats.incremental == SnapshotStats.Counts(files: 8, bytes: 4704))
        #expect(status.stats.total == status.stats.incremental)
        #expect(!status.stats.hasSeparateTotal)
        #expect(status.stats.processed == SnapshotStats.Counts(files: 8, bytes: 4704))
        #expect(status.stats.durationMilliseconds == 358)
        #expect(status.shards.done == 5)
    }

    @Test("6.4–6.8: both shapes, the new objects win")
    func transitionalShape() throws {
        let status = try Self.status(
            """
            {"snapshots":[{"snapshot":"snapshot_1","repository":"backups","state":"STARTED",
            "shards_stats":{"initializing":0,"started":1,"finalizing":0,"done":4,"failed":0,"total":5},
            "stats":{"incremental":{"file_count":8,"size_in_bytes":4704},"processed":{"file_count":7,"size_in_bytes":4254},
            "total":{"file_count":8,"size_in_bytes":4704},"start_time_in_millis":1526280280355,"time_in_millis":358,
            "number_of_files":8,"processed_files":7,"total_size_in_bytes":4704,"processed_size_in_bytes":4254}}]}
            """)
        #expect(status.stats.incremental == SnapshotStats.Counts(files: 8, bytes: 4704))
        #expect(status.stats.processed == SnapshotStats.Counts(files: 7, bytes: 4254))
        #expect(status.stats.hasSeparateTotal)
        #expect(status.state.isRunning)
    }

    @Test("7.0+: incremental differs from total when files are reused")
    func modernShape() throws {
        let status = try Self.status(
            """
            {"snapshots":[{"snapshot":"s2","repository":"backups","state":"SUCCESS",
            "shards_stats":{"done":1,"failed":0,"total":1},
            "stats":{"incremental":{"file_count":3,"size_in_bytes":5969},"total":{"file_count":4,"size_in_bytes":6024},
            "start_time_in_millis":1594829326691,"time_in_millis":205},
            "indices":{"logs-1":{"shards_stats":{"done":1,"total":1},"stats":{"incremental":{"file_count":3,"size_in_bytes":5969},
            "total":{"file_count":4,"size_in_bytes":6024},"start_time_in_millis":0,"time_in_millis":0}}}}]}
            """)
        #expect(status.stats.incremental.bytes == 5969)
        #expect(status.stats.total == SnapshotStats.Counts(files: 4, bytes: 6024))
        #expect(status.indices["logs-1"]?.stats.total.bytes == 6024)
        #expect(status.stats.processed == status.stats.incremental)
    }

    @Test("9.x unknown shard stats (-1) are read as zero, not negative")
    func unknownStats() throws {
        let status = try Self.status(
            """
            {"snapshots":[{"snapshot":"s","repository":"r","state":"STARTED","shards_stats":{"total":1},
            "stats":{"incremental":{"file_count":-1,"size_in_bytes":-1},"total":{"file_count":-1,"size_in_bytes":-1}}}]}
            """)
        #expect(status.stats.incremental == SnapshotStats.Counts(files: 0, bytes: 0))
        #expect(status.stats.total == SnapshotStats.Counts(files: 0, bytes: 0))
    }

    @Test("7.x multi-repository listings ('responses') are flattened")
    func multiRepositoryListing() throws {
        let json = try #require(
            JSONValue.parse(
                Data(
                    """
                    {"responses":[{"repository":"a","snapshots":[{"snapshot":"one","state":"SUCCESS","indices":["x"],"shards":{"total":1,"failed":0,"successful":1}}]},
                    {"repository":"b","snapshots":[{"snapshot":"two","state":"FAILED","indices":[],"shards":{"total":1,"failed":1,"successful":0}}]}]}
                    """.utf8)))
        let list = try SnapshotList(json: json, repository: nil)
        #expect(list.snapshots.map(\.name) == ["one", "two"])
        #expect(list.snapshots.map(\.repository) == ["a", "b"])
        #expect(list.snapshots[1].state == .failed)
    }
}
