import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

@Suite("Crash between running and committed")
struct CrashRecoveryTests {
    static func artifactRowCount(_ path: String) throws -> Int {
        try RawFile.read(path) { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM artifacts") ?? -1 }
    }

    @Test("a record inserted by a catalog that went away without committing reopens running, without artifacts")
    func abandonedRunningRecord() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let record = Fixture.record()
            do {
                let catalog = try SQLiteCatalog(path: path)
                try await catalog.insert(record)
                // The process dies here: no commit, no close.
            }
            let reopened = try SQLiteCatalog(path: path)
            let stored = try #require(try await reopened.record(record.id))
            #expect(stored.state == .running)
            #expect(stored.artifacts.isEmpty)
            #expect(try await reopened.records(RecordQuery(states: [.committed])).isEmpty)
            #expect(try Self.artifactRowCount(path) == 0)
            // The next run can mark it failed.
            try await reopened.markFailed(record.id, reason: "stale running record", at: Fixture.date(hours: 1))
        }
    }

    @Test("a commit failing after its first artifact row is rolled back entirely")
    func commitFailingMidway() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let record = Fixture.record()
            do {
                let catalog = try SQLiteCatalog(path: path)
                try await catalog.insert(record)
                // Both artifacts are complete; the second repeats the first key, which the artifacts
                // table's UNIQUE (backup_id, key) refuses after the first row is written.
                let artifacts = [Fixture.artifact("same"), Fixture.artifact("other"), Fixture.artifact("same")]
                await expectCatalogError(.duplicate) {
                    try await catalog.commit(record.id, artifacts: artifacts, position: nil, finishedAt: Fixture.date(hours: 1))
                }
                #expect(try await catalog.record(record.id) == record)
                #expect(try Self.artifactRowCount(path) == 0)
            }
            let reopened = try SQLiteCatalog(path: path)
            #expect(try await reopened.record(record.id) == record)
            #expect(try await reopened.records(RecordQuery(states: [.committed])).isEmpty)
            // A correct commit still works afterwards.
            try await reopened.commit(record.id, artifacts: [Fixture.artifact("same")], position: nil, finishedAt: Fixture.date(hours: 1))
        }
    }

    @Test("a commit failing in its last statement leaves no artifact rows")
    func commitFailingAtStateChange() async throws {
        try await withCatalog { catalog, path in
            let record = Fixture.record()
            try await catalog.insert(record)
            // Another program's trigger refuses the state change, after the artifacts were inserted.
            try RawFile.write(path) { db in
                try db.execute(
                    sql: """
                        CREATE TRIGGER test_refuse_commit BEFORE UPDATE OF state ON backups
                        BEGIN SELECT RAISE(ABORT, 'refused by test'); END
                        """)
            }
            let error = await expectCatalogError(.invalidTransition) {
                try await catalog.commit(
                    record.id, artifacts: [Fixture.artifact("a"), Fixture.artifact("b")], position: nil, finishedAt: Fixture.epoch)
            }
            #expect(error?.message.contains("refused by test") == true)
            #expect(try Self.artifactRowCount(path) == 0)
            #expect(try await catalog.record(record.id)?.state == .running)
        }
    }

    @Test("a batch insert is all or nothing")
    func batchIsAtomic() async throws {
        try await withCatalog { (catalog: SQLiteCatalog, path: String) async throws in
            var committed = Fixture.record(hours: 0)
            committed.state = .committed
            committed.artifacts = [Fixture.artifact("a")]
            let orphan = Fixture.record(hours: 2, parent: Fixture.record(hours: 1))  // parent not in catalog or batch
            await expectCatalogError(.notFound) { try await catalog.insert(contentsOf: [committed, orphan]) }
            #expect(try await catalog.records(RecordQuery()).isEmpty)
            #expect(try Self.artifactRowCount(path) == 0)

            var duplicateLabel = Fixture.record(hours: 0)
            duplicateLabel.state = .failed
            let error = await expectCatalogError(.duplicate) { try await catalog.insert(contentsOf: [committed, duplicateLabel]) }
            #expect(error?.message.contains(duplicateLabel.id.rawValue) == true, "\(String(describing: error))")
            #expect(try await catalog.records(RecordQuery()).isEmpty)
        }
    }

    @Test("a batch insert accepts parents later in the batch and checks each state's artifacts")
    func batchRules() async throws {
        try await withCatalog { catalog, _ in
            var parent = Fixture.record(hours: 0)
            parent.state = .committed
            parent.artifacts = [Fixture.artifact("full")]
            var child = Fixture.record(hours: 1, parent: parent)
            child.state = .committed
            child.artifacts = [Fixture.artifact("incr")]
            try await catalog.insert(contentsOf: [child, parent])
            #expect(try await catalog.records(RecordQuery(states: [.committed])).map(\.id) == [parent.id, child.id])

            var bare = Fixture.record(hours: 5)
            bare.state = .committed
            await expectCatalogError(.incompleteArtifact) { try await catalog.insert(contentsOf: [bare]) }
            var runningWithArtifacts = Fixture.record(hours: 6)
            runningWithArtifacts.artifacts = [Fixture.artifact("x")]
            await expectCatalogError(.invalidTransition) { try await catalog.insert(contentsOf: [runningWithArtifacts]) }
        }
    }
}
