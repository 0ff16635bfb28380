import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// Version-dependent snapshot conflicts, held snapshots, PARTIAL snapshots, metadata limits and restores that
/// recover, fail or carry settings: what the archive must cope with, seen through the client.
struct ClusterBehaviourTests {
    /// A cluster line and whether it allows several snapshot operations (7.7+) and restores (6.6+) at once.
    struct Line: Sendable, CustomTestStringConvertible {
        var distribution: String
        var version: String
        var concurrentSnapshots: Bool
        var concurrentRestores: Bool
        var testDescription: String { "\(distribution) \(version)" }

        var configuration: ClusterDouble.Configuration { .init(distribution: distribution, version: version) }
    }

    static let lines = [
        Line(distribution: "elasticsearch", version: "6.5.4", concurrentSnapshots: false, concurrentRestores: false),
        Line(distribution: "elasticsearch", version: "7.6.2", concurrentSnapshots: false, concurrentRestores: true),
        Line(distribution: "elasticsearch", version: "7.17.25", concurrentSnapshots: true, concurrentRestores: true),
        Line(distribution: "elasticsearch", version: "8.19.0", concurrentSnapshots: true, concurrentRestores: true),
        Line(distribution: "opensearch", version: "2.13.0", concurrentSnapshots: true, concurrentRestores: true),
    ]

    static func isConflict(_ error: any Error) -> Bool {
        guard let error = error as? SnapshotClientError else { return false }
        return error.isConcurrentSnapshotConflict && error.isRetryableClusterLimit && error.status == 503
    }

    @Test("a snapshot created while another runs conflicts before 7.7 only", arguments: lines)
    func createWhileRunning(line: Line) async throws {
        try await DoubleFixture.run(line.configuration) { double, client in
            double.addIndex(name: "logs", docs: 1, sizeBytes: 1)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            double.holdSnapshots(true)
            try await client.createSnapshot(named: "first", in: "repo")
            if line.concurrentSnapshots {
                try await client.createSnapshot(named: "second", in: "repo")
                #expect(double.snapshotNames(in: "repo") == ["first", "second"])
            } else {
                await #expect { try await client.createSnapshot(named: "second", in: "repo") } throws: { Self.isConflict($0) }
            }
        }
    }

