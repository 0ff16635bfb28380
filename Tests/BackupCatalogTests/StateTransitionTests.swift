import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Record life cycle")
struct StateTransitionTests {
    /// Brings a new record to `state` through the public API.
    static func record(in state: BackupState, catalog: SQLiteCatalog, hours: Double = 0) async throws -> BackupRecord {
        let record = Fixture.record(hours: hours)
        try await catalog.insert(record)
        switch state {
        case .running: break
        case .committed:
            try await catalog.commit(
                record.id, artifacts: [Fixture.artifact("\(record.id)/data")], position: nil,
                finishedAt: Fixture.date(hours: hours + 1))
        case .failed: try await catalog.markFailed(record.id, reason: "disk full", at: Fixture.date(hours: hours + 1))
        case .expired:
            try await catalog.markFailed(record.id, reason: "disk full", at: Fixture.date(hours: hours + 1))
            try await catalog.markExpired([record.id], at: Fixture.date(hours: hours + 2))
        case .missing:
            try await catalog.commit(
                record.id, artifacts: [Fixture.artifact("\(record.id)/data")], position: nil,
                finishedAt: Fixture.date(hours: hours + 1))
            try await catalog.markMissing([record.id], at: Fixture.date(hours: hours + 2))
        }
        let stored = try #require(try await catalog.record(record.id))
        #expect(stored.state == state)
        return stored
    }

    @Test(
        "each API move is allowed exactly when the life cycle allows it",
        arguments: BackupState.allCases, [BackupState.committed, .failed, .expired, .missing])
    func apiTransitions(from: BackupState, to: BackupState) async throws {
        try await withCatalog { catalog, _ in
            let record = try await Self.record(in: from, catalog: catalog)
            let move: () async throws -> Void = {
                switch to {
                case .committed where from == .missing: try await catalog.markFound([record.id], at: Fixture.date(hours: 3))
                case .committed:
                    try await catalog.commit(
                        record.id, artifacts: [Fixture.artifact("k")], position: nil, finishedAt: Fixture.date(hours: 3))
                case .failed: try await catalog.markFailed(record.id, reason: "killed", at: Fixture.date(hours: 3))
                case .expired: try await catalog.markExpired([record.id], at: Fixture.date(hours: 3))
                case .missing: try await catalog.markMissing([record.id], at: Fixture.date(hours: 3))
                case .running: Issue.record("no API moves a record back to running")
                }
            }
            if from.canTransition(to: to) {
                try await move()
                #expect(try await catalog.record(record.id)?.state == to)
            } else {
                await expectCatalogError(.invalidTransition, move)
                #expect(try await catalog.record(record.id) == record, "a refused move changed the record")
            }
        }
    }

    static let distinctPairs = BackupState.allCases.flatMap { from in
        BackupState.allCases.filter { $0 != from }.map { (from, $0) }
    }

    @Test("the file refuses forbidden moves even from raw SQL (sqlite3 shell)", arguments: distinctPairs)
    func sqlTransitions(from: BackupState, to: BackupState) async throws {
        try await withCatalog { catalog, path in
            let record = try await Self.record(in: from, catalog: catalog)
            let update: @Sendable (Database) throws -> Void = { db in
                if from == .running, to == .committed {
                    try db.execute(
                        sql: ArtifactDescriptor.catalogInsertSQL,
                        arguments: Fixture.artifact("raw").catalogArguments(backupID: record.id, ordinal: 0))
                }
                try db.execute(sql: "UPDATE backups SET state = ? WHERE id = ?", arguments: [to.rawValue, record.id.rawValue])
            }
            if from.canTransition(to: to) {
                try RawFile.write(path, update)
                #expect(try await catalog.record(record.id)?.state == to)
            } else {
                #expect(throws: DatabaseError.self) { try RawFile.write(path, update) }
                #expect(try await catalog.record(record.id)?.state == from)
            }
        }
    }

