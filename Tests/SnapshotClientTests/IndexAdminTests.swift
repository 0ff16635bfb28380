import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SnapshotClient
import SnapshotClientTesting
import Testing

/// The index calls an archive needs beyond snapshots: listing with closed and red indices, aliases, write blocks,
/// small documents and shard states, each against the double over HTTP.
struct IndexAdminTests {
    @Test("indices(matchingAny:) lists open, closed and red indices in one request; unknown counts stay nil")
    func listsAllStatuses() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(name: "v2_2_bklog_app_2026112500_0", docs: 10, sizeBytes: 1_000)
            double.addIndex(name: "v2_2_bklog_app_2026112400_0", docs: 20, sizeBytes: 2_000, open: false)
            double.addIndex(name: "2_bklog_app_20261123_0", docs: 30, sizeBytes: 3_000)
            double.addIndex(name: "other", docs: 1, sizeBytes: 1)
            double.setHealth(.red, of: "2_bklog_app_20261123_0")
            _ = try await client.info()
            double.clearRequests()
            let rows = try await client.indices(matchingAny: ["v2_2_bklog_app_*", "2_bklog_app_*"])
            #expect(rows.map(\.name) == ["2_bklog_app_20261123_0", "v2_2_bklog_app_2026112400_0", "v2_2_bklog_app_2026112500_0"])
            let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0) })
            let open = try #require(byName["v2_2_bklog_app_2026112500_0"])
            #expect(open.documentCount == 10 && open.primaryStoreSizeBytes == 1_000 && open.isReadable)
            let closed = try #require(byName["v2_2_bklog_app_2026112400_0"])
            #expect(closed.status == "close" && closed.documentCount == nil && closed.primaryStoreSizeBytes == nil)
            #expect(!closed.isReadable)
            let red = try #require(byName["2_bklog_app_20261123_0"])
            #expect(red.health == "red" && red.documentCount == nil && red.storeSizeBytes == nil && !red.isReadable)
            let requests = double.requests()
            #expect(requests.count == 1)
            #expect(requests.first?.path == "/_cat/indices/2_bklog_app_*,v2_2_bklog_app_*")
            #expect(requests.first?.query["expand_wildcards"] == "open,closed")
            #expect(try await client.indices(matchingAny: ["nothing_*"]).isEmpty)
            #expect(try await client.indices(matchingAny: []).isEmpty)
        }
    }

    @Test("before 7.7 _cat/indices refuses expand_wildcards: the client leaves it out and closed indices are still listed")
    func olderClustersListClosed() async throws {
        try await DoubleFixture.run(.init(version: "7.6.2")) { double, client in
            double.addIndex(name: "logs-a", docs: 1, sizeBytes: 1, open: false)
            double.addIndex(name: "logs-b", docs: 2, sizeBytes: 2)
            let rows = try await client.indices(matchingAny: ["logs-*"])
            #expect(rows.map(\.name) == ["logs-a", "logs-b"])
            #expect(rows.first?.status == "close")
            #expect(double.requests().allSatisfy { $0.query["expand_wildcards"] == nil })
        }
    }

    @Test("a missing exact name among patterns does not hide the indices that exist")
    func missingExactName() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(name: "logs-a", docs: 1, sizeBytes: 1)
            let rows = try await client.indices(matchingAny: ["logs-*", "gone-index"])
            #expect(rows.map(\.name) == ["logs-a"])
            #expect(try await client.indices(matchingAny: ["gone-index"]).isEmpty)
        }
    }

    @Test("aliases(ofIndicesMatching:) returns each index's aliases, [] for none, [:] when nothing matches")
    func aliases() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(
                name: "v2_2_bklog_app_20261125_0", docs: 1, sizeBytes: 1,
                aliases: ["2_bklog_app_20261125_read", "write_20261125_2_bklog_app"])
            double.addIndex(name: "v2_2_bklog_app_20261124_0", docs: 1, sizeBytes: 1, open: false)
            double.addIndex(name: "2_bklog_app_20261120_0", docs: 1, sizeBytes: 1)
            double.addAlias("2_bklog_app_20261126_read", to: "v2_2_bklog_app_20261125_0")
            double.clearRequests()
            let aliases = try await client.aliases(ofIndicesMatching: ["v2_2_bklog_app_*", "2_bklog_app_*"])
            #expect(
                aliases == [
                    "v2_2_bklog_app_20261125_0": [
                        "2_bklog_app_20261125_read", "2_bklog_app_20261126_read", "write_20261125_2_bklog_app",
                    ],
                    "v2_2_bklog_app_20261124_0": [], "2_bklog_app_20261120_0": [],
                ])
            #expect(double.requests().count == 1)
            #expect(double.aliases(of: "v2_2_bklog_app_20261125_0").count == 3)
            #expect(try await client.aliases(ofIndicesMatching: ["none_*"]).isEmpty)
            #expect(try await client.aliases(ofIndicesMatching: ["missing-exact"]).isEmpty)
        }
    }

    @Test("blockWrites sets index.blocks.write, in URL-sized chunks; later writes are refused")
    func blockWrites() async throws {
        try await DoubleFixture.run { double, client in
            let names = (0..<40).map { "v2_2_bklog_some_long_table_name_2026112\($0 % 10)_\($0)" }
            for name in names { double.addIndex(name: name, docs: 5, sizeBytes: 50) }
            double.addIndex(name: "untouched", docs: 1, sizeBytes: 1)
            #expect(double.addDocuments(3, to: names[0], latest: nil))
            double.clearRequests()
            try await client.blockWrites(to: names, maximumURLLength: 400)
            let puts = double.requests().filter { $0.method == "PUT" }
            #expect(puts.count > 1)
            for request in puts { #expect(double.url.utf8.count + request.path.utf8.count <= 400) }
            for name in names { #expect(double.indexSettings(name)["index.blocks.write"] == "true") }
            #expect(double.indexSettings("untouched")["index.blocks.write"] == nil)
            #expect(!double.addDocuments(3, to: names[0], latest: nil))
            #expect(try await client.indices(matchingAny: [names[0]]).first?.documentCount == 8)
            await #expect {
                try await client.putDocument(["a": 1], id: "x", in: names[0])
            } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.status == 403 && error.type == "cluster_block_exception"
            }
            await #expect { try await client.blockWrites(to: ["no-such-index"]) } throws: {
                SnapshotClientError.matches($0, .indexNotFound)
            }
        }
    }

    @Test("putDocument creates the index and documents(ids:) reads it back; odd ids survive the URL")
    func documents() async throws {
        try await DoubleFixture.run(.init(version: "6.8.23")) { double, client in
            #expect(try await client.documents(ids: ["a"], in: "bk_archive_state").isEmpty)
            let odd = "2_bklog.app/2026,11*25 #1"
            try await client.putDocument(["table": "2_bklog.app", "state": "done", "count": 3], id: odd, in: "bk_archive_state")
            try await client.putDocument(["table": "other"], id: "plain", in: "bk_archive_state")
            try await client.putDocument(["table": "other", "state": "updated"], id: "plain", in: "bk_archive_state")
            let read = try await client.documents(ids: [odd, "plain", "absent"], in: "bk_archive_state")
            #expect(Set(read.keys) == [odd, "plain"])
            #expect(read[odd]?["state"] == "done")
            #expect(read[odd]?["count"]?.int64Value == 3)
            #expect(read["plain"]?["state"] == "updated")
            let listed = try await client.indices(matchingAny: ["bk_archive_state"])
            #expect(listed.first?.documentCount == 2)
            #expect(double.documents(in: "bk_archive_state").count == 2)
        }
    }

    @Test("shards(matching:) reports started, unassigned (red) and replica (yellow) copies; [] for nothing")
    func shards() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(name: "logs-green", docs: 1, sizeBytes: 1)
            double.addIndex(name: "logs-red", docs: 1, sizeBytes: 1)
            double.addIndex(name: "logs-yellow", docs: 1, sizeBytes: 1)
            double.setHealth(.red, of: "logs-red")
            double.setHealth(.yellow, of: "logs-yellow")
            let shards = try await client.shards(matching: "logs-*")
            let green = shards.filter { $0.index == "logs-green" }
            #expect(green.count == 1 && green.first?.isPrimary == true && green.first?.state == "STARTED")
            #expect(green.first?.unassignedReason == nil)
            let red = try #require(shards.first { $0.index == "logs-red" })
            #expect(red.isPrimary && red.state == "UNASSIGNED" && red.unassignedReason != nil && !red.isActive)
            let yellow = shards.filter { $0.index == "logs-yellow" }
            #expect(yellow.contains { $0.isPrimary && $0.state == "STARTED" })
            #expect(yellow.contains { !$0.isPrimary && $0.state == "UNASSIGNED" })
            #expect(try await client.shards(matching: "none-*").isEmpty)
            #expect(try await client.shards(matching: "missing-exact").isEmpty)
            let indices = try await client.indices(matchingAny: ["logs-*"])
            #expect(indices.first { $0.name == "logs-yellow" }?.isReadable == true)
        }
    }

    @Test("re-adding an index gives it a new UUID; addDocuments extends count and time range")
    func reseeding() async throws {
        try await DoubleFixture.run { double, client in
            let start = Date(timeIntervalSince1970: 1_764_028_800)
            double.addIndex(name: "logs", docs: 10, sizeBytes: 100, timeRange: start...start.addingTimeInterval(60))
            let first = try #require(double.indexUUID("logs"))
            #expect(double.addDocuments(5, to: "logs", latest: start.addingTimeInterval(3_600)))
            let facts = try await client.indexFacts(of: ["logs"], timeField: "@timestamp")["logs"]
            #expect(facts?.documentCount == 15)
            #expect(facts?.latest == start.addingTimeInterval(3_600))
            double.addIndex(name: "logs", docs: 1, sizeBytes: 1)
            #expect(double.indexUUID("logs") != first)
            #expect(double.indexUUID("absent") == nil)
            #expect(!double.addDocuments(1, to: "absent", latest: nil))
        }
    }

    @Test("a red index fails its shard of a search; a closed one is refused unless ignore_unavailable")
    func searchOverUnreadable() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(name: "logs-ok", docs: 4, sizeBytes: 4)
            double.addIndex(name: "logs-red", docs: 9, sizeBytes: 9)
            double.addIndex(name: "logs-closed", docs: 9, sizeBytes: 9, open: false)
            double.setHealth(.red, of: "logs-red")
            let body = #"{"size":0,"aggs":{"per_index":{"terms":{"field":"_index"}}}}"#
            let (status, json) = try await Self.raw(double, "POST", "/logs-ok,logs-red/_search", body: body)
            #expect(status == 200)
            #expect(json?["_shards"]?["failed"]?.int64Value == 1)
            #expect(json?["_shards"]?["failures"]?.arrayValue?.first?["index"] == "logs-red")
            let keys = json?["aggregations"]?["per_index"]?["buckets"]?.arrayValue?.compactMap { $0["key"]?.stringValue }
            #expect(keys == ["logs-ok"])
            let (closedStatus, closed) = try await Self.raw(double, "POST", "/logs-closed/_search", body: body)
            #expect(closedStatus == 400)
            #expect(closed?["error"]?["type"] == "index_closed_exception")
            let (ignoredStatus, _) = try await Self.raw(double, "POST", "/logs-closed/_search?ignore_unavailable=true", body: body)
            #expect(ignoredStatus == 200)
            await #expect { _ = try await client.documentCount(of: "logs-closed") } throws: { error in
                (error as? SnapshotClientError)?.type == "index_closed_exception"
            }
        }
    }

    @Test("_cat/allocation reports every configured data node and the unassigned shards")
    func severalNodes() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(name: "a", docs: 1, sizeBytes: 10)
            double.addIndex(name: "b", docs: 1, sizeBytes: 20)
            double.addIndex(name: "c", docs: 1, sizeBytes: 30)
            double.setHealth(.red, of: "c")
            double.setNodes([("hot-1", 600, 1_000), ("hot-2", 900, 1_000)])
            let disk = try await client.diskAllocation()
            #expect(disk.nodes.map(\.name).sorted() == ["hot-1", "hot-2"])
            #expect(disk.nodes.first { $0.name == "hot-2" }?.usedBytes == 900)
            #expect(disk.unassignedShards == 1)
            double.setDisk(usedBytes: 5, totalBytes: 10)
            #expect(try await client.diskAllocation().nodes.map(\.usedBytes) == [5])
        }
    }

    /// Sends a raw request to the double.
    static func raw(_ double: ClusterDouble, _ method: String, _ path: String, body: String? = nil) async throws -> (Int, JSONValue?) {
        var request = HTTPClientRequest(url: double.url + path)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)))
    }
}
