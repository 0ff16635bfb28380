import BackupModels
import Foundation
import Testing

@testable import BackupCatalog

@Suite("Record queries and id prefixes")
struct RecordQueryTests {
    /// Two plans × two sources × six records, states cycling, each committed one with two artifacts.
    static func seed(_ catalog: SQLiteCatalog) async throws -> [BackupRecord] {
        var all: [BackupRecord] = []
        for plan in ["nightly", "hourly"] {
            for source in ["app-db", "config"] {
                for index in 0..<6 {
                    let record = Fixture.record(plan: plan, source: source, hours: Double(index * 3 + (source == "config" ? 1 : 0)))
                    switch index % 3 {
                    case 0:
                        all.append(try await Fixture.committed(record, in: catalog, keys: ["\(record.id)/a", "\(record.id)/b"]))
                    case 1:
                        try await catalog.insert(record)
                        try await catalog.markFailed(record.id, reason: "timeout", at: Fixture.date(hours: 50))
                        all.append(try #require(try await catalog.record(record.id)))
                    default:
                        try await catalog.insert(record)
                        all.append(record)
                    }
                }
            }
        }
        return all
    }

    static func sorted(_ records: [BackupRecord]) -> [BackupRecord] {
        records.sorted { ($0.startedAt, $0.id) < ($1.startedAt, $1.id) }
    }

    static let queries: [RecordQuery] = [
        RecordQuery(),
        RecordQuery(plan: "nightly"),
        RecordQuery(plan: "nightly", source: "app-db", states: [.committed]),
        RecordQuery(plan: "hourly", states: [.committed, .failed], newestFirst: true),
        RecordQuery(source: "config", startedAtOrAfter: Fixture.date(hours: 4), startedBefore: Fixture.date(hours: 10)),
        RecordQuery(startedAtOrAfter: Fixture.date(hours: 3), startedBefore: Fixture.date(hours: 3)),
        RecordQuery(plan: "nightly", newestFirst: true, limit: 3),
        RecordQuery(states: [.running], limit: 2),
        RecordQuery(states: []),
        RecordQuery(limit: 0),
    ]

    @Test("filters, order and limit match a plain Swift filter of the same records", arguments: queries)
    func queriesMatchOracle(query: RecordQuery) async throws {
        try await withCatalog { catalog, _ in
            let all = try await Self.seed(catalog)
            var expected = Self.sorted(
                all.filter { record in
                    (query.plan.map { $0 == record.plan } ?? true)
                        && (query.source.map { $0 == record.source } ?? true)
                        && (query.states.map { $0.contains(record.state) } ?? true)
                        && (query.startedAtOrAfter.map { record.startedAt >= $0 } ?? true)
                        && (query.startedBefore.map { record.startedAt < $0 } ?? true)
                })
            if query.newestFirst { expected.reverse() }
            if let limit = query.limit { expected = Array(expected.prefix(max(0, limit))) }
            let found = try await catalog.records(query)
            #expect(found == expected)
        }
    }

    @Test("artifacts come back with their records, in commit order")
    func artifactsLoaded() async throws {
        try await withCatalog { catalog, _ in
            let first = try await Fixture.committed(Fixture.record(hours: 0), in: catalog, keys: ["z", "m", "a"])
            let second = try await Fixture.committed(Fixture.record(hours: 1), in: catalog, keys: ["b"])
            let found = try await catalog.records(RecordQuery(states: [.committed]))
            #expect(found.map(\.artifacts.count) == [3, 1])
            #expect(found.first?.artifacts.map(\.key) == ["z", "m", "a"])
            #expect(found == [first, second])
            let loaded = try #require(found.first)
            #expect(loaded.sizeBytes == 3 * 4096)
        }
    }

    @Test("every field round-trips")
    func roundTrip() async throws {
        try await withCatalog { catalog, _ in
            let parent = try await Fixture.committed(Fixture.record(hours: 0), in: catalog)
            var child = Fixture.record(hours: 1, parent: parent, tags: ["pre-upgrade", "manual"], host: "db-2.example")
            child.position = SourcePosition(binlogFile: "mysql-bin.000007", binlogPosition: 120, gtidSet: "u:1-3", extra: ["a": "b"])
            try await catalog.insert(child)
            #expect(try await catalog.record(child.id) == child)
            #expect(child.kind == .incremental)
        }
    }

    @Test("ids resolve by full id, unique prefix or label, within one plan")
    func prefixResolution() async throws {
        try await withCatalog { catalog, _ in
            let a = try await Fixture.committed(Fixture.record(id: "abcd111100000000", hours: 0), in: catalog)
            let b = try await Fixture.committed(Fixture.record(id: "abcd222200000000", hours: 1), in: catalog)
            let other = try await Fixture.committed(Fixture.record(id: "ef01000000000000", plan: "hourly", hours: 2), in: catalog)

            #expect(try await catalog.record(matching: a.id.rawValue, plan: "nightly") == a)
            #expect(try await catalog.record(matching: "abcd1", plan: "nightly") == a)
            #expect(try await catalog.record(matching: "abcd2222", plan: "nightly") == b)
            #expect(try await catalog.record(matching: b.label.rawValue, plan: "nightly") == b)
            let ambiguous = await expectCatalogError(.ambiguous) { _ = try await catalog.record(matching: "abcd", plan: "nightly") }
            #expect(ambiguous?.message.contains(a.id.rawValue) == true)
            #expect(ambiguous?.message.contains(b.id.rawValue) == true)
            await expectCatalogError(.notFound) { _ = try await catalog.record(matching: "abc", plan: "nightly") }
            await expectCatalogError(.notFound) { _ = try await catalog.record(matching: "ef01", plan: "nightly") }
            await expectCatalogError(.notFound) { _ = try await catalog.record(matching: other.id.rawValue, plan: "nightly") }
            #expect(try await catalog.record(matching: "ef01", plan: "hourly") == other)
        }
    }
}
