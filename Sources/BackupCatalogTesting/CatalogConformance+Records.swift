public import BackupCatalog
import BackupModels
import Foundation

extension CatalogConformance {
    /// Checks the promises of ``BackupRecordCatalog``.
    ///
    /// - Records are inserted only `running` and without artifacts; a taken id, or a taken label for the
    ///   same plan and source, is a `duplicate`; every field round-trips.
    /// - A record becomes `committed` only from `running` and with artifacts that all have a size and a
    ///   checksum (`incompleteArtifact` otherwise); every move the life cycle
    ///   (``BackupModels/BackupState/canTransition(to:)``) forbids is an `invalidTransition` that changes
    ///   nothing; unknown ids are `notFound`.
    /// - `markExpired` moves committed, failed and missing records, all or nothing.
    /// - `insert(contentsOf:)` imports committed records with their ids and artifacts atomically (a parent
    ///   may come later in the batch); `markMissing` moves committed records to `missing` and `markFound`
    ///   moves them back, all or nothing, artifacts kept.
    /// - Queries filter by plan, source, states and start bounds (`startedAtOrAfter` inclusive,
    ///   `startedBefore` exclusive), order by start time (newest first on request) and apply the limit.
    /// - ``BackupRecordCatalog/record(matching:plan:)`` resolves ids, prefixes and labels within a plan.
    ///
    /// - Parameter make: Returns a new, empty catalog each time it is called.
    /// - Throws: The first ``ConformanceFailure``, or an error the catalog threw where none was expected.
    public static func checkRecords(_ make: () async throws -> any BackupRecordCatalog) async throws {
        try await checkInsert(try await make())
        try await checkDuplicates(try await make())
        try await checkCommit(try await make())
        try await checkTransitions(try await make())
        try await checkUnknownIDs(try await make())
        try await checkFailAndExpire(try await make())
        try await checkQueries(try await make())
        try await checkMatching(try await make())
        try await checkImport(try await make())
        try await checkMissing(try await make())
    }

    // MARK: Fixtures

    /// A running full backup started `hours` after the epoch.
    static func record(id: String? = nil, plan: String = "nightly", source: String = "app-db", hours: Double = 0) -> BackupRecord {
        let startedAt = date(hours: hours)
        return BackupRecord(
            id: id.map(BackupID.init(rawValue:)) ?? .random(), plan: plan, source: source, kind: .full,
            label: .full(at: startedAt, in: .utc), startedAt: startedAt, tags: ["conformance"], host: "db1")
    }

    /// A complete artifact whose checksum derives from its key.
    static func artifact(_ key: String, size: Int64 = 4096) -> ArtifactDescriptor {
        ArtifactDescriptor(key: key, sizeBytes: size, sha256: checksum(key), compression: .zstd, uncompressedBytes: size * 3)
    }

