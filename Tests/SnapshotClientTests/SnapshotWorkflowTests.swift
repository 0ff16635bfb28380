import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// The whole snapshot workflow against the cluster double, on every supported line.
struct SnapshotWorkflowTests {
    struct Line: Sendable, CustomTestStringConvertible {
        var distribution: String
        var version: String
        var testDescription: String { "\(distribution) \(version)" }
    }

    static let lines = [
        Line(distribution: "elasticsearch", version: "6.3.2"), Line(distribution: "elasticsearch", version: "6.8.23"),
        Line(distribution: "elasticsearch", version: "7.10.2"), Line(distribution: "elasticsearch", version: "7.17.29"),
        Line(distribution: "elasticsearch", version: "8.19.0"), Line(distribution: "elasticsearch", version: "9.1.0"),
        Line(distribution: "opensearch", version: "1.3.20"), Line(distribution: "opensearch", version: "2.19.1"),
        Line(distribution: "opensearch", version: "3.2.0"),
    ]

    @Test("repository → verify → snapshot (wait and poll) → page → restore with rename → delete", arguments: lines)
    func fullWorkflow(line: Line) async throws {
        let configuration = ClusterDouble.Configuration(
            distribution: line.distribution, version: line.version, snapshotCompletion: .afterPolls(2))
        try await DoubleFixture.run(configuration) { double, client in
            let indices = DoubleFixture.seedDailyIndices(double)
            let info = try await client.info()
            #expect(info.distribution.rawValue == line.distribution)
            #expect(info.version.text == line.version)

            try await client.createRepository(named: "archive", settings: .fs(location: "/mnt/archive", compress: true))
            #expect(try await client.verifyRepository(named: "archive").count == 1)
            let repository = try await client.repository(named: "archive")
            #expect(repository.type == "fs")
            #expect(repository.settings["location"]?.stringValue == "/mnt/archive")

            let waited = try await client.createSnapshot(
                named: "logs_snapshot_20251125", in: "archive",
                options: SnapshotOptions(indices: [indices[0]], includeGlobalState: false), waitForCompletion: true)
            #expect(waited?.state == .success)
            #expect(waited?.indices == [indices[0]])

            let accepted = try await client.createSnapshot(
                named: "logs_snapshot_20251126", in: "archive", options: SnapshotOptions(indices: Array(indices[1...])))
            #expect(accepted == nil)
            var states: [SnapshotState] = []
            for _ in 0..<10 {
                let status = try await client.snapshotStatus(named: "logs_snapshot_20251126", in: "archive")
                states.append(status.state)
                if status.state.isFinished {
                    #expect(status.stats.incremental.bytes == 65_536 * 2 + 65_536 * 3)
                    #expect(status.shards.done == status.shards.total)
                    break
                }
            }
            #expect(states.first?.isRunning == true)
            #expect(states.last == .success)

            let firstPage = try await client.snapshots(in: "archive", page: SnapshotPage(size: 1))
            #expect(firstPage.snapshots.map(\.name) == ["logs_snapshot_20251125"])
            #expect(firstPage.remaining == 1)
            let secondPage = try await client.snapshots(in: "archive", page: SnapshotPage(size: 1, after: firstPage.next))
            #expect(secondPage.snapshots.map(\.name) == ["logs_snapshot_20251126"])
            #expect(secondPage.next == nil)
            let byOffset = try await client.snapshots(in: "archive", page: SnapshotPage(size: 5, sort: .name, descending: true, offset: 1))
            #expect(byOffset.snapshots.map(\.name) == ["logs_snapshot_20251125"])

            let restored = try await client.restoreSnapshot(
                named: "logs_snapshot_20251126", in: "archive",
                options: RestoreOptions(
                    renamePattern: "(.+)", renameReplacement: "restore_$1", indexSettings: ["index.number_of_replicas": 0],
                    includeAliases: false),
                waitForCompletion: true)
            #expect(restored?.indices.sorted() == indices[1...].map { "restore_\($0)" })
            #expect(try await client.documentCount(of: "restore_\(indices[2])") == 3_000)

            try await client.deleteSnapshots(named: ["logs_snapshot_20251125", "logs_snapshot_20251126"], in: "archive")
            #expect(try await client.snapshots(in: "archive").snapshots.isEmpty)
            try await client.deleteRepository(named: "archive")
            #expect(try await client.repositories().isEmpty)
        }
    }

    @Test("paging is sent to the server only where the version accepts it", arguments: lines)
    func pagingIsVersionAware(line: Line) async throws {
        try await DoubleFixture.run(.init(distribution: line.distribution, version: line.version)) { double, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            for day in 1...5 { try await client.createSnapshot(named: "snap_\(day)", in: "repo", waitForCompletion: true) }
            double.clearRequests()
            var names: [String] = []
            var cursor: String?
            repeat {
                let page = try await client.snapshots(in: "repo", page: SnapshotPage(size: 2, after: cursor))
                names += page.snapshots.map(\.name)
                cursor = page.next
            } while cursor != nil && names.count < 10
            #expect(names == (1...5).map { "snap_\($0)" })
            let sentSize = double.requests().contains { $0.query["size"] != nil }
            let serverPaging =
                line.distribution == "elasticsearch" && (ClusterVersion(line.version) ?? ClusterVersion(0, 0)) >= ClusterVersion(7, 14)
            #expect(sentSize == serverPaging)
        }
    }

    @Test("waitForSnapshot polls until the configured outcome", arguments: ["FAILED", "PARTIAL", "SUCCESS"])
    func waitForOutcome(outcome: String) async throws {
        let configuration = ClusterDouble.Configuration(snapshotCompletion: .afterPolls(3), snapshotOutcomes: ["nightly": outcome])
        try await DoubleFixture.run(configuration) { double, client in
            double.addIndex(name: "logs", docs: 10, sizeBytes: 100)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "nightly", in: "repo")
            let finished = try await client.waitForSnapshot(named: "nightly", in: "repo", pollInterval: .zero, maxPolls: 10)
            #expect(finished.state.rawValue == outcome)
            #expect(finished.shards.failed > 0 || outcome == "SUCCESS")
        }
    }

    @Test("snapshot metadata round-trips; cleanup reports what it removed")
    func metadataAndCleanup() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(name: "logs", docs: 10, sizeBytes: 100)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(
                named: "tagged", in: "repo", options: SnapshotOptions(metadata: ["taken_by": "backupkit", "table": ["id": 7]]),
                waitForCompletion: true)
            let snapshot = try await client.snapshot(named: "tagged", in: "repo")
            #expect(snapshot.metadata?["taken_by"] == "backupkit")
            #expect(snapshot.metadata?["table"]?["id"]?.int64Value == 7)
            let cleanup = try await client.cleanupRepository(named: "repo")
            #expect(cleanup.deletedBlobs == 0)
        }
    }
}
