import BackupCatalog
import BackupCatalogTesting
import BackupModels
import Foundation
import Testing

/// Opens catalogs on new files in one temporary folder, removed with the factory.
final class CatalogFactory {
    let folder: String
    private var count = 0

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("CatalogConformance-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func make() throws -> SQLiteCatalog {
        count += 1
        return try SQLiteCatalog(path: "\(folder)/catalog-\(count).sqlite")
    }
}

/// A catalog that forwards to a ``SQLiteCatalog`` but returns records oldest first when newest first
/// is asked: the conformance suite must catch it.
struct OldestFirstCatalog: BackupRecordCatalog {
    let base: SQLiteCatalog

    func insert(_ record: BackupRecord) async throws { try await base.insert(record) }

    func commit(_ id: BackupID, artifacts: [ArtifactDescriptor], position: SourcePosition?, finishedAt: Date) async throws -> BackupRecord {
        try await base.commit(id, artifacts: artifacts, position: position, finishedAt: finishedAt)
    }

    func markFailed(_ id: BackupID, reason: String, at date: Date) async throws { try await base.markFailed(id, reason: reason, at: date) }

    func markExpired(_ ids: [BackupID], at date: Date) async throws { try await base.markExpired(ids, at: date) }

    func insert(contentsOf records: [BackupRecord]) async throws { try await base.insert(contentsOf: records) }

    func markMissing(_ ids: [BackupID], at date: Date) async throws { try await base.markMissing(ids, at: date) }

    func markFound(_ ids: [BackupID], at date: Date) async throws { try await base.markFound(ids, at: date) }

    func record(_ id: BackupID) async throws -> BackupRecord? { try await base.record(id) }

    func records(_ query: RecordQuery) async throws -> [BackupRecord] {
        var oldestFirst = query
        oldestFirst.newestFirst = false
        return try await base.records(oldestFirst)
    }
}

/// A lease catalog that forgets to report the previous holder of a taken-over lease.
struct SilentTakeoverCatalog: LeaseCatalog {
    let base: SQLiteCatalog

    func acquireLease(_ name: String, owner: LeaseOwner, duration: Duration, now: Date) async throws -> LeaseAcquisition {
        let outcome = try await base.acquireLease(name, owner: owner, duration: duration, now: now)
        if case .acquired(let lease, _) = outcome { return .acquired(lease, tookOverFrom: nil) }
        return outcome
    }

    func renewLease(_ lease: Lease, duration: Duration, now: Date) async throws -> Lease {
        try await base.renewLease(lease, duration: duration, now: now)
    }

    func releaseLease(_ lease: Lease) async throws -> Bool { try await base.releaseLease(lease) }

    func lease(named name: String) async throws -> Lease? { try await base.lease(named: name) }
}

/// A catalog that deletes a snapshot's record but leaves its archived-index rows behind.
struct LeakySnapshotDeleteCatalog: ArchiveCatalog {
    let base: SQLiteCatalog

