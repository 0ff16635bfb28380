import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// Document counts, sizes, time ranges, cat listings, disk and deletion against the double.
struct IndexFactsTests {
    @Test("facts of many indices take one search, and match what was seeded")
    func batchedFacts() async throws {
        try await DoubleFixture.run { double, client in
            let names = DoubleFixture.seedDailyIndices(double, days: 3)
            double.addIndex(name: "logs-empty", docs: 0, sizeBytes: 208)
            double.clearRequests()
            let facts = try await client.indexFacts(of: names + ["logs-empty"], timeField: "@timestamp")
            #expect(double.requests().count == 1)
            #expect(facts[names[0]]?.documentCount == 1_000)
            #expect(facts[names[2]]?.documentCount == 3_000)
            let start = Date(timeIntervalSince1970: 1_764_028_800)
            #expect(facts[names[0]]?.timeRange == start...start.addingTimeInterval(86_399))
            #expect(facts["logs-empty"]?.documentCount == 0)
            #expect(facts["logs-empty"]?.timeRange == nil)
            #expect(try await client.timeRange(of: names[1], field: "@timestamp")?.lowerBound == start.addingTimeInterval(86_400))
            #expect(try await client.documentCount(of: names[1]) == 2_000)
            #expect(try await client.primaryStoreSize(of: names[1]) == 131_072)
            let sizes = try await client.primaryStoreSizes(of: names)
            #expect(sizes == [names[0]: 65_536, names[1]: 131_072, names[2]: 196_608])
        }
    }

    @Test("a missing index is indexNotFound")
    func missingIndex() async throws {
        try await DoubleFixture.run { _, client in
            await #expect { _ = try await client.documentCount(of: "nope") } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.isIndexNotFound && error.status == 404 && (error.reason ?? "").contains("nope")
            }
            let exists = try await client.indexExists("nope")
            let listed = try await client.indices(matching: "nope*")
            #expect(!exists)
            #expect(listed.isEmpty)
        }
    }

    @Test("cat indices and disk allocation are read in bytes")
    func catAPIs() async throws {
        try await DoubleFixture.run { double, client in
            let names = DoubleFixture.seedDailyIndices(double, days: 2)
            double.addIndex(name: "closed-index", docs: 9, sizeBytes: 9, open: false)
            double.setDisk(usedBytes: 800, totalBytes: 1_000)
            let summaries = try await client.indices(matching: "logs-*")
            #expect(summaries.map(\.name) == names)
            #expect(summaries.map(\.documentCount) == [1_000, 2_000])
            #expect(summaries.map(\.primaryStoreSizeBytes) == [65_536, 131_072])
            let closed = try await client.indices(matching: "closed-*")
            #expect(closed.first?.isOpen == false)
            #expect(closed.first?.documentCount == nil)
            let disk = try await client.diskAllocation()
            #expect(disk.usedBytes == 800)
            #expect(disk.totalBytes == 1_000)
            #expect(disk.usedFraction == 0.8)
            #expect(try await client.indexExists(names[0]))
        }
    }

    @Test("deleting many indices keeps every URL within the limit and removes exactly them")
    func chunkedDelete() async throws {
        try await DoubleFixture.run { double, client in
            let names = (0..<300).map { "restore_bk_table_0001_logs-2025.11.\(String(format: "%03d", $0))" }
            for name in names { double.addIndex(name: name, docs: 1, sizeBytes: 1) }
            double.addIndex(name: "keep-me", docs: 1, sizeBytes: 1)
            double.clearRequests()
            try await client.deleteIndices(names, maximumURLLength: 3_000)
            let deletes = double.requests().filter { $0.method == "DELETE" }
            #expect(deletes.count > 1)
            for request in deletes { #expect(double.url.utf8.count + request.path.utf8.count <= 3_000) }
            #expect(double.indexNames() == ["keep-me"])
            await #expect { try await client.deleteIndices(["gone"]) } throws: { SnapshotClientError.matches($0, .indexNotFound) }
            try await client.deleteIndices(["gone", "keep-me"], ignoreMissing: true)
            #expect(double.indexNames().isEmpty)
        }
    }
}
