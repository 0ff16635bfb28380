public import BackupCatalog
import BackupModels
import Foundation

extension CatalogConformance {
    /// Checks the promises of ``DrillCatalog``.
    ///
    /// - A drill of an unknown backup is `notFound`; a taken drill id is a `duplicate`; every field,
    ///   checks included, round-trips.
    /// - `drills` lists a plan's drills newest first, filtered by source and backup, limited.
    /// - `lastDrills` gives each drilled backup's newest drill; `lastDrillPerSource` each source's.
    /// - `markVerified` stamps known backups (unknown ids are ignored, a later stamp replaces an earlier
    ///   one) and `lastVerified` returns the stamps of one plan only.
    ///
    /// - Parameter make: Returns a new, empty catalog each time it is called.
    /// - Throws: The first ``ConformanceFailure``, or an error the catalog threw where none was expected.
    public static func checkDrills(_ make: () async throws -> any BackupRecordCatalog & DrillCatalog) async throws {
        try await checkDrillRecords(try await make())
        try await checkLastDrills(try await make())
        try await checkVerifiedTimes(try await make())
    }

    static func drill(
        of record: BackupRecord, seconds: Double, outcome: DrillRecord.Outcome = .passed, id: String? = nil
    ) -> DrillRecord {
        DrillRecord(
            id: id ?? "drill-\(record.id)-\(Int(seconds))", backupID: record.id, plan: record.plan, source: record.source,
            startedAt: date(hours: 100).addingTimeInterval(seconds), durationMilliseconds: 1250, outcome: outcome,
            checks: [
                DrillCheck(name: "sha256", passed: true, detail: "3 files match the manifest"),
                DrillCheck(name: "row_counts", passed: outcome == .passed, detail: "t: 4 rows, manifest says 5"),
            ],
            error: outcome == .passed ? nil : "row_counts: t: 4 rows, manifest says 5")
    }

    static func checkDrillRecords(_ catalog: any BackupRecordCatalog & DrillCatalog) async throws {
        let unknown = Self.record(hours: 1)
        try await expectError(.notFound, "drills.unknownBackup") { try await catalog.insert(drill(of: unknown, seconds: 0)) }

        let backup = try await record(in: .committed, catalog, hours: 0)
        let failed = drill(of: backup, seconds: 10, outcome: .failed)
        try await catalog.insert(failed)
        try expectEqual(try await catalog.drills(plan: "nightly", source: nil, backupID: nil, limit: nil), [failed], "drills.roundTrip")
        try await expectError(.duplicate, "drills.duplicateID") {
            try await catalog.insert(drill(of: backup, seconds: 20, id: failed.id))
        }

        let passed = drill(of: backup, seconds: 30)
        try await catalog.insert(passed)
        let config = try await record(in: .committed, catalog, hours: 1, source: "config")
        let configDrill = drill(of: config, seconds: 20)
        try await catalog.insert(configDrill)
        let other = try await record(in: .committed, catalog, hours: 2, plan: "weekly")
        try await catalog.insert(drill(of: other, seconds: 40))

        try expectEqual(
            try await catalog.drills(plan: "nightly", source: nil, backupID: nil, limit: nil).map(\.id),
            [passed.id, configDrill.id, failed.id], "drills.newestFirst")
        try expectEqual(
            try await catalog.drills(plan: "nightly", source: "config", backupID: nil, limit: nil).map(\.id), [configDrill.id],
            "drills.bySource")
        try expectEqual(
            try await catalog.drills(plan: "nightly", source: nil, backupID: backup.id, limit: nil).map(\.id), [passed.id, failed.id],
            "drills.byBackup")
        try expectEqual(
            try await catalog.drills(plan: "nightly", source: nil, backupID: nil, limit: 1).map(\.id), [passed.id], "drills.limit")
    }

    static func checkLastDrills(_ catalog: any BackupRecordCatalog & DrillCatalog) async throws {
        let older = try await record(in: .committed, catalog, hours: 0)
        let newer = try await record(in: .committed, catalog, hours: 1)
        let config = try await record(in: .committed, catalog, hours: 2, source: "config")
        try await catalog.insert(drill(of: older, seconds: 50))
        try await catalog.insert(drill(of: older, seconds: 10, outcome: .failed))
        let newest = drill(of: newer, seconds: 20, outcome: .failed)
        try await catalog.insert(newest)
        let configDrill = drill(of: config, seconds: 5)
        try await catalog.insert(configDrill)

        let last = try await catalog.lastDrills(plan: "nightly")
        try expectEqual(last.count, 3, "drills.lastPerBackup.count")
        try expectEqual(last[older.id]?.startedAt, date(hours: 100).addingTimeInterval(50), "drills.lastPerBackup.newest")
        try expectEqual(last[older.id]?.outcome, .passed, "drills.lastPerBackup.outcome")
        try expectEqual(try await catalog.lastDrills(plan: "weekly").isEmpty, true, "drills.lastPerBackup.plan")

        let perSource = try await catalog.lastDrillPerSource(plan: "nightly")
        try expectEqual(perSource["app-db"]?.id, drill(of: older, seconds: 50).id, "drills.lastPerSource.appDB")
        try expectEqual(perSource["config"], configDrill, "drills.lastPerSource.config")
    }

    static func checkVerifiedTimes(_ catalog: any BackupRecordCatalog & DrillCatalog) async throws {
        let first = try await record(in: .committed, catalog, hours: 0)
        let second = try await record(in: .committed, catalog, hours: 1)
        let weekly = try await record(in: .committed, catalog, hours: 2, plan: "weekly")
        try expectEqual(try await catalog.lastVerified(plan: "nightly"), [:], "verified.initiallyNone")
        try await catalog.markVerified([first.id, BackupID(rawValue: "0000000000unknown"), weekly.id], at: date(hours: 10))
        try expectEqual(try await catalog.lastVerified(plan: "nightly"), [first.id: date(hours: 10)], "verified.stamped")
        try await catalog.markVerified([first.id, second.id], at: date(hours: 20))
        try expectEqual(
            try await catalog.lastVerified(plan: "nightly"), [first.id: date(hours: 20), second.id: date(hours: 20)],
            "verified.laterReplaces")
        try expectEqual(try await catalog.lastVerified(plan: "weekly"), [weekly.id: date(hours: 10)], "verified.perPlan")
        try expectEqual(try await catalog.record(first.id)?.state, .committed, "verified.stateUnchanged")
    }
}