    func save(_ config: ArchiveConfig) async throws { try await base.save(config) }
    func archiveConfig(id: String) async throws -> ArchiveConfig? { try await base.archiveConfig(id: id) }
    func archiveConfigs(tableID: String?) async throws -> [ArchiveConfig] { try await base.archiveConfigs(tableID: tableID) }
    func deleteArchiveConfig(id: String) async throws { try await base.deleteArchiveConfig(id: id) }
    func insert(_ indices: [ArchivedIndex]) async throws { try await base.insert(indices) }
    func archivedIndices(tableID: String, overlapping start: Date, _ end: Date) async throws -> [ArchivedIndex] {
        try await base.archivedIndices(tableID: tableID, overlapping: start, end)
    }
    func archivedIndices(repository: String, snapshot: String) async throws -> [ArchivedIndex] {
        try await base.archivedIndices(repository: repository, snapshot: snapshot)
    }
    func deleteArchivedIndices(repository: String, snapshot: String) async throws {
        try await base.deleteArchivedIndices(repository: repository, snapshot: snapshot)
    }
    func save(_ restore: RestoreConfig) async throws { try await base.save(restore) }
    func restore(id: String) async throws -> RestoreConfig? { try await base.restore(id: id) }
    func restores(states: Set<RestoreState>?) async throws -> [RestoreConfig] { try await base.restores(states: states) }
    func save(_ snapshot: ArchiveSnapshotRecord) async throws { try await base.save(snapshot) }
    func commit(_ snapshot: ArchiveSnapshotRecord, indices: [ArchivedIndex]) async throws {
        try await base.commit(snapshot, indices: indices)
    }
    func archiveSnapshot(repository: String, snapshot: String) async throws -> ArchiveSnapshotRecord? {
        try await base.archiveSnapshot(repository: repository, snapshot: snapshot)
    }
    func archiveSnapshots(tableID: String) async throws -> [ArchiveSnapshotRecord] { try await base.archiveSnapshots(tableID: tableID) }
    func deleteArchiveSnapshot(repository: String, snapshot: String) async throws {
        let indices = try await base.archivedIndices(repository: repository, snapshot: snapshot)
        try await base.deleteArchiveSnapshot(repository: repository, snapshot: snapshot)
        try await base.insert(indices)
    }
    func markArchiveSnapshotGone(repository: String, snapshot: String, reason: String, at date: Date) async throws {
        try await base.markArchiveSnapshotGone(repository: repository, snapshot: snapshot, reason: reason, at: date)
    }
}

@Suite("Catalog conformance")
struct SQLiteCatalogConformanceTests {
    @Test("SQLiteCatalog keeps every promise of BackupRecordCatalog")
    func records() async throws {
        let factory = try CatalogFactory()
        try await CatalogConformance.checkRecords { try factory.make() }
    }

    @Test("SQLiteCatalog keeps every promise of ArchiveCatalog")
    func archive() async throws {
        let factory = try CatalogFactory()
        try await CatalogConformance.checkArchive { try factory.make() }
    }

    @Test("SQLiteCatalog keeps every promise of LeaseCatalog")
    func leases() async throws {
        let factory = try CatalogFactory()
        try await CatalogConformance.checkLeases { try factory.make() }
    }

    @Test("SQLiteCatalog keeps every promise of DrillCatalog")
    func drills() async throws {
        let factory = try CatalogFactory()
        try await CatalogConformance.checkDrills { try factory.make() }
    }

    @Test("checkAll runs the four checks on one kind of catalog")
    func all() async throws {
        let factory = try CatalogFactory()
        try await CatalogConformance.checkAll { try factory.make() }
    }

    @Test("a catalog returning records oldest first when newest first is asked fails the suite")
    func brokenOrderFails() async throws {
        let factory = try CatalogFactory()
        let failure = try await #require(throws: ConformanceFailure.self) {
            try await CatalogConformance.checkRecords { OldestFirstCatalog(base: try factory.make()) }
        }
        #expect(failure.check == "records.query.newestFirst", "\(failure)")
        #expect(failure.seen != failure.expected)
    }

    @Test("a lease catalog hiding the previous holder of a takeover fails the suite")
    func brokenTakeoverFails() async throws {
        let factory = try CatalogFactory()
        let failure = try await #require(throws: ConformanceFailure.self) {
            try await CatalogConformance.checkLeases { SilentTakeoverCatalog(base: try factory.make()) }
        }
        #expect(failure.check == "leases.takeover.reportsPrevious", "\(failure)")
    }

    @Test("an archive catalog leaving index rows of a deleted snapshot fails the suite")
    func brokenSnapshotDeleteFails() async throws {
        let factory = try CatalogFactory()
        let failure = try await #require(throws: ConformanceFailure.self) {
            try await CatalogConformance.checkArchive { LeakySnapshotDeleteCatalog(base: try factory.make()) }
        }
        #expect(failure.check == "archive.snapshot.deleteRemovesIndices", "\(failure)")
    }
}