    @Test("while a deletion runs, a delete and a restore conflict before 7.7 only", arguments: lines)
    func deletionInProgress(line: Line) async throws {
        var configuration = line.configuration
        configuration.deletionPolls = 5
        try await DoubleFixture.run(configuration) { double, client in
            double.addIndex(name: "logs", docs: 3, sizeBytes: 3)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            for name in ["a", "b", "c"] { try await client.createSnapshot(named: name, in: "repo", waitForCompletion: true) }
            try await client.deleteSnapshot(named: "a", in: "repo")
            let restore = RestoreOptions(renamePattern: "(.+)", renameReplacement: "restore_$1")
            if line.concurrentSnapshots {
                try await client.deleteSnapshot(named: "b", in: "repo")
                try await client.restoreSnapshot(named: "c", in: "repo", options: restore, waitForCompletion: true)
                #expect(double.indexNames().contains("restore_logs"))
            } else {
                await #expect { try await client.deleteSnapshot(named: "b", in: "repo") } throws: { Self.isConflict($0) }
                await #expect {
                    try await client.restoreSnapshot(named: "c", in: "repo", options: restore)
                } throws: { error in
                    Self.isConflict(error) && ((error as? SnapshotClientError)?.reason ?? "").contains("deletion is in-progress")
                }
                double.completeRunningSnapshots()
                try await client.deleteSnapshot(named: "b", in: "repo")
            }
        }
    }

    @Test("a second restore while one recovers conflicts before 6.6 only", arguments: lines)
    func restoreWhileRestoring(line: Line) async throws {
        var configuration = line.configuration
        configuration.restorePolls = 3
        try await DoubleFixture.run(configuration) { double, client in
            double.addIndex(name: "one", docs: 3, sizeBytes: 3)
            double.addIndex(name: "two", docs: 3, sizeBytes: 3)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "snap", in: "repo", waitForCompletion: true)
            func restore(_ index: String) async throws {
                try await client.restoreSnapshot(
                    named: "snap", in: "repo",
                    options: RestoreOptions(indices: [index], renamePattern: "(.+)", renameReplacement: "restore_$1"))
            }
            try await restore("one")
            if line.concurrentRestores {
                try await restore("two")
                #expect(double.indexNames().contains("restore_two"))
            } else {
                await #expect { try await restore("two") } throws: { error in
                    Self.isConflict(error) && ((error as? SnapshotClientError)?.reason ?? "").contains("Restore process is already running")
                }
            }
        }
    }

    @Test("a held snapshot stays IN_PROGRESS however often it is read, until completed")
    func heldSnapshot() async throws {
        try await DoubleFixture.run(.init(version: "7.17.25")) { double, client in
            double.addIndex(name: "logs", docs: 1, sizeBytes: 1)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            double.holdSnapshots(true)
            let answer = try await client.createSnapshot(named: "long", in: "repo", waitForCompletion: true)
            #expect(answer == nil)
            await #expect {
                _ = try await client.waitForSnapshot(named: "long", in: "repo", pollInterval: .milliseconds(1), maxPolls: 5)
            } throws: { SnapshotClientError.matches($0, .timeout) }
            #expect(try await client.snapshotStatus(named: "long", in: "repo").state.isRunning)
            double.completeRunningSnapshots()
            #expect(try await client.snapshot(named: "long", in: "repo").state == .success)
            double.holdSnapshots(true)
            try await client.createSnapshot(named: "released", in: "repo")
            double.holdSnapshots(false)
            let finished = try await client.waitForSnapshot(named: "released", in: "repo", pollInterval: .milliseconds(1), maxPolls: 3)
            #expect(finished.state == .success)
        }
    }

    @Test("a PARTIAL snapshot is SUCCESS in _status and PARTIAL in GET _snapshot")
    func partialViaGetAndStatus() async throws {
        try await DoubleFixture.run(.init(version: "7.17.25")) { double, client in
            double.addIndex(name: "logs-ok", docs: 1, sizeBytes: 1)
            double.addIndex(name: "logs-red", docs: 1, sizeBytes: 1)
            double.setHealth(.red, of: "logs-red")
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            await #expect {
                try await client.createSnapshot(named: "strict", in: "repo", options: SnapshotOptions(indices: ["logs-*"]))
            } throws: { error in ((error as? SnapshotClientError)?.reason ?? "").contains("logs-red") }
            try await client.createSnapshot(
                named: "lenient", in: "repo", options: SnapshotOptions(indices: ["logs-*"], partial: true), waitForCompletion: true)
            let snapshot = try await client.snapshot(named: "lenient", in: "repo")
            #expect(snapshot.state == .partial)
            #expect(snapshot.shards.failed == 1)
            #expect(try await client.snapshotStatus(named: "lenient", in: "repo").state == .success)
            double.deleteSnapshotOutOfBand(named: "lenient", in: "repo")
            await #expect { _ = try await client.snapshot(named: "lenient", in: "repo") } throws: {
                SnapshotClientError.matches($0, .snapshotMissing)
            }
        }
    }

    @Test("metadata: 1 KiB or more refused before sending; stored from 7.3; dropped for a known older cluster")
    func metadata() async throws {
        try await DoubleFixture.run(.init(version: "7.17.25")) { double, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            double.clearRequests()
            let large: [String: JSONValue] = ["note": .string(String(repeating: "x", count: 1_100))]
            await #expect {
                try await client.createSnapshot(named: "big", in: "repo", options: SnapshotOptions(metadata: large))
            } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.code == .invalidRequest && error.message.contains("metadata")
            }
            #expect(double.requests().isEmpty)
            let (status, json) = try await IndexAdminTests.raw(
                double, "PUT", "/_snapshot/repo/big", body: #"{"metadata":{"note":"\#(String(repeating: "x", count: 1_100))"}}"#)
            #expect(status == 400)
            #expect(json?["error"]?["type"] == "action_request_validation_exception")
            #expect(json?["error"]?["reason"]?.stringValue?.contains("metadata must be smaller than 1024 bytes") == true)
            try await client.createSnapshot(
                named: "tagged", in: "repo", options: SnapshotOptions(metadata: ["run": "r1"]), waitForCompletion: true)
            #expect(try await client.snapshot(named: "tagged", in: "repo").metadata?["run"] == "r1")
        }
        try await DoubleFixture.run(.init(version: "6.8.23")) { double, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "unknown-version", in: "repo", options: SnapshotOptions(metadata: ["run": "r1"]))
            #expect(double.requests().last?.json?["metadata"] != nil, "sent while the version is unknown")
            _ = try await client.info()
            try await client.createSnapshot(named: "known-version", in: "repo", options: SnapshotOptions(metadata: ["run": "r1"]))
            #expect(double.requests().last?.path == "/_snapshot/repo/known-version")
            #expect(double.requests().last?.json?["metadata"] == nil, "left out for 6.8")
        }
    }

    @Test("metadata one byte under the limit is accepted; at the limit it is refused before sending")
    func metadataBoundary() async throws {
        try await DoubleFixture.run(.init(version: "8.19.0")) { double, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            func metadata(bytes: Int) throws -> [String: JSONValue] {
                let overhead = try JSONValue.object(["n": ""]).encoded().count
                return ["n": .string(String(repeating: "x", count: bytes - overhead))]
            }
            let under = try metadata(bytes: SnapshotOptions.maximumMetadataBytes - 1)
            #expect(try JSONValue.object(under).encoded().count == SnapshotOptions.maximumMetadataBytes - 1)
            try await client.createSnapshot(named: "under", in: "repo", options: SnapshotOptions(metadata: under), waitForCompletion: true)
            #expect(try await client.snapshot(named: "under", in: "repo").metadata == under)
            let requestsBefore = double.requests().count
            await #expect {
                try await client.createSnapshot(
                    named: "at", in: "repo", options: SnapshotOptions(metadata: try metadata(bytes: SnapshotOptions.maximumMetadataBytes)))
            } throws: { SnapshotClientError.matches($0, .invalidRequest) }
            #expect(double.requests().count == requestsBefore)
        }
    }

    @Test("a snapshot name in use is isSnapshotAlreadyExists, running or finished; other errors are not")
    func alreadyExists() async throws {
        try await DoubleFixture.run(.init(version: "8.19.0")) { double, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            double.holdSnapshots(true)
            try await client.createSnapshot(named: "s", in: "repo")
            for _ in 0..<2 {
                await #expect { try await client.createSnapshot(named: "s", in: "repo") } throws: { error in
                    guard let error = error as? SnapshotClientError else { return false }
                    return error.isSnapshotAlreadyExists && !error.isConcurrentSnapshotConflict && !error.isRetryableClusterLimit
                }
                double.completeRunningSnapshots()
            }
            await #expect { _ = try await client.snapshot(named: "nope", in: "repo") } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return !error.isSnapshotAlreadyExists && !error.isRetryableClusterLimit
            }
        }
    }

    @Test("429 rejections and 503 cluster blocks are retryable cluster limits", arguments: [429, 503])
    func retryableLimits(status: Int) async throws {
        try await DoubleFixture.run { double, client in
            double.injectFailures(1, status: status)
            await #expect { _ = try await client.info() } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.isRetryableClusterLimit && !error.isConcurrentSnapshotConflict && error.status == status
            }
        }
    }

    @Test("a restored index is red with an initializing primary, then green with the snapshot's count")
    func restoreRecovers() async throws {
        try await DoubleFixture.run(.init(version: "7.17.25", restorePolls: 2)) { double, client in
            double.addIndex(name: "logs", docs: 42, sizeBytes: 420)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "snap", in: "repo", waitForCompletion: true)
            try await client.restoreSnapshot(
                named: "snap", in: "repo", options: RestoreOptions(renamePattern: "(.+)", renameReplacement: "restore_$1"))
            let shard = try #require(try await client.shards(matching: "restore_logs").first)
            #expect(shard.isPrimary && !shard.isActive && shard.unassignedReason == "NEW_INDEX_RESTORED")
            var seen: [IndexSummary] = []
            for _ in 0..<3 { seen += try await client.indices(matchingAny: ["restore_logs"]) }
            #expect(seen.map(\.isReadable) == [false, false, true])
            #expect(seen.map(\.documentCount) == [nil, nil, 42])
            #expect(try await client.shards(matching: "restore_logs").first?.state == "STARTED")
        }
    }

    @Test("a failing restore leaves the index red with an ALLOCATION_FAILED primary naming the recovery failure")
    func restoreFails() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(name: "logs-a", docs: 4, sizeBytes: 4)
            double.addIndex(name: "logs-b", docs: 4, sizeBytes: 4)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "snap", in: "repo", waitForCompletion: true)
            double.failRestores(of: "restore_logs-b")
            let result = try await client.restoreSnapshot(
                named: "snap", in: "repo", options: RestoreOptions(renamePattern: "(.+)", renameReplacement: "restore_$1"),
                waitForCompletion: true)
            #expect(result?.shards.failed == 1)
            for _ in 0..<3 {
                let rows = try await client.indices(matchingAny: ["restore_*"])
                #expect(rows.filter(\.isReadable).map(\.name) == ["restore_logs-a"])
            }
            let shard = try #require(try await client.shards(matching: "restore_logs-b").first)
            #expect(shard.state == "UNASSIGNED" && shard.unassignedReason == "ALLOCATION_FAILED")
            #expect(shard.unassignedDetails?.lowercased().contains("recovery") == true)
        }
    }

    @Test("a restore carries the index's settings and aliases, minus ignored settings, plus given ones")
    func restoreSettings() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(
                name: "logs", docs: 4, sizeBytes: 4, aliases: ["logs_read"],
                settings: [
                    "index.lifecycle.name": "hot-warm", "index.routing.allocation.require.box": "hot",
                    "index.number_of_replicas": "1",
                ])
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "snap", in: "repo", waitForCompletion: true)
            try await client.restoreSnapshot(
                named: "snap", in: "repo",
                options: RestoreOptions(
                    renamePattern: "(.+)", renameReplacement: "restore_$1", indexSettings: ["index.number_of_replicas": 0],
                    ignoreIndexSettings: ["index.lifecycle.name"]), waitForCompletion: true)
            let settings = double.indexSettings("restore_logs")
            #expect(settings["index.lifecycle.name"] == nil)
            #expect(settings["index.routing.allocation.require.box"] == "hot")
            #expect(settings["index.number_of_replicas"] == "0")
            #expect(double.indexSettings("logs")["index.lifecycle.name"] == "hot-warm")
            #expect(double.aliases(of: "restore_logs") == ["logs_read"])
            let body = try #require(double.requests().last { $0.path.hasSuffix("/_restore") }?.json)
            #expect(body["ignore_index_settings"] == "index.lifecycle.name")
            try await client.restoreSnapshot(
                named: "snap", in: "repo",
                options: RestoreOptions(
                    renamePattern: "(.+)", renameReplacement: "bare_$1", ignoreIndexSettings: ["index.routing.*"], includeAliases: false),
                waitForCompletion: true)
            #expect(double.indexSettings("bare_logs")["index.routing.allocation.require.box"] == nil)
            #expect(double.indexSettings("bare_logs")["index.lifecycle.name"] == "hot-warm")
            #expect(double.aliases(of: "bare_logs").isEmpty)
        }
    }
}
