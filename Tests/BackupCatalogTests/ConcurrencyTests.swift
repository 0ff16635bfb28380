import BackupModels
import Foundation
import Testing

@testable import BackupCatalog

@Suite("Concurrent access")
struct ConcurrencyTests {
    @Test("readers run while a writer commits, and never see a committed record without artifacts")
    func readersDuringWrites() async throws {
        try await withCatalog(.init(durability: .normal)) { catalog, _ in
            let count = 60
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    for index in 0..<count {
                        try await Fixture.committed(Fixture.record(hours: Double(index)), in: catalog)
                    }
                    return count
                }
                for _ in 0..<4 {
                    group.addTask {
                        var reads = 0
                        var last = 0
                        while last < count {
                            let records = try await catalog.records(RecordQuery(plan: "nightly"))
                            #expect(records.allSatisfy { $0.state != .committed || !$0.artifacts.isEmpty })
                            let committed = records.filter { $0.state == .committed }.count
                            #expect(committed >= last, "a reader went back in time")
                            last = committed
                            reads += 1
                        }
                        return reads
                    }
                }
                var finished = 0
                for try await _ in group { finished += 1 }
                #expect(finished == 5)
            }
            #expect(try await catalog.records(RecordQuery(states: [.committed])).count == count)
        }
    }

    @Test("two catalog objects on one file write at the same time and see each other's records")
    func twoInstancesOneFile() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let configuration = SQLiteCatalog.Configuration(durability: .normal)
            let first = try SQLiteCatalog(path: path, configuration: configuration)
            let second = try SQLiteCatalog(path: path, configuration: configuration)
            let perInstance = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (offset, catalog) in [(0, first), (1, second)] {
                    group.addTask {
                        for index in 0..<perInstance {
                            let record = Fixture.record(source: "source-\(offset)", hours: Double(index))
                            try await Fixture.committed(record, in: catalog)
                        }
                    }
                }
                try await group.waitForAll()
            }
            for catalog in [first, second] {
                let all = try await catalog.records(RecordQuery(states: [.committed]))
                #expect(all.count == 2 * perInstance)
            }
            // A conflict found by one object is seen by the other.
            try await first.save(Fixture.archiveConfig(id: "a"))
            await expectCatalogError(.conflict) { try await second.save(Fixture.archiveConfig(id: "b")) }
        }
    }
}
