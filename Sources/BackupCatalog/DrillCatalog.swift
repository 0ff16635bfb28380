public import BackupModels
public import Foundation

/// The restore drills of a catalog, and when each backup's artifacts were last read back.
///
/// A drill restores a backup into a scratch place and checks what came out (see `Documentation/Drills.md`);
/// the catalog keeps every drill so that `list` and `status` can say when a backup, or a source, was last
/// proven restorable. Rolling verification (`backup verify --sample PERCENT`) reads the least recently
/// verified backups first, so the catalog also keeps the last time each backup's artifacts were read.
/// `BackupCatalogTesting.CatalogConformance.checkDrills` checks an implementation against these promises.
public protocol DrillCatalog: Sendable {
    /// Records a drill of a backup in the catalog.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` if the backup is not in the catalog;
    ///   ``CatalogError/Code-swift.struct/duplicate`` if the drill's id is taken.
    func insert(_ drill: DrillRecord) async throws

    /// Drills of a plan, newest first (by start time, then id).
    ///
    /// - Parameters:
    ///   - plan: The plan.
    ///   - source: Only drills of this source, when given.
    ///   - backupID: Only drills of this backup, when given.
    ///   - limit: At most this many; all when `nil`.
    func drills(plan: String, source: String?, backupID: BackupID?, limit: Int?) async throws -> [DrillRecord]

    /// The newest drill of every backup of a plan that was drilled.
    func lastDrills(plan: String) async throws -> [BackupID: DrillRecord]

    /// Notes that the artifacts of `ids` were read back and checked at `date`; unknown ids are ignored.
    func markVerified(_ ids: [BackupID], at date: Date) async throws

    /// When each backup of a plan was last verified; backups never verified are absent.
    func lastVerified(plan: String) async throws -> [BackupID: Date]
}

extension DrillCatalog {
    /// The newest drill of each source of a plan.
    public func lastDrillPerSource(plan: String) async throws -> [String: DrillRecord] {
        var newest: [String: DrillRecord] = [:]
        for drill in try await lastDrills(plan: plan).values {
            if let known = newest[drill.source], (known.startedAt, known.id) >= (drill.startedAt, drill.id) { continue }
            newest[drill.source] = drill
        }
        return newest
    }
}
