import BackupCatalog
import BackupModels
import Foundation
import RemoteStorage
import Testing

@testable import BackupEngine
@testable import BackupSources

/// A chain begun by a version that kept the whole file index inline in a format-1 manifest, continued by this
/// one (whose incrementals store an index artifact of their changes): incrementals, restores and verification
/// work across the change of format.
@Suite("File index: chains that start with a format-1 manifest")
struct FileIndexUpgradeTests {
    /// Turns `record` into what the previous version wrote: the manifest in format 1 with the whole tree
    /// inline as `files`, and no index artifact in storage or in the catalog.
    static func downgrade(_ record: BackupRecord, engine: Engine, scratch: Scratch) async throws {
        let entries = try #require(try await FileTreeSource.index(of: try await engine.restoreChain(for: record.id)))
        let index = try #require(record.artifacts.first { $0.role == FileIndex.role })
        let data = try #require(record.artifacts.first { $0.role == "data" })
        let manifestPath = scratch.sub("store/" + Engine.manifestKey(forArtifact: data.key))
        var manifest = try Manifest.decode(Data(contentsOf: URL(fileURLWithPath: manifestPath)))
        manifest.formatVersion = 1
        manifest.files = entries
        manifest.artifacts = [data]
        try FileManager.default.removeItem(atPath: manifestPath)
        try manifest.jsonData().write(to: URL(fileURLWithPath: manifestPath))
        try FileManager.default.removeItem(atPath: scratch.sub("store/" + index.key))
        let edit = try Fixture.shell(
            "sqlite3 '\(scratch.sub("store/catalog.sqlite"))' \"DELETE FROM artifacts WHERE role = 'index' AND backup_id = '\(record.id)'\""
        )
        #expect(edit.status == 0, "\(edit.output)")
    }

    @Test("an incremental on a format-1 full stores only what changed; the chain restores whole and verifies")
    func incrementalOnFormatOne() async throws {
        let scratch = Scratch("index-upgrade")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        try scratch.write("src/kept.txt", "kept")
        try scratch.write("src/changed.txt", "v1")
        try scratch.write("src/gone/old.txt", "old")
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        try await Self.downgrade(full, engine: engine, scratch: scratch)
        #expect(try await engine.catalog.record(full.id)?.artifacts.map(\.role) == ["data"])

        clock.advance(3600)
        try scratch.write("src/changed.txt", "version two")
        try FileManager.default.removeItem(atPath: scratch.sub("src/gone"))
        let outcome = try #require(try await engine.backup(BackupRequest(kind: .incremental)).outcomes.first)
        let incremental = try #require(outcome.record, "\(String(describing: outcome.error))")
        #expect(incremental.kind == .incremental && incremental.parentID == full.id, "\(outcome.notes)")
        let manifest = try await engine.readManifest(of: incremental)
        #expect(manifest.formatVersion == Manifest.currentFormatVersion && manifest.files == nil)
        #expect(manifest.stats.filesStored < manifest.stats.filesTotal, "only what changed is stored: \(manifest.stats)")
        #expect(manifest.deletedPaths == ["src/gone", "src/gone/old.txt"])

        // The tree as of the incremental: the format-1 full's inline index with the incremental's changes applied.
        let tree = try #require(try await FileTreeSource.index(of: try await engine.restoreChain(for: incremental.id)))
        #expect(tree.map(\.path) == ["src", "src/changed.txt", "src/kept.txt"])
        _ = try await engine.restore(incremental.id, to: scratch.sub("restored"))
        #expect(try Fixture.tree(scratch.sub("restored/src")) == Fixture.tree(scratch.sub("src")))
        #expect(try await engine.verify(full.id).isSound)
        #expect(try await engine.verify(incremental.id).isSound)
    }
}

@Suite("File index artifact")
struct FileIndexArtifactTests {
    @Test("a plan without compression still stores its file index zstd-compressed, readable with zstd; retention removes it")
    func compressedWhateverThePlan() async throws {
        let scratch = Scratch("index-plain")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let plan = Fixture.plan(
            scratch, compression: CompressionSettings(algorithm: .none), retention: RetentionPolicy(keepLast: 1))
        let engine = try Fixture.engine(plan, clock: clock)
        try scratch.write("src/a.txt", "alpha")
        let first = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        let data = try #require(first.artifacts.first { $0.role == "data" })
        let index = try #require(first.artifacts.first { $0.role == FileIndex.role })
        #expect(data.compression == .none && data.key.hasSuffix(".tar"))
        #expect(index.compression == .zstd && index.key == Engine.indexKey(forArtifact: data.key, encrypted: false))
        let listed = try Fixture.shell("zstd -dcq '\(scratch.sub("store/" + index.key))'")
        #expect(listed.status == 0 && listed.output.contains("\"path\":\"src/a.txt\""), "\(listed.output)")

        clock.advance(3600)
        _ = try await engine.backup(BackupRequest(kind: .full))
        for key in [data.key, index.key, Engine.manifestKey(forArtifact: data.key)] {
            #expect(try await engine.storage.head(key) == nil, "retention left \(key)")
        }
    }
}

@Suite("File index: the parent's index merged on disk")
struct SpooledParentIndexTests {
    @Test("a chain of three incrementals merges into the same index on disk as in memory; each incremental stores only what changed")
    func spooledEqualsListed() async throws {
        let scratch = Scratch("index-spooled")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        for name in ["a", "b/x", "b/y", "c", "d/z"] { try scratch.write("src/\(name).txt", name) }
        var records = [try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)]
        let steps: [() throws -> Void] = [
            {
                try scratch.write("src/a.txt", "a, second"); try scratch.write("src/b0.txt", "new, sorts after the folder b")
            },
            {
                try FileManager.default.removeItem(atPath: scratch.sub("src/b")); try scratch.write("src/e.txt", "e")
            },
            {
                try scratch.write("src/b/x.txt", "x again, in a folder deleted before");
                try FileManager.default.removeItem(atPath: scratch.sub("src/c.txt"))
            },
        ]
        for step in steps {
            clock.advance(3600)
            try step()
            let outcome = try #require(try await engine.backup(BackupRequest(kind: .incremental)).outcomes.first)
            let record = try #require(outcome.record, "\(String(describing: outcome.error))")
            #expect(record.kind == .incremental)
            let manifest = try await engine.readManifest(of: record)
            #expect(manifest.stats.filesStored < manifest.stats.filesTotal, "only what changed: \(manifest.stats)")
            records.append(record)

            let chain = try await engine.restoreChain(for: record.id)
            let listed = try #require(try await FileTreeSource.index(of: chain))
            let spool = try #require(try await FileTreeSource.spooledIndex(of: chain, source: "config"))
            var spooled: [FileEntry] = []
            while let entry = try spool.next() { spooled.append(entry) }
            #expect(spooled == listed)
        }
        let tree = try #require(try await FileTreeSource.index(of: try await engine.restoreChain(for: records[3].id)))
        #expect(
            tree.map(\.path) == [
                "src", "src/a.txt", "src/b", "src/b/x.txt", "src/b0.txt", "src/d", "src/d/z.txt", "src/e.txt",
            ])
        _ = try await engine.restore(records[3].id, to: scratch.sub("restored"))
        #expect(try Fixture.tree(scratch.sub("restored/src")) == Fixture.tree(scratch.sub("src")))
    }
}
