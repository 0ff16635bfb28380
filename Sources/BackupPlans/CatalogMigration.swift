public import BackupCatalog
import BackupModels
import Foundation
public import PostgresCatalog

/// What ``CatalogMigration/copy(plan:from:to:)`` copied and checked.
public struct CatalogMigrationReport: Hashable, Sendable, Codable {
    public var plan: String
    public var target: String
    /// Backup records copied (every state), with their artifacts.
    public var records: Int
    public var artifacts: Int
    public var drills: Int
    /// Records with a last verification time.
    public var verified: Int
    public var archiveConfigs: Int
    public var archiveSnapshots: Int
    public var archivedIndices: Int
    public var restores: Int
    /// `true` when the copy read back equal to the source, record by record.
    public var checked: Bool
}

/// Copies a plan's SQLite catalog into a PostgreSQL catalog (`backup catalog migrate`), then checks the copy.
///
/// Leases are not copied: they belong to running processes, and a migration runs with none.
public enum CatalogMigration {
    /// Copies every record (with artifacts), drill and verification time of `plan`, and the archive rows,
    /// from `source` into `target`; then reads both back and compares them.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/conflict`` if the target already holds records of the
    ///   plan (nothing is written then); ``CatalogError/Code-swift.struct/database`` if the copy reads back
    ///   different from the source.
    public static func copy(plan: String, from source: SQLiteCatalog, to target: PostgresCatalog) async throws
        -> CatalogMigrationReport
    {
        let existing = try await target.records(RecordQuery(plan: plan, limit: 1))
        guard existing.isEmpty else {
            throw CatalogError(
                code: .conflict,
                message: "\(target.location) already holds records of plan '\(plan)'; migrate into a catalog without them")
        }
        let records = try await source.records(RecordQuery(plan: plan))
        try await target.insert(contentsOf: records)
        let drills = try await source.drills(plan: plan, source: nil, backupID: nil, limit: nil)
        for drill in drills.reversed() { try await target.insert(drill) }
        let verified = try await source.lastVerified(plan: plan)
        for (date, ids) in Dictionary(grouping: verified.keys, by: { verified[$0]! }) {
            try await target.markVerified(Array(ids), at: date)
        }

        var report = CatalogMigrationReport(
            plan: plan, target: target.location.description, records: records.count,
            artifacts: records.reduce(0) { $0 + $1.artifacts.count }, drills: drills.count, verified: verified.count,
            archiveConfigs: 0, archiveSnapshots: 0, archivedIndices: 0, restores: 0, checked: false)
        try await copyArchive(from: source, to: target, into: &report)

        // The check: the same records, field by field, the same drills and verification times.
        let copied = try await target.records(RecordQuery(plan: plan))
        guard copied == records else {
            let differing = zip(copied, records).first { $0 != $1 }.map { $0.1.id.rawValue } ?? "the count"
            throw CatalogError(
                code: .database,
                message: "the copy in \(target.location) differs from the source (\(copied.count) records copied, "
                    + "\(records.count) in the source; first difference: \(differing))")
        }
        let copiedDrills = try await target.drills(plan: plan, source: nil, backupID: nil, limit: nil)
        let copiedVerified = try await target.lastVerified(plan: plan)
        guard copiedDrills == drills, copiedVerified == verified else {
            throw CatalogError(code: .database, message: "the drills or verification times copied to \(target.location) differ")
        }
        report.checked = true
        return report
    }

    /// Copies the archive configurations, snapshot records, their archived indices and the restores.
    private static func copyArchive(
        from source: SQLiteCatalog, to target: PostgresCatalog, into report: inout CatalogMigrationReport
    ) async throws {
        let configs = try await source.archiveConfigs(tableID: nil)
        for config in configs where try await target.archiveConfig(id: config.id) == nil {
            try await target.save(config)
            report.archiveConfigs += 1
        }
        for table in Set(configs.map(\.tableID)).sorted() {
            for snapshot in try await source.archiveSnapshots(tableID: table) {
                let indices = try await source.archivedIndices(repository: snapshot.repository, snapshot: snapshot.snapshot)
                try await target.save(snapshot)
                try await target.insert(indices)
                report.archiveSnapshots += 1
                report.archivedIndices += indices.count
            }
        }
        for restore in try await source.restores(states: nil) where try await target.restore(id: restore.id) == nil {
            try await target.save(restore)
            report.restores += 1
        }
    }
}
