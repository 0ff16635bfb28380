public import BackupCatalog
import BackupModels
import Foundation

extension CatalogConformance {
    /// Checks the promises of ``ArchiveCatalog``.
    ///
    /// - Archive configurations round-trip and update in place; at most one per table is enabled (a
    ///   second is a `conflict`); deleting one keeps its archived indices; deleting an unknown one is
    ///   `notFound`.
    /// - Archived indices are found by snapshot and by a time range that overlaps theirs, both ends
    ///   inclusive; recording an index again updates it; an index ending before it starts is refused.
    /// - Restores round-trip, update in place and filter by state.
    /// - Archive snapshot records round-trip and update in place, list per table oldest first; committing
    ///   one marks it successful together with its indices, or changes nothing (a non-success state is
    ///   an `invalidTransition`); deleting one removes its record and its index rows and nothing else.
    /// - A configuration's layout (`date_format`, `index_time_zone`, `index_without_alias`,
    ///   `long_term_indices`), an archived index's UUID and a restore's waiting indices round-trip; marking
    ///   a snapshot gone keeps its record as `gone` with the reason and forgets its index rows only.
    ///
    /// Lists whose order the protocol does not state are compared as sets.
    ///
    /// - Parameter make: Returns a new, empty catalog each time it is called.
    /// - Throws: The first ``ConformanceFailure``, or an error the catalog threw where none was expected.
    public static func checkArchive(_ make: () async throws -> any ArchiveCatalog) async throws {
        try await checkArchiveConfigs(try await make())
        try await checkOverlap(try await make())
        try await checkIndicesBySnapshot(try await make())
        try await checkRestores(try await make())
        try await checkSnapshotRecords(try await make())
        try await checkSnapshotCommit(try await make())
        try await checkSnapshotDelete(try await make())
        try await checkArchiveSecondPassFields(try await make())
    }

    // MARK: Fixtures

    static let table = "2_bklog.nginx_access"
    static let repository = "cos_archive"
    static let snapshotName = "2_bklog_nginx_access_snapshot_20251125"

    static func archiveConfig(id: String, tableID: String = table, enabled: Bool = true) -> ArchiveConfig {
        ArchiveConfig(
            id: id, instanceID: "17", instanceType: .collectorConfig, businessID: "2", tableID: tableID, repository: repository,
            snapshotDays: 30, timeZoneIdentifier: "Asia/Shanghai", isEnabled: enabled, createdAt: date(hours: 0))
    }

    /// An archived index holding events in `[start, end]` (hours after the epoch).
    static func archivedIndex(
        _ name: String, tableID: String = table, snapshot: String = snapshotName, from start: Double, to end: Double
    ) -> ArchivedIndex {
        ArchivedIndex(
            archiveConfigID: "config-1", tableID: tableID, repository: repository, snapshot: snapshot, index: name, docCount: 1000,
            storeSizeBytes: 1 << 20, startTime: date(hours: start), endTime: date(hours: end), archivedAt: date(hours: end + 1))
    }

    static func snapshotRecord(
        _ name: String = snapshotName, state: ArchiveSnapshotRecord.State = .inProgress, attempts: Int = 1, hours: Double = 1
    ) -> ArchiveSnapshotRecord {
        ArchiveSnapshotRecord(
            repository: repository, snapshot: name, archiveConfigID: "config-1", tableID: table, state: state, attempts: attempts,
            indices: ["a", "b"], startedAt: date(hours: hours))
    }

    static func byIndex(_ indices: [ArchivedIndex]) -> [ArchivedIndex] { indices.sorted { $0.index < $1.index } }

    // MARK: Scenarios