    @Test("raw SQL cannot mark a record committed without artifacts")
    func sqlCommitNeedsArtifacts() async throws {
        try await withCatalog { catalog, path in
            let record = Fixture.record()
            try await catalog.insert(record)
            #expect(throws: DatabaseError.self) {
                try RawFile.write(path) { db in
                    try db.execute(sql: "UPDATE backups SET state = 'committed' WHERE id = ?", arguments: [record.id.rawValue])
                }
            }
            #expect(try await catalog.record(record.id)?.state == .running)
        }
    }

    @Test("insert accepts only running records without artifacts", arguments: [BackupState.committed, .failed, .expired])
    func insertOnlyRunning(state: BackupState) async throws {
        try await withCatalog { (catalog: SQLiteCatalog, _: String) async throws in
            var record = Fixture.record()
            record.state = state
            record.artifacts = [Fixture.artifact("k")]
            await expectCatalogError(.invalidTransition) { try await catalog.insert(record) }
            record.state = .running
            await expectCatalogError(.invalidTransition) { try await catalog.insert(record) }
            #expect(try await catalog.record(record.id) == nil)
        }
    }

    @Test("a taken id, or a taken label for the same plan and source, is a duplicate")
    func duplicates() async throws {
        try await withCatalog { catalog, _ in
            let record = Fixture.record()
            try await catalog.insert(record)
            var sameID = Fixture.record(hours: 5)
            sameID.id = record.id
            await expectCatalogError(.duplicate) { try await catalog.insert(sameID) }
            let sameLabel = Fixture.record()  // new id, same plan, source and start time → same label
            let error = await expectCatalogError(.duplicate) { try await catalog.insert(sameLabel) }
            #expect(error?.message.contains(record.id.rawValue) == true)
            // The same label in another source is fine.
            try await catalog.insert(Fixture.record(source: "config"))
        }
    }

    @Test("an incremental needs its parent in the catalog")
    func parentMustExist() async throws {
        try await withCatalog { catalog, _ in
            let parent = Fixture.record()
            let child = Fixture.record(hours: 1, parent: parent)
            await expectCatalogError(.notFound) { try await catalog.insert(child) }
            try await Fixture.committed(parent, in: catalog)
            try await catalog.insert(child)
            #expect(try await catalog.record(child.id)?.parentID == parent.id)
        }
    }

    @Test("unknown ids are not found")
    func unknownIDs() async throws {
        try await withCatalog { (catalog: SQLiteCatalog, _: String) async throws in
            let id = BackupID(rawValue: "ffffffffffffffff")
            await expectCatalogError(.notFound) {
                try await catalog.commit(id, artifacts: [Fixture.artifact("k")], position: nil, finishedAt: Fixture.epoch)
            }
            await expectCatalogError(.notFound) { try await catalog.markFailed(id, reason: "x", at: Fixture.epoch) }
            await expectCatalogError(.notFound) { try await catalog.markExpired([id], at: Fixture.epoch) }
            #expect(try await catalog.record(id) == nil)
        }
    }

    static let badArtifacts: [(String, [ArtifactDescriptor])] = {
        let good = Fixture.artifact("good")
        var upper = good
        upper.sha256 = good.sha256.uppercased()
        var short = good
        short.sha256 = String(good.sha256.dropLast())
        var notHex = good
        notHex.sha256 = String(repeating: "g", count: 64)
        var negative = good
        negative.sizeBytes = -1
        var noKey = good
        noKey.key = ""
        return [
            ("no artifact", []), ("uppercase checksum", [good, upper]), ("63-character checksum", [short]),
            ("non-hex checksum", [notHex]), ("negative size", [negative]), ("empty key", [noKey]),
        ]
    }()

    @Test("commit refuses missing or incomplete artifacts and the record stays running", arguments: badArtifacts)
    func commitNeedsCompleteArtifacts(reason: String, artifacts: [ArtifactDescriptor]) async throws {
        try await withCatalog { catalog, _ in
            let record = Fixture.record()
            try await catalog.insert(record)
            await expectCatalogError(.incompleteArtifact) {
                try await catalog.commit(record.id, artifacts: artifacts, position: nil, finishedAt: Fixture.date(hours: 1))
            }
            #expect(try await catalog.record(record.id) == record, "\(reason)")
        }
    }

    @Test("commit stores artifacts in order, the position and the finish time")
    func commitStoresEverything() async throws {
        try await withCatalog { catalog, _ in
            var record = Fixture.record(tags: ["pre-upgrade"])
            record.position = SourcePosition(binlogFile: "mysql-bin.000001", binlogPosition: 4)
            try await catalog.insert(record)
            let artifacts = [Fixture.artifact("z-last", role: "data"), Fixture.artifact("a-first", role: "mysql-bin.000002")]
            let position = SourcePosition(
                binlogFile: "mysql-bin.000002", binlogPosition: 999, gtidSet: "uuid:1-5", extra: ["server": "db1"])
            let committed = try await catalog.commit(
                record.id, artifacts: artifacts, position: position, finishedAt: Fixture.date(hours: 2))
            var expected = record
            expected.state = .committed
            expected.artifacts = artifacts
            expected.position = position
            expected.finishedAt = Fixture.date(hours: 2)
            #expect(committed == expected)
            #expect(try await catalog.record(record.id) == expected)
        }
    }

    @Test("commit without a position keeps the one given at insert")
    func commitKeepsInsertPosition() async throws {
        try await withCatalog { catalog, _ in
            var record = Fixture.record()
            record.position = SourcePosition(gtidSet: "uuid:1-9")
            try await catalog.insert(record)
            let committed = try await catalog.commit(
                record.id, artifacts: [Fixture.artifact("k")], position: nil, finishedAt: Fixture.date(hours: 1))
            #expect(committed.position == record.position)
        }
    }

    @Test("markFailed stores the reason; markExpired is all or nothing")
    func failAndExpire() async throws {
        try await withCatalog { catalog, _ in
            let failed = try await Self.record(in: .failed, catalog: catalog, hours: 0)
            #expect(failed.failureReason == "disk full")
            #expect(failed.finishedAt == Fixture.date(hours: 1))
            let committed = try await Self.record(in: .committed, catalog: catalog, hours: 10)
            let running = try await Self.record(in: .running, catalog: catalog, hours: 20)

            await expectCatalogError(.invalidTransition) {
                try await catalog.markExpired([failed.id, committed.id, running.id], at: Fixture.date(hours: 30))
            }
            #expect(try await catalog.record(failed.id)?.state == .failed)
            #expect(try await catalog.record(committed.id)?.state == .committed)

            try await catalog.markExpired([failed.id, committed.id, failed.id], at: Fixture.date(hours: 30))
            #expect(try await catalog.record(failed.id)?.state == .expired)
            let expired = try #require(try await catalog.record(committed.id))
            #expect(expired.state == .expired)
            #expect(expired.artifacts == committed.artifacts, "expired records keep their artifacts as history")
        }
    }
}
