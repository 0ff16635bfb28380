import BackupCatalog
import BackupModels
import Foundation
import GRDB
import RemoteStorage
import Testing

@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupSources

/// Restores are verified, then made visible: nothing unverified reaches the target, and a failure names the backup.
@Suite("Restores are verified before they become visible")
struct VerifiedRestoreTests {
    /// Staging or old-content folders a restore left beside (or inside) the target.
    static func leftovers(_ scratch: Scratch) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []
        let inside = (try? FileManager.default.contentsOfDirectory(atPath: scratch.sub("target"))) ?? []
        return (names + inside).filter { $0.contains("backupkit") }
    }

    static func artifactPath(_ scratch: Scratch, _ record: BackupRecord) throws -> String {
        scratch.sub("store/" + (try #require(record.artifacts.first).key))
    }

    /// Bytes that zstd cannot shrink, so the artifact has several blocks.
    static func noise(_ count: Int, seed: UInt64) -> String {
        var state = seed
        return String(
            (0..<count).map { _ -> Character in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Character(UnicodeScalar(UInt8(97 + (state >> 33) % 26)))
            })
    }

    /// What a user checks after a failed restore: the error names the backup (id and label), its source and
    /// its artifact key, and it is a damaged-backup error.
    static func expectNamesTheBackup(_ error: (any Error)?, _ record: BackupRecord, code: EngineError.Code = .damaged) throws {
        let engineError = try #require(error as? EngineError, "\(String(describing: error))")
        let text = String(describing: engineError)
        #expect(engineError.code == code, "\(text)")
        #expect(engineError.backupID == record.id)
        #expect(text.contains(record.label.description), "\(text)")
        #expect(text.contains(record.id.rawValue), "\(text)")
        #expect(text.contains("'\(record.source)'"), "\(text)")
        #expect(text.contains(try #require(record.artifacts.first).key), "\(text)")
    }

    @Test("a swapped file-tree artifact writes nothing into the target and names the backup")
    func swappedTreeArtifact() async throws {
        let scratch = Scratch("verified")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        try scratch.write("src/a.txt", "first tree")
        let first = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        clock.advance(3600)
        try FileManager.default.removeItem(atPath: scratch.sub("src/a.txt"))
        try scratch.write("src/b.txt", "second tree")
        let second = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)

        // An operator copied the wrong file over the first artifact.
        try FileManager.default.removeItem(atPath: try Self.artifactPath(scratch, first))
        try FileManager.default.copyItem(atPath: try Self.artifactPath(scratch, second), toPath: try Self.artifactPath(scratch, first))

        let error = await #expect(throws: EngineError.self) { try await engine.restore(first.id, to: scratch.sub("target")) }
        try Self.expectNamesTheBackup(error, first)
        #expect(try Fixture.tree(scratch.sub("target")).isEmpty, "nothing unverified is left in the target")
        #expect(Self.leftovers(scratch).isEmpty)
    }

    @Test("a swapped SQLite artifact leaves no database file in the target")
    func swappedSQLiteArtifact() async throws {
        let scratch = Scratch("verified-sqlite")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let database = scratch.sub("app.db")
        let queue = try DatabaseQueue(path: database)
        try await queue.write { try $0.execute(sql: "CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('one');") }
        let plan = Fixture.plan(scratch, sources: [.sqlite(SQLiteSourceConfig(name: "app", path: database))])
        let engine = try Fixture.engine(plan, clock: clock)
        let first = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        clock.advance(3600)
        try await queue.write { try $0.execute(sql: "INSERT INTO t VALUES ('two');") }
        try queue.close()
        let second = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        try FileManager.default.removeItem(atPath: try Self.artifactPath(scratch, first))
        try FileManager.default.copyItem(atPath: try Self.artifactPath(scratch, second), toPath: try Self.artifactPath(scratch, first))

        let error = await #expect(throws: EngineError.self) { try await engine.restore(first.id, to: scratch.sub("target")) }
        try Self.expectNamesTheBackup(error, first)
        #expect(!FileManager.default.fileExists(atPath: scratch.sub("target/app.db")))
        #expect(try Fixture.tree(scratch.sub("target")).isEmpty)
        #expect(Self.leftovers(scratch).isEmpty)

        // The untouched backup still restores, as a file SQLite opens.
        _ = try await engine.restore(second.id, to: scratch.sub("target"))
        let restored = try DatabaseQueue(path: scratch.sub("target/app.db"))
        #expect(try await restored.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM t") } == 2)
    }

    @Test("a corrupted zstd stream with --force keeps the old content and names the backup")
    func corruptedStreamKeepsOldContent() async throws {
        let scratch = Scratch("verified-corrupt")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        for index in 0..<8 { try scratch.write("src/file-\(index).txt", Self.noise(200_000, seed: UInt64(index + 1))) }
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        let path = try Self.artifactPath(scratch, full)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for offset in (bytes.count / 2)..<(bytes.count / 2 + 64) { bytes[offset] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        try scratch.write("target/old/keep.txt", "old content")
        let before = try Fixture.tree(scratch.sub("target"))
        let error = await #expect(throws: EngineError.self) {
            try await engine.restore(full.id, to: scratch.sub("target"), options: FolderRestoreOptions(allowNonEmptyTarget: true))
        }
        try Self.expectNamesTheBackup(error, full)
        #expect(error?.underlying != nil, "the decoder's own error is kept")
        #expect(try Fixture.tree(scratch.sub("target")) == before, "the old content is replaced only after verification")
        #expect(Self.leftovers(scratch).isEmpty)
    }

    @Test("a damaged AES frame writes nothing into the target and names the backup")
    func damagedEncryptedFrame() async throws {
        let scratch = Scratch("verified-aes")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let key = try EncryptionKey(bytes: (0..<32).map { UInt8($0 * 7 % 256) })
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock, key: key)
        for index in 0..<4 { try scratch.write("src/file-\(index).txt", Self.noise(100_000, seed: UInt64(index + 11))) }
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        let path = try Self.artifactPath(scratch, full)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        // One byte inside the second 64 KiB frame: the first frame decrypts and is extracted before this one fails.
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let error = await #expect(throws: EngineError.self) { try await engine.restore(full.id, to: scratch.sub("target")) }
        try Self.expectNamesTheBackup(error, full)
        #expect(error?.underlying is CodecError, "the decryptor's own error is kept")
        #expect(try Fixture.tree(scratch.sub("target")).isEmpty)
        #expect(Self.leftovers(scratch).isEmpty)
    }

    @Test("every file is checked against the manifest's size and SHA-256, with or without hash_contents")
    func filesCheckedAgainstTheManifest() async throws {
        let scratch = Scratch("verified-files")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        try scratch.write("src/a.txt", "alpha")
        try scratch.write("src/sub/b.txt", "beta")
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        let manifestPath = scratch.sub("store/" + Engine.manifestKey(forArtifact: try #require(full.artifacts.first).key))
        let manifest = try Manifest.decode(Data(contentsOf: URL(fileURLWithPath: manifestPath)))
        #expect(manifest.files == nil, "the file index is an artifact of its own")
        let entries = try #require(try await FileTreeSource.index(of: try await engine.restoreChain(for: full.id)))
        let files = entries.filter { $0.type == .file }
        #expect(files.count == 2)
        #expect(files.allSatisfy { $0.sha256?.count == 64 }, "the index lists each stored file's SHA-256")

        // The index says b.txt held other bytes than the data artifact restores: the index artifact is rewritten
        // and the catalog given its new checksum, so only the per-file check can notice.
        let index = scratch.sub("store/" + (try #require(full.artifacts.first { $0.role == "index" })).key)
        let sha = try #require(files.first { $0.path == "src/sub/b.txt" }?.sha256)
        let rewrite = try Fixture.shell(
            """
            set -e
            zstd -dcq '\(index)' | sed 's/\(sha)/\(String(repeating: "0", count: 64))/' | zstd -qf -o '\(index).new'
            mv '\(index).new' '\(index)'
            sqlite3 '\(scratch.sub("store/catalog.sqlite"))' \
              "UPDATE artifacts SET sha256 = '$(sha256sum '\(index)' | cut -c1-64)', size_bytes = $(stat -c %s '\(index)') WHERE role = 'index'"
            """)
        #expect(rewrite.status == 0, "\(rewrite.output)")

        let error = await #expect(throws: EngineError.self) { try await engine.restore(full.id, to: scratch.sub("target")) }
        try Self.expectNamesTheBackup(error, full)
        #expect(String(describing: try #require(error)).contains("src/sub/b.txt"))
        #expect(try Fixture.tree(scratch.sub("target")).isEmpty)
        #expect(Self.leftovers(scratch).isEmpty)
    }

    @Test("links pointing out are refused from the manifest before any byte is written, naming the option")
    func externalLinksDecidedUpFront() async throws {
        let scratch = Scratch("verified-links")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        try scratch.write("src/a-first.txt", "written before the link in tar order")
        try FileManager.default.createSymbolicLink(atPath: scratch.sub("src/m-localtime"), withDestinationPath: "/etc/passwd")
        try scratch.write("src/z-last.txt", "last")
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)

        let error = await #expect(throws: EngineError.self) { try await engine.restore(full.id, to: scratch.sub("target")) }
        let text = String(describing: try #require(error))
        #expect(text.contains("--allow-external-links"), "\(text)")
        #expect(text.contains("src/m-localtime"), "\(text)")
        #expect(text.contains(full.label.description), "\(text)")
        #expect(try Fixture.tree(scratch.sub("target")).isEmpty)
        #expect(Self.leftovers(scratch).isEmpty)

        // Allowed, the link is restored as a link, not followed.
        _ = try await engine.restore(full.id, to: scratch.sub("target"), options: FolderRestoreOptions(allowExternalLinks: true))
        #expect(try Fixture.tree(scratch.sub("target") + "/src") == Fixture.tree(scratch.sub("src")))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.sub("target/src/m-localtime")) == "/etc/passwd")
        #expect(Self.leftovers(scratch).isEmpty)
    }

    @Test("--force replaces the old content with exactly the verified tree")
    func forceReplacesAfterVerification() async throws {
        let scratch = Scratch("verified-force")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        try scratch.write("src/a.txt", "new a")
        try scratch.write("src/deep/b.txt", "new b")
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        try scratch.write("target/src/a.txt", "old a")
        try scratch.write("target/src/stale.txt", "not in the backup")
        try scratch.write("target/other/c.txt", "not in the backup either")
        let report = try await engine.restore(
            full.id, to: scratch.sub("target"), options: FolderRestoreOptions(allowNonEmptyTarget: true))
        #expect(report.filesWritten > 0)
        #expect(try Fixture.tree(scratch.sub("target")).keys.sorted() == ["src", "src/a.txt", "src/deep", "src/deep/b.txt"])
        #expect(try Fixture.tree(scratch.sub("target") + "/src") == Fixture.tree(scratch.sub("src")))
        #expect(Self.leftovers(scratch).isEmpty)
    }
}

extension VerifiedRestoreTests {
    @Test("a cancelled restore (what SIGTERM does) never becomes visible: the target stays empty, staging is removed")
    func cancelledRestoreStaysInvisible() async throws {
        let scratch = Scratch("verified-cancel")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: TestClock("2026-11-24T17:30:00Z"))
        for index in 0..<20 { try scratch.write("src/f\(index).txt", Self.noise(50_000, seed: UInt64(index))) }
        let record = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        let target = scratch.sub("target")
        let restore = Task { try await engine.restore(record.id, to: target) }
        restore.cancel()
        await #expect(throws: CancellationError.self) { _ = try await restore.value }
        #expect(try Fixture.tree(target).isEmpty, "nothing of a cancelled restore is visible")
        #expect(Self.leftovers(scratch).isEmpty)
    }
}
