import BackupModels
import Foundation
import RemoteStorage
import Testing

@testable import BackupEngine

@Suite("Restore chains read only the manifests a source needs")
struct RestoreChainTests {
    @Test("a file-tree restore reads the newest manifest only: an older incremental's manifest is not needed")
    func filesNeedOnlyTheNewestManifest() async throws {
        let scratch = Scratch("chain")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        try scratch.write("src/a.txt", "first")
        _ = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        clock.advance(3600)
        try scratch.write("src/b.txt", "second")
        let middle = try #require(try await engine.backup(BackupRequest(kind: .incremental)).outcomes.first?.record)
        clock.advance(3600)
        try scratch.write("src/a.txt", "third")
        let newest = try #require(try await engine.backup(BackupRequest(kind: .incremental)).outcomes.first?.record)
        #expect(newest.parentID == middle.id)

        // Each manifest of a file tree carries the whole file index; a restore must not depend on (or hold)
        // the older ones.
        try await engine.storage.delete(Engine.manifestKey(forArtifact: try #require(middle.artifacts.first).key))
        let report = try await engine.restore(newest.id, to: scratch.sub("target"))
        #expect(report.chain.count == 3)
        #expect(try Fixture.tree(scratch.sub("target") + "/src") == Fixture.tree(scratch.sub("src")))
    }
}

@Suite("Backups of a source the plan no longer has")
struct RemovedSourceTests {
    @Test("restore and verify still work from the manifest's source type, as before the redesign")
    func restoreAfterTheSourceLeftThePlan() async throws {
        let scratch = Scratch("removed")
        let clock = TestClock("2026-11-24T17:30:00Z")
        try scratch.write("src/a.txt", "kept")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        let record = try #require(try await engine.backup().outcomes.first?.record)

        // The plan now backs up something else; the old backup stays in the catalog and in storage.
        let other = SourceConfig.files(FileTreeSourceConfig(name: "other", paths: [scratch.sub("src")]))
        let later = try Fixture.engine(Fixture.plan(scratch, sources: [other]), clock: clock)
        #expect(try await later.verify(record.id).isSound)
        let report = try await later.restore(record.id, to: scratch.sub("target"))
        #expect(report.filesWritten > 0)
        #expect(try Fixture.tree(scratch.sub("target") + "/src") == Fixture.tree(scratch.sub("src")))
    }
}