    static func checkArchiveConfigs(_ catalog: any ArchiveCatalog) async throws {
        var first = archiveConfig(id: "first")
        try await catalog.save(first)
        try expectEqual(try await catalog.archiveConfig(id: "first"), first, "archive.config.roundTrip")
        try expectEqual(try await catalog.archiveConfig(id: "missing"), nil, "archive.config.missing")
        let second = archiveConfig(id: "second")
        try await expectError(.conflict, "archive.config.oneEnabledPerTable") { try await catalog.save(second) }
        try expectEqual(try await catalog.archiveConfig(id: "second"), nil, "archive.config.conflictSavesNothing")
        first.snapshotDays = 0
        first.indexRetentionDays = 30
        try await catalog.save(first)
        try expectEqual(try await catalog.archiveConfig(id: "first"), first, "archive.config.updateInPlace")
        var disabledSecond = second
        disabledSecond.isEnabled = false
        try await catalog.save(disabledSecond)
        first.isEnabled = false
        try await catalog.save(first)
        try await catalog.save(second)
        let enabled = try await catalog.archiveConfigs(tableID: table).filter(\.isEnabled).map(\.id)
        try expectEqual(enabled, ["second"], "archive.config.swapEnabled")
        try await catalog.save(archiveConfig(id: "third", tableID: "2_bklog.other"))
        try expectEqual(
            Set(try await catalog.archiveConfigs(tableID: nil).map(\.id)), ["first", "second", "third"], "archive.config.allTables")
        try expectEqual(
            Set(try await catalog.archiveConfigs(tableID: table).map(\.id)), ["first", "second"], "archive.config.byTable")

        try await catalog.insert([archivedIndex("i", from: 0, to: 24)])
        try await catalog.deleteArchiveConfig(id: "third")
        try expectEqual(try await catalog.archiveConfig(id: "third"), nil, "archive.config.delete")
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: snapshotName).count, 1,
            "archive.config.deleteKeepsIndices")
        try await expectError(.notFound, "archive.config.deleteUnknown") { try await catalog.deleteArchiveConfig(id: "third") }
    }

    static func checkOverlap(_ catalog: any ArchiveCatalog) async throws {
        let index = archivedIndex("idx", from: 10, to: 12)
        try await catalog.insert([index, archivedIndex("other-table", tableID: "2_bklog.other", from: 10, to: 12)])
        let cases: [(String, Double, Double, Bool)] = [
            ("endsAtStart", 8, 10, true),
            ("startsAtEnd", 12, 13, true),
            ("endsBeforeStart", 8, 10 - 1.0 / 3600, false),
            ("startsAfterEnd", 12 + 1.0 / 3600, 13, false),
            ("inside", 10.5, 11, true),
            ("covers", 9, 13, true),
            ("instant", 11, 11, true),
            ("inverted", 13, 9, false),
        ]
        for (name, start, end, overlaps) in cases {
            let found = try await catalog.archivedIndices(tableID: table, overlapping: date(hours: start), date(hours: end))
            try expectEqual(found, overlaps ? [index] : [], "archive.overlap.\(name)")
        }
    }

    static func checkIndicesBySnapshot(_ catalog: any ArchiveCatalog) async throws {
        let a = archivedIndex("b-index", from: 0, to: 1)
        var b = archivedIndex("a-index", from: 2, to: 3)
        let elsewhere = archivedIndex("c-index", snapshot: "other_snapshot", from: 0, to: 1)
        try await catalog.insert([a, b, elsewhere])
        try expectEqual(
            byIndex(try await catalog.archivedIndices(repository: repository, snapshot: snapshotName)), [b, a], "archive.indices.bySnapshot"
        )
        b.docCount = 5000
        try await catalog.insert([b])
        try expectEqual(
            byIndex(try await catalog.archivedIndices(repository: repository, snapshot: snapshotName)), [b, a], "archive.indices.reinsert")
        try await catalog.deleteArchivedIndices(repository: repository, snapshot: snapshotName)
        try expectEqual(try await catalog.archivedIndices(repository: repository, snapshot: snapshotName), [], "archive.indices.delete")
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: "other_snapshot"), [elsewhere],
            "archive.indices.deleteOthersUntouched")
        let inverted = archivedIndex("inverted", snapshot: "bad_snapshot", from: 5, to: 4)
        try await expectSomeError("archive.indices.refuseInverted") { try await catalog.insert([inverted]) }
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: "bad_snapshot"), [], "archive.indices.refuseInverted")
    }

    static func checkRestores(_ catalog: any ArchiveCatalog) async throws {
        var full = RestoreConfig(
            id: "r-full", businessID: "2", indexSetID: "88", indexSetName: "nginx (restored)", tableID: table,
            startTime: date(hours: 0), endTime: date(hours: 48), expiresAt: date(hours: 24 * 8), state: .running,
            createdAt: date(hours: 100), startedAt: date(hours: 100.5), totalStoreSizeBytes: 1 << 30, totalDocCount: 1_000_000,
            restoredDocCount: 250_000, indices: ["restore_a", "restore_b"], notifyUsers: ["alice", "bob"])
        let minimal = RestoreConfig(
            id: "r-min", businessID: "3", tableID: "3_bklog.app", startTime: date(hours: 1), endTime: date(hours: 2),
            expiresAt: date(hours: 300), createdAt: date(hours: 99))
        try await catalog.save(full)
        try await catalog.save(minimal)
        try expectEqual(try await catalog.restore(id: "r-full"), full, "archive.restore.roundTrip")
        try expectEqual(try await catalog.restore(id: "r-min"), minimal, "archive.restore.roundTripMinimal")
        try expectEqual(try await catalog.restore(id: "missing"), nil, "archive.restore.missing")
        try expectEqual(Set(try await catalog.restores(states: nil).map(\.id)), ["r-min", "r-full"], "archive.restores.all")
        try expectEqual(try await catalog.restores(states: [.running]).map(\.id), ["r-full"], "archive.restores.byState")
        try expectEqual(try await catalog.restores(states: []), [], "archive.restores.noStates")
        full.state = .done
        full.finishedAt = date(hours: 101)
        full.restoredDocCount = full.totalDocCount
        full.isNotified = true
        try await catalog.save(full)
        try expectEqual(try await catalog.restore(id: "r-full"), full, "archive.restore.updateInPlace")
        try expectEqual(try await catalog.restores(states: [.running, .pending]).map(\.id), ["r-min"], "archive.restores.afterUpdate")
    }

    static func checkSnapshotRecords(_ catalog: any ArchiveCatalog) async throws {
        let later = snapshotRecord("2_bklog_nginx_access_snapshot_20251126", hours: 25)
        try await catalog.save(later)
        var first = snapshotRecord(hours: 1)
        try await catalog.save(first)
        try expectEqual(
            try await catalog.archiveSnapshot(repository: repository, snapshot: snapshotName), first, "archive.snapshot.roundTrip")
        try expectEqual(
            try await catalog.archiveSnapshot(repository: repository, snapshot: "missing"), nil, "archive.snapshot.missing")
        first.attempts = 2
        first.state = .failed
        first.finishedAt = date(hours: 2)
        first.failureReason = "FAILED"
        try await catalog.save(first)
        try expectEqual(
            try await catalog.archiveSnapshot(repository: repository, snapshot: snapshotName), first, "archive.snapshot.updateInPlace")
        try expectEqual(try await catalog.archiveSnapshots(tableID: table), [first, later], "archive.snapshots.oldestFirst")
        try expectEqual(try await catalog.archiveSnapshots(tableID: "2_bklog.other"), [], "archive.snapshots.byTable")
    }

    static func checkSnapshotCommit(_ catalog: any ArchiveCatalog) async throws {
        try await catalog.save(snapshotRecord())
        let unchanged = "archive.snapshot.refusedCommitChangesNothing"
        try await expectError(.invalidTransition, "archive.snapshot.commitNeedsSuccess") {
            try await catalog.commit(snapshotRecord(state: .failed), indices: [archivedIndex("a", from: 0, to: 1)])
        }
        try expectEqual(try await catalog.archiveSnapshot(repository: repository, snapshot: snapshotName)?.state, .inProgress, unchanged)
        try expectEqual(try await catalog.archivedIndices(repository: repository, snapshot: snapshotName), [], unchanged)
        // A refused index row (end before start) rolls the success back too.
        try await expectSomeError("archive.snapshot.commitRefusesInvertedIndex") {
            try await catalog.commit(
                snapshotRecord(state: .success), indices: [archivedIndex("a", from: 0, to: 1), archivedIndex("b", from: 5, to: 1)])
        }
        let atomic = "archive.snapshot.commitIsAtomic"
        try expectEqual(try await catalog.archiveSnapshot(repository: repository, snapshot: snapshotName)?.state, .inProgress, atomic)
        try expectEqual(try await catalog.archivedIndices(repository: repository, snapshot: snapshotName), [], atomic)
        let success = snapshotRecord(state: .success, attempts: 2)
        let index = archivedIndex("a", from: 0, to: 1)
        try await catalog.commit(success, indices: [index])
        try expectEqual(
            try await catalog.archiveSnapshot(repository: repository, snapshot: snapshotName), success, "archive.snapshot.commit")
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: snapshotName), [index], "archive.snapshot.commitIndices")
    }

    static func checkSnapshotDelete(_ catalog: any ArchiveCatalog) async throws {
        let other = "2_bklog_nginx_access_snapshot_20251126"
        try await catalog.commit(snapshotRecord(state: .success), indices: [archivedIndex("a", from: 0, to: 1)])
        let kept = snapshotRecord(other, state: .success, hours: 25)
        try await catalog.commit(kept, indices: [archivedIndex("b", snapshot: other, from: 0, to: 1)])
        try await catalog.deleteArchiveSnapshot(repository: repository, snapshot: snapshotName)
        try expectEqual(try await catalog.archiveSnapshot(repository: repository, snapshot: snapshotName), nil, "archive.snapshot.delete")
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: snapshotName), [], "archive.snapshot.deleteRemovesIndices")
        try expectEqual(try await catalog.archiveSnapshots(tableID: table), [kept], "archive.snapshot.deleteOthersUntouched")
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: other).count, 1, "archive.snapshot.deleteOthersUntouched")
        try await catalog.deleteArchiveSnapshot(repository: repository, snapshot: "missing")
    }

    static func checkArchiveSecondPassFields(_ catalog: any ArchiveCatalog) async throws {
        var config = archiveConfig(id: "layout")
        config.dateFormat = "%Y%m%d"
        config.indexTimeZoneIdentifier = "Europe/Berlin"
        config.indexWithoutAlias = .expire
        config.longTermIndices = ["v2_2_bklog_nginx_access_20250101_0"]
        try await catalog.save(config)
        try expectEqual(try await catalog.archiveConfig(id: "layout"), config, "archive.config.layoutRoundTrips")

        var index = archivedIndex("a", from: 0, to: 1)
        index.indexUUID = "Xq9w8mZ2T0uBzK4n1c7v3A"
        let other = "2_bklog_nginx_access_snapshot_20251126"
        try await catalog.commit(snapshotRecord(state: .success), indices: [index])
        try await catalog.commit(
            snapshotRecord(other, state: .success, hours: 25), indices: [archivedIndex("b", snapshot: other, from: 0, to: 1)])
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: snapshotName), [index], "archive.index.uuidRoundTrips")

        var restore = RestoreConfig(
            id: "waiting", businessID: "2", tableID: table, startTime: date(hours: 0), endTime: date(hours: 1),
            expiresAt: date(hours: 100), state: .running, createdAt: date(hours: 0), indices: ["restore_a", "restore_b"],
            waitingIndices: ["restore_b"])
        try await catalog.save(restore)
        try expectEqual(try await catalog.restore(id: "waiting"), restore, "archive.restore.waitingRoundTrips")
        restore.waitingIndices = []
        try await catalog.save(restore)
        try expectEqual(try await catalog.restore(id: "waiting")?.waitingIndices, [], "archive.restore.waitingUpdates")

        try await catalog.markArchiveSnapshotGone(
            repository: repository, snapshot: snapshotName, reason: "deleted out of band", at: date(hours: 30))
        let gone = try await catalog.archiveSnapshot(repository: repository, snapshot: snapshotName)
        try expectEqual(gone?.state, .gone, "archive.snapshot.gone")
        try expectEqual(gone?.failureReason, "deleted out of band", "archive.snapshot.goneReason")
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: snapshotName), [], "archive.snapshot.goneForgetsRows")
        try expectEqual(
            try await catalog.archivedIndices(repository: repository, snapshot: other).count, 1, "archive.snapshot.goneOthersUntouched")
        try await catalog.markArchiveSnapshotGone(repository: repository, snapshot: "missing", reason: "x", at: date(hours: 30))
    }
}
