public import BackupModels
public import Foundation

/// Which backup records to return.
public struct RecordQuery: Hashable, Sendable {
    public var plan: String?
    public var source: String?
    /// Only records in these states; `nil` for any state.
    public var states: Set<BackupState>?
    /// Only records started at or after this instant.
    public var startedAtOrAfter: Date?
    /// Only records started before this instant.
    public var startedBefore: Date?
    /// Newest first when `true`, oldest first otherwise.
    public var newestFirst: Bool
    public var limit: Int?

    public init(
        plan: String? = nil, source: String? = nil, states: Set<BackupState>? = nil,
        startedAtOrAfter: Date? = nil, startedBefore: Date? = nil, newestFirst: Bool = false, limit: Int? = nil
    ) {
        self.plan = plan
        self.source = source
        self.states = states
        self.startedAtOrAfter = startedAtOrAfter
        self.startedBefore = startedBefore
        self.newestFirst = newestFirst
        self.limit = limit
    }
}

/// The catalog: what backups, archive configurations, archived indices and restores exist.
///
/// A composition of ``BackupRecordCatalog`` and ``ArchiveCatalog``; leases are a separate concern
/// (``LeaseCatalog``). ``SQLiteCatalog`` conforms to all three.
public typealias Catalog = BackupRecordCatalog & ArchiveCatalog

/// The backup records of a catalog.
///
/// The catalog enforces the record life cycle (``BackupState/canTransition(to:)``): a record is
/// inserted `running`, becomes `committed` only with complete artifacts (size and SHA-256), and so never
/// claims a backup that is not fully stored. `BackupCatalogTesting.CatalogConformance.checkRecords`
/// checks an implementation against these promises.
public protocol BackupRecordCatalog: Sendable {
    /// Inserts a new record. Its state must be `running` and its id and label unused for its source.
    func insert(_ record: BackupRecord) async throws

    /// Moves a `running` record to `committed` with its artifacts, position and finish time.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/invalidTransition`` if the record is not running;
    ///   ``CatalogError/Code-swift.struct/incompleteArtifact`` if there is no artifact or any lacks
    ///   size or checksum.
    @discardableResult
    func commit(
        _ id: BackupID, artifacts: [ArtifactDescriptor], position: SourcePosition?, finishedAt: Date
    ) async throws -> BackupRecord

    /// Moves a `running` record to `failed` with the reason.
    func markFailed(_ id: BackupID, reason: String, at date: Date) async throws

    /// Moves `committed`, `failed` or `missing` records to `expired` (retention removed their artifacts).
    func markExpired(_ ids: [BackupID], at date: Date) async throws

    /// Inserts records as they are, with their ids and artifacts, all or none (a catalog rebuilt from
    /// the manifests in storage). A `committed` record needs complete artifacts, as
    /// ``commit(_:artifacts:position:finishedAt:)`` does; a parent may come later in the same batch.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/incompleteArtifact``,
    ///   ``CatalogError/Code-swift.struct/duplicate`` for a taken id or label, or
    ///   ``CatalogError/Code-swift.struct/notFound`` for a parent neither in the catalog nor in the batch.
    func insert(contentsOf records: [BackupRecord]) async throws

    /// Moves `committed` records whose artifacts are gone from storage to `missing`, all or none.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` for a record that is not committed.
    func markMissing(_ ids: [BackupID], at date: Date) async throws

    /// Moves `missing` records whose artifacts are found again back to `committed`, all or none.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/invalidTransition`` for a record that is not missing.
    func markFound(_ ids: [BackupID], at date: Date) async throws

    /// The record with this id, or `nil`.
    func record(_ id: BackupID) async throws -> BackupRecord?

    /// Records matching `query`, ordered by start time.
    func records(_ query: RecordQuery) async throws -> [BackupRecord]
}

/// The Elasticsearch archive of a catalog: archive configurations, archived indices, restores and
/// archive snapshot records.
///
/// `BackupCatalogTesting.CatalogConformance.checkArchive` checks an implementation against these
/// promises.
public protocol ArchiveCatalog: Sendable {
    /// Inserts or updates an archive configuration. At most one enabled configuration per table.
    func save(_ config: ArchiveConfig) async throws

    /// The configuration with this id, or `nil`.
    func archiveConfig(id: String) async throws -> ArchiveConfig?

    /// All configurations, or those of one table.
    func archiveConfigs(tableID: String?) async throws -> [ArchiveConfig]

    /// Deletes a configuration (its archived-index rows stay unless the caller deletes them).
    func deleteArchiveConfig(id: String) async throws

    /// Records the indices held by a successful snapshot.
    func insert(_ indices: [ArchivedIndex]) async throws

    /// Archived indices of `tableID` whose time range overlaps `[start, end]` (both inclusive).
    func archivedIndices(tableID: String, overlapping start: Date, _ end: Date) async throws -> [ArchivedIndex]

    /// Archived indices held by one snapshot.
    func archivedIndices(repository: String, snapshot: String) async throws -> [ArchivedIndex]

    /// Forgets the indices of a deleted snapshot.
    func deleteArchivedIndices(repository: String, snapshot: String) async throws

    /// Inserts or updates a restore.
    func save(_ restore: RestoreConfig) async throws

    /// The restore with this id, or `nil`.
    func restore(id: String) async throws -> RestoreConfig?

    /// Restores in any of `states` (all when `nil`).
    func restores(states: Set<RestoreState>?) async throws -> [RestoreConfig]

    /// Inserts or updates the record of an archive snapshot (its attempts and latest outcome).
    func save(_ snapshot: ArchiveSnapshotRecord) async throws

    /// Marks a snapshot successful and records its indices, atomically.
    func commit(_ snapshot: ArchiveSnapshotRecord, indices: [ArchivedIndex]) async throws

    /// The record of one archive snapshot, or `nil`.
    func archiveSnapshot(repository: String, snapshot: String) async throws -> ArchiveSnapshotRecord?

    /// The archive snapshot records of one table, oldest first.
    func archiveSnapshots(tableID: String) async throws -> [ArchiveSnapshotRecord]

    /// Forgets a deleted snapshot: its record and its archived-index rows, atomically.
    func deleteArchiveSnapshot(repository: String, snapshot: String) async throws

    /// Marks a snapshot that left its repository out of band `gone` with `reason` and forgets its
    /// archived-index rows, atomically; nothing happens when it is not recorded.
    func markArchiveSnapshotGone(repository: String, snapshot: String, reason: String, at date: Date) async throws
}

extension BackupRecordCatalog {
    /// The record whose id is `text` or starts with `text` (at least four characters), within a plan.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/notFound`` or
    ///   ``CatalogError/Code-swift.struct/ambiguous`` naming the candidates.
    public func record(matching text: String, plan: String) async throws -> BackupRecord {
        if let exact = try await record(BackupID(rawValue: text)), exact.plan == plan { return exact }
        guard text.count >= 4 else {
            throw CatalogError(
                code: .notFound, message: "no backup '\(text)' in plan '\(plan)' (give the full id or at least 4 characters)")
        }
        let candidates = try await records(RecordQuery(plan: plan)).filter {
            $0.id.rawValue.hasPrefix(text) || $0.label.rawValue == text
        }
        switch candidates.count {
        case 1: return candidates[0]
        case 0: throw CatalogError(code: .notFound, message: "no backup '\(text)' in plan '\(plan)'")
        default:
            let ids = candidates.prefix(5).map(\.id.rawValue).joined(separator: ", ")
            throw CatalogError(code: .ambiguous, message: "'\(text)' matches \(candidates.count) backups: \(ids)")
        }
    }
}