    /// A lowercase 64-character hexadecimal string derived from `text` (only its form matters).
    package static func checksum(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var digest = ""
        for round in 0..<4 {
            for byte in text.utf8 { hash = (hash ^ UInt64(byte) &+ UInt64(round)) &* 0x100_0000_01b3 }
            let hex = String(hash, radix: 16)
            digest += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return digest
    }

    /// Inserts `record` and brings it to `state` through the protocol, returning it as stored.
    static func record(
        in state: BackupState, _ catalog: any BackupRecordCatalog, hours: Double, plan: String = "nightly",
        source: String = "app-db"
    ) async throws -> BackupRecord {
        let record = Self.record(plan: plan, source: source, hours: hours)
        try await catalog.insert(record)
        switch state {
        case .running: break
        case .committed:
            try await catalog.commit(
                record.id, artifacts: [artifact("\(record.id)/a"), artifact("\(record.id)/b")], position: nil,
                finishedAt: date(hours: hours + 0.5))
        case .failed: try await catalog.markFailed(record.id, reason: "disk full", at: date(hours: hours + 0.5))
        case .expired:
            try await catalog.markFailed(record.id, reason: "disk full", at: date(hours: hours + 0.5))
            try await catalog.markExpired([record.id], at: date(hours: hours + 0.75))
        case .missing:
            try await catalog.commit(
                record.id, artifacts: [artifact("\(record.id)/a")], position: nil, finishedAt: date(hours: hours + 0.5))
            try await catalog.markMissing([record.id], at: date(hours: hours + 0.75))
        }
        guard let stored = try await catalog.record(record.id) else {
            throw ConformanceFailure(check: "records.setup", seen: "nil", expected: "the record just written")
        }
        try expectEqual(stored.state, state, "records.setup")
        return stored
    }

    // MARK: Scenarios

    static func checkInsert(_ catalog: any BackupRecordCatalog) async throws {
        for state in [BackupState.committed, .failed, .expired] {
            var record = Self.record(hours: 1)
            record.state = state
            record.artifacts = [artifact("k")]
            try await expectError(.invalidTransition, "records.insertOnlyRunning(\(state))") { try await catalog.insert(record) }
        }
        var withArtifacts = Self.record(hours: 1)
        withArtifacts.artifacts = [artifact("k")]
        try await expectError(.invalidTransition, "records.insertWithoutArtifacts") { try await catalog.insert(withArtifacts) }
        try expectEqual(try await catalog.record(withArtifacts.id), nil, "records.refusedInsertLeavesNothing")

        var record = Self.record(hours: 2)
        record.position = SourcePosition(binlogFile: "mysql-bin.000007", binlogPosition: 120, gtidSet: "u:1-3", extra: ["a": "b"])
        record.tags = ["pre-upgrade", "manual"]
        try await catalog.insert(record)
        try expectEqual(try await catalog.record(record.id), record, "records.roundTrip")
    }

    static func checkDuplicates(_ catalog: any BackupRecordCatalog) async throws {
        let record = Self.record(hours: 0)
        try await catalog.insert(record)
        var sameID = Self.record(hours: 5)
        sameID.id = record.id
        try await expectError(.duplicate, "records.duplicateID") { try await catalog.insert(sameID) }
        let sameLabel = Self.record(hours: 0)  // new id, same plan, source and start → same label
        try await expectError(.duplicate, "records.duplicateLabel") { try await catalog.insert(sameLabel) }
        try expectEqual(try await catalog.record(sameLabel.id), nil, "records.duplicateLeavesNothing")
        try await catalog.insert(Self.record(source: "config", hours: 0))  // the same label in another source is fine
    }

    static func checkCommit(_ catalog: any BackupRecordCatalog) async throws {
        let record = Self.record(hours: 0)
        try await catalog.insert(record)
        let good = artifact("good")
        var upper = good
        upper.sha256 = good.sha256.uppercased()
        var short = good
        short.sha256 = String(good.sha256.dropLast())
        var negative = good
        negative.sizeBytes = -1
        var noKey = good
        noKey.key = ""
        let bad: [(String, [ArtifactDescriptor])] = [
            ("noArtifact", []), ("uppercaseChecksum", [good, upper]), ("shortChecksum", [short]), ("negativeSize", [negative]),
            ("emptyKey", [noKey]),
        ]
        for (name, artifacts) in bad {
            try await expectError(.incompleteArtifact, "records.commitNeedsCompleteArtifacts.\(name)") {
                try await catalog.commit(record.id, artifacts: artifacts, position: nil, finishedAt: date(hours: 1))
            }
            try expectEqual(try await catalog.record(record.id), record, "records.refusedCommitChangesNothing.\(name)")
        }
        let artifacts = [artifact("z-last"), artifact("a-first")]
        let position = SourcePosition(binlogFile: "mysql-bin.000002", binlogPosition: 999, gtidSet: "uuid:1-5")
        let committed = try await catalog.commit(record.id, artifacts: artifacts, position: position, finishedAt: date(hours: 2))
        var expected = record
        expected.state = .committed
        expected.artifacts = artifacts
        expected.position = position
        expected.finishedAt = date(hours: 2)
        try expectEqual(committed, expected, "records.commitReturnsRecord")
        try expectEqual(try await catalog.record(record.id), expected, "records.commitStoresArtifactsInOrder")
    }

    static func checkTransitions(_ catalog: any BackupRecordCatalog) async throws {
        var hours = 0.0
        for from in BackupState.allCases {
            for to in [BackupState.committed, .failed, .expired, .missing] {
                hours += 1
                let record = try await Self.record(in: from, catalog, hours: hours)
                let move: () async throws -> Void = {
                    switch to {
                    case .committed where from == .missing: try await catalog.markFound([record.id], at: date(hours: 100))
                    case .committed:
                        try await catalog.commit(record.id, artifacts: [artifact("k")], position: nil, finishedAt: date(hours: 100))
                    case .failed: try await catalog.markFailed(record.id, reason: "killed", at: date(hours: 100))
                    case .missing: try await catalog.markMissing([record.id], at: date(hours: 100))
                    case .expired, .running: try await catalog.markExpired([record.id], at: date(hours: 100))
                    }
                }
                let check = "records.transition(\(from)→\(to))"
                if from.canTransition(to: to) {
                    try await move()
                    try expectEqual(try await catalog.record(record.id)?.state, to, check)
                } else {
                    try await expectError(.invalidTransition, check, move)
                    try expectEqual(try await catalog.record(record.id), record, check + ".changesNothing")
                }
            }
        }
    }

    static func checkUnknownIDs(_ catalog: any BackupRecordCatalog) async throws {
        let id = BackupID(rawValue: "ffffffffffffffff")
        try await expectError(.notFound, "records.unknownID.commit") {
            try await catalog.commit(id, artifacts: [artifact("k")], position: nil, finishedAt: epoch)
        }
        try await expectError(.notFound, "records.unknownID.markFailed") { try await catalog.markFailed(id, reason: "x", at: epoch) }
        try await expectError(.notFound, "records.unknownID.markExpired") { try await catalog.markExpired([id], at: epoch) }
        try await expectError(.notFound, "records.unknownID.markMissing") { try await catalog.markMissing([id], at: epoch) }
        try await expectError(.notFound, "records.unknownID.markFound") { try await catalog.markFound([id], at: epoch) }
        try expectEqual(try await catalog.record(id), nil, "records.unknownID.record")
    }

    static func checkFailAndExpire(_ catalog: any BackupRecordCatalog) async throws {
        let failed = try await Self.record(in: .failed, catalog, hours: 0)
        try expectEqual(failed.failureReason, "disk full", "records.markFailed.reason")
        try expectEqual(failed.finishedAt, date(hours: 0.5), "records.markFailed.finishedAt")
        let committed = try await Self.record(in: .committed, catalog, hours: 10)
        let running = try await Self.record(in: .running, catalog, hours: 20)
        try await expectError(.invalidTransition, "records.markExpired.refusesRunning") {
            try await catalog.markExpired([failed.id, committed.id, running.id], at: date(hours: 30))
        }
        try expectEqual(try await catalog.record(failed.id), failed, "records.markExpired.allOrNothing")
        try expectEqual(try await catalog.record(committed.id), committed, "records.markExpired.allOrNothing")
        try await catalog.markExpired([failed.id, committed.id], at: date(hours: 30))
        try expectEqual(try await catalog.record(failed.id)?.state, .expired, "records.markExpired.failed")
        let expired = try await catalog.record(committed.id)
        try expectEqual(expired?.state, .expired, "records.markExpired.committed")
        try expectEqual(expired?.artifacts, committed.artifacts, "records.markExpired.keepsArtifacts")
        try expectEqual(try await catalog.record(running.id), running, "records.markExpired.othersUntouched")
    }

    static func checkQueries(_ catalog: any BackupRecordCatalog) async throws {
        // Two plans × two sources × six records, every start time distinct, states cycling.
        var all: [BackupRecord] = []
        let states: [BackupState] = [.committed, .failed, .running, .expired]
        for (p, plan) in ["nightly", "hourly"].enumerated() {
            for (s, source) in ["app-db", "config"].enumerated() {
                for index in 0..<6 {
                    let hours = Double(index * 4 + p * 2 + s)
                    all.append(try await Self.record(in: states[index % 4], catalog, hours: hours, plan: plan, source: source))
                }
            }
        }
        let queries: [(String, RecordQuery)] = [
            ("all", RecordQuery()),
            ("plan", RecordQuery(plan: "nightly")),
            ("planSourceState", RecordQuery(plan: "nightly", source: "app-db", states: [.committed])),
            ("states", RecordQuery(plan: "hourly", states: [.committed, .failed])),
            ("newestFirst", RecordQuery(plan: "hourly", states: [.committed, .failed], newestFirst: true)),
            ("dateBounds", RecordQuery(source: "config", startedAtOrAfter: date(hours: 5), startedBefore: date(hours: 11))),
            ("emptyRange", RecordQuery(startedAtOrAfter: date(hours: 4), startedBefore: date(hours: 4))),
            ("newestFirstLimit", RecordQuery(plan: "nightly", newestFirst: true, limit: 3)),
            ("limit", RecordQuery(states: [.running], limit: 2)),
            ("noStates", RecordQuery(states: [])),
            ("zeroLimit", RecordQuery(limit: 0)),
            ("expired", RecordQuery(states: [.expired], newestFirst: true)),
        ]
        for (name, query) in queries {
            var expected = all.filter { record in
                (query.plan.map { $0 == record.plan } ?? true)
                    && (query.source.map { $0 == record.source } ?? true)
                    && (query.states.map { $0.contains(record.state) } ?? true)
                    && (query.startedAtOrAfter.map { record.startedAt >= $0 } ?? true)
                    && (query.startedBefore.map { record.startedAt < $0 } ?? true)
            }.sorted { $0.startedAt < $1.startedAt }
            if query.newestFirst { expected.reverse() }
            if let limit = query.limit { expected = Array(expected.prefix(max(0, limit))) }
            let found = try await catalog.records(query)
            try expectEqual(found.map(\.id), expected.map(\.id), "records.query.\(name)")
            try expectEqual(found, expected, "records.query.\(name).fields")
        }
    }

    static func checkMatching(_ catalog: any BackupRecordCatalog) async throws {
        func stored(_ id: String, plan: String, hours: Double) async throws -> BackupRecord {
            let record = Self.record(id: id, plan: plan, hours: hours)
            try await catalog.insert(record)
            return record
        }
        let a = try await stored("abcd111100000000", plan: "nightly", hours: 0)
        let b = try await stored("abcd222200000000", plan: "nightly", hours: 1)
        let other = try await stored("ef01000000000000", plan: "hourly", hours: 2)
        try expectEqual(try await catalog.record(matching: a.id.rawValue, plan: "nightly"), a, "records.matching.fullID")
        try expectEqual(try await catalog.record(matching: "abcd1", plan: "nightly"), a, "records.matching.prefix")
        try expectEqual(try await catalog.record(matching: b.label.rawValue, plan: "nightly"), b, "records.matching.label")
        try await expectError(.ambiguous, "records.matching.ambiguous") { _ = try await catalog.record(matching: "abcd", plan: "nightly") }
        try await expectError(.notFound, "records.matching.tooShort") { _ = try await catalog.record(matching: "abc", plan: "nightly") }
        try await expectError(.notFound, "records.matching.otherPlan") {
            _ = try await catalog.record(matching: other.id.rawValue, plan: "nightly")
        }
        try expectEqual(try await catalog.record(matching: "ef01", plan: "hourly"), other, "records.matching.ownPlan")
    }

    /// Committed records imported with their ids: a parent after its child in the batch, refusals atomic.
    static func checkImport(_ catalog: any BackupRecordCatalog) async throws {
        var full = Self.record(hours: 1)
        full.state = .committed
        full.finishedAt = date(hours: 1.5)
        full.artifacts = [artifact("full")]
        full.position = SourcePosition(binlogFile: "mysql-bin.000001", binlogPosition: 4)
        var child = Self.record(hours: 2)
        child.kind = .incremental
        child.parentID = full.id
        child.label = .incremental(on: full.label, at: date(hours: 2), in: .utc)
        child.state = .committed
        child.finishedAt = date(hours: 2.5)
        child.artifacts = [artifact("child-a"), artifact("child-b")]
        var incomplete = Self.record(hours: 3)
        incomplete.state = .committed
        incomplete.artifacts = [artifact("bad")]
        incomplete.artifacts[0].sha256 = ""
        try await expectError(.incompleteArtifact, "records.import.incompleteArtifact") {
            try await catalog.insert(contentsOf: [child, full, incomplete])
        }
        try expectEqual(try await catalog.record(full.id), nil, "records.import.allOrNothing")
        var noArtifact = incomplete
        noArtifact.artifacts = []
        try await expectError(.incompleteArtifact, "records.import.committedNeedsArtifacts") {
            try await catalog.insert(contentsOf: [noArtifact])
        }
        try await catalog.insert(contentsOf: [child, full])
        try expectEqual(try await catalog.record(full.id), full, "records.import.roundTrip")
        try expectEqual(try await catalog.record(child.id), child, "records.import.childRoundTrip")
        var orphan = Self.record(hours: 4)
        orphan.kind = .incremental
        orphan.parentID = BackupID(rawValue: "0000000000000000")
        orphan.state = .committed
        orphan.artifacts = [artifact("orphan")]
        var fresh = Self.record(hours: 5)
        fresh.state = .committed
        fresh.artifacts = [artifact("fresh")]
        try await expectError(.notFound, "records.import.unknownParent") { try await catalog.insert(contentsOf: [fresh, orphan]) }
        try expectEqual(try await catalog.record(fresh.id), nil, "records.import.unknownParentAllOrNothing")
        try await expectError(.duplicate, "records.import.duplicateID") { try await catalog.insert(contentsOf: [full]) }
    }

    /// committed → missing → committed, and missing → expired; other moves refused, all or nothing.
    static func checkMissing(_ catalog: any BackupRecordCatalog) async throws {
        let first = try await Self.record(in: .committed, catalog, hours: 0)
        let second = try await Self.record(in: .committed, catalog, hours: 1)
        let running = try await Self.record(in: .running, catalog, hours: 2)
        try await expectError(.invalidTransition, "records.markMissing.refusesRunning") {
            try await catalog.markMissing([first.id, running.id], at: date(hours: 3))
        }
        try expectEqual(try await catalog.record(first.id), first, "records.markMissing.allOrNothing")
        try await catalog.markMissing([first.id, second.id, first.id], at: date(hours: 3))
        let missing = try await catalog.record(first.id)
        try expectEqual(missing?.state, .missing, "records.markMissing.state")
        try expectEqual(missing?.artifacts, first.artifacts, "records.markMissing.keepsArtifacts")
        try expectEqual(
            try await catalog.records(RecordQuery(plan: "nightly", states: [.missing])).map(\.id), [first.id, second.id],
            "records.markMissing.query")
        try await expectError(.invalidTransition, "records.markMissing.again") {
            try await catalog.markMissing([first.id], at: date(hours: 4))
        }
        try await expectError(.invalidTransition, "records.commit.refusesMissing") {
            try await catalog.commit(first.id, artifacts: [artifact("k")], position: nil, finishedAt: date(hours: 4))
        }
        try await expectError(.invalidTransition, "records.markFound.refusesRunning") {
            try await catalog.markFound([first.id, running.id], at: date(hours: 4))
        }
        try expectEqual(try await catalog.record(first.id)?.state, .missing, "records.markFound.allOrNothing")
        try await catalog.markFound([first.id], at: date(hours: 4))
        try expectEqual(try await catalog.record(first.id), first, "records.markFound.restoresRecord")
        try await expectError(.invalidTransition, "records.markFound.refusesCommitted") {
            try await catalog.markFound([first.id], at: date(hours: 5))
        }
        try await catalog.markExpired([second.id], at: date(hours: 5))
        try expectEqual(try await catalog.record(second.id)?.state, .expired, "records.markExpired.missing")
    }
}
