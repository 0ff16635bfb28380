import BackupCatalog
import BackupModels
import Crypto
import Foundation
import MetricsTestKit
import RemoteStorage
import Retention
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

@Suite("Engine: backup, incremental chain, restore")
struct EngineTests {
    @Test("full → incremental → incremental restores each point in time exactly, deletions applied")
    func chainRestore() async throws {
        let scratch = Scratch()
        try scratch.write("src/app.yaml", "port: 8080\n")
        try scratch.write("src/conf.d/a.conf", "a=1\n")
        try scratch.write("src/conf.d/b.conf", "b=1\n")
        try scratch.write("src/cache.tmp", "excluded\n")
        try FileManager.default.createSymbolicLink(atPath: scratch.sub("src/current"), withDestinationPath: "conf.d/a.conf")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)

        let first = try await engine.backup(BackupRequest(kind: .full))
        let full = try #require(first.outcomes.first?.record)
        #expect(full.kind == .full)
        #expect(full.label.rawValue == "20261125-013000F")
        let expectedFull = try Fixture.tree(scratch.sub("src")).filter { !$0.key.hasSuffix(".tmp") }

        // Change one file, add one, delete one.
        clock.advance(1800)
        try scratch.write("src/app.yaml", "port: 9090\n")
        try scratch.write("src/conf.d/c.conf", "c=1\n")
        try FileManager.default.removeItem(atPath: scratch.sub("src/conf.d/b.conf"))
        let second = try await engine.backup(BackupRequest(kind: .incremental))
        let inc1 = try #require(second.outcomes.first?.record)
        #expect(inc1.kind == .incremental)
        #expect(inc1.parentID == full.id)
        #expect(inc1.label.rawValue == "20261125-013000F_20261125-020000I")
        let expectedInc1 = try Fixture.tree(scratch.sub("src")).filter { !$0.key.hasSuffix(".tmp") }
        let manifest1 = try await engine.readManifest(of: inc1)
        #expect(manifest1.deletedPaths == ["src/conf.d/b.conf"])
        #expect(manifest1.stats.filesStored < manifest1.stats.filesTotal, "unchanged files are not stored again")

        clock.advance(1800)
        try FileManager.default.removeItem(atPath: scratch.sub("src/conf.d"))
        try scratch.write("src/new/deep/file.txt", "deep\n")
        let third = try await engine.backup(BackupRequest(kind: .incremental))
        let inc2 = try #require(third.outcomes.first?.record)
        #expect(inc2.parentID == inc1.id)
        let expectedInc2 = try Fixture.tree(scratch.sub("src")).filter { !$0.key.hasSuffix(".tmp") }

        for (record, expected) in [(full, expectedFull), (inc1, expectedInc1), (inc2, expectedInc2)] {
            let target = scratch.sub("restore-\(record.id)")
            let report = try await engine.restore(record.id, to: target)
            #expect(try Fixture.tree(target + "/src") == expected, "restore of \(record.label)")
            #expect(report.chain.first?.id == full.id)
        }
        // Modes survive.
        let mode =
            try FileManager.default.attributesOfItem(atPath: scratch.sub("restore-\(inc2.id)/src/app.yaml"))[.posixPermissions] as? Int
        let original = try FileManager.default.attributesOfItem(atPath: scratch.sub("src/app.yaml"))[.posixPermissions] as? Int
        #expect(mode == original)
    }

    @Test("the catalog commits only after the artifact and manifest are stored, with size and checksum")
    func commitOrder() async throws {
        let scratch = Scratch()
        try scratch.write("src/a.txt", String(repeating: "x", count: 100_000))
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        let report = try await engine.backup()
        let record = try #require(report.outcomes.first?.record)
        let artifact = try #require(record.artifacts.first)
        let head = try #require(try await engine.storage.head(artifact.key))
        #expect(head.sizeBytes == artifact.sizeBytes)
        #expect(try await engine.storage.head(Engine.manifestKey(forArtifact: artifact.key)) != nil)
        let bytes = try await engine.storage.getBytes(artifact.key)
        #expect(HashingTransformer.hex(SHA256Hash.digest(bytes)) == artifact.sha256)
        #expect(artifact.uncompressedBytes ?? 0 > artifact.sizeBytes, "zstd compressed the repetitive file")
    }

    @Test("a source that fails midway leaves a failed record and nothing in storage")
    func failingSource() async throws {
        let scratch = Scratch()
        let clock = TestClock("2026-11-24T17:30:00Z")
        var engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        engine.makeSource = { _ in FailingSource() }
        let report = try await engine.backup()
        #expect(!report.succeeded)
        let records = try await engine.list()
        #expect(records.count == 1)
        #expect(records.first?.state == .failed)
        #expect(records.first?.failureReason?.contains("disk read error") == true)
        var keys: [String] = []
        for try await object in engine.storage.listAll(prefix: "test/") { keys.append(object.key) }
        #expect(keys.isEmpty, "no artifact, manifest or partial file remains: \(keys)")
        let partials = try Fixture.shell("find '\(scratch.sub("store"))' -name '*partial*' | wc -l").output
        #expect(partials.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test("an interrupted run is marked failed by the next run and its leftovers are removed")
    func recovery() async throws {
        let scratch = Scratch()
        try scratch.write("src/a.txt", "a")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        // Simulate a run killed after its upload but before the commit.
        let label = BackupLabel.full(at: clock.now, in: TimeZone(identifier: "Asia/Shanghai")!)
        let stale = BackupRecord(plan: "test", source: "config", kind: .full, label: label, startedAt: clock.now, host: "test-host")
        try await engine.catalog.insert(stale)
        let key = try engine.plan.naming.render(
            NamingTemplate.Values(
                plan: "test", source: "config", kind: .full, label: label, host: "test-host", ext: "tar.zst", date: clock.now),
            in: TimeZone(identifier: "Asia/Shanghai")!)
        try await engine.storage.put(Array("half an artifact".utf8), at: key)

        clock.advance(60)
        let report = try await engine.backup()
        #expect(report.recovered.map(\.id) == [stale.id])
        #expect(try await engine.catalog.record(stale.id)?.state == .failed)
        #expect(try await engine.storage.head(key) == nil)
        #expect(report.succeeded)
        // No committed record lacks its artifact.
        for record in try await engine.list(states: [.committed]) {
            for artifact in record.artifacts { #expect(try await engine.storage.head(artifact.key) != nil) }
        }
    }

    @Test("verify names the damaged backup; restore refuses it")
    func tamper() async throws {
        let scratch = Scratch()
        try scratch.write("src/a.txt", String(repeating: "hello ", count: 10_000))
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        let good = try #require(try await engine.backup().outcomes.first?.record)
        clock.advance(3600)
        try scratch.write("src/b.txt", "b")
        let damaged = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        #expect(try await engine.verify(good.id).isSound)
        #expect(try await engine.verify(damaged.id).isSound)

        // Flip one byte in the middle of the second artifact.
        let path = scratch.sub("store/") + damaged.artifacts[0].key
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let result = try await engine.verify(damaged.id)
        #expect(!result.isSound)
        #expect(result.id == damaged.id)
        #expect(result.problems.contains { $0.contains("checksum") || $0.contains("cannot be read back") })
        #expect(try await engine.verify(good.id).isSound, "only the damaged backup is reported")
        await #expect(throws: (any Error).self) { try await engine.restore(damaged.id, to: scratch.sub("r")) }
    }

    @Test("a SQLite source asked for an incremental takes a full backup and says so; restore yields the same rows")
    func sqliteSource() async throws {
        let scratch = Scratch()
        let database = scratch.sub("app.db")
        try Fixture.shell(
            "sqlite3 '\(database)' \"CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t(v) VALUES ('a'),('b'),('c');\"")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let plan = Fixture.plan(scratch, sources: [.sqlite(SQLiteSourceConfig(name: "app-db", path: database))])
        let engine = try Fixture.engine(plan, clock: clock)
        _ = try await engine.backup()
        clock.advance(60)
        let report = try await engine.backup(BackupRequest(kind: .incremental))
        let outcome = try #require(report.outcomes.first)
        #expect(outcome.record?.kind == .full)
        #expect(outcome.notes.contains { $0.contains("cannot take incremental") })
        #expect(outcome.record?.artifacts.first?.key.hasSuffix(".sqlite.zst") == true)

        let target = scratch.sub("restored")
        _ = try await engine.restore(try #require(outcome.record?.id), to: target)
        let rows = try Fixture.shell("sqlite3 '\(target)/app.db' 'SELECT group_concat(v) FROM t'").output
        #expect(rows.trimmingCharacters(in: .whitespacesAndNewlines) == "a,b,c")
    }

    @Test("an unencrypted file backup restores with zstd and tar alone")
    func standardTools() async throws {
        let scratch = Scratch()
        try scratch.write("src/dir with space/naïve.txt", "unicode\n")
        try scratch.write("src/" + String(repeating: "long-name-", count: 12) + "/" + String(repeating: "x", count: 120) + ".txt", "long\n")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        let record = try #require(try await engine.backup().outcomes.first?.record)
        let artifact = scratch.sub("store/") + record.artifacts[0].key
        let out = scratch.sub("tar-out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try Fixture.shell("zstd -dc '\(artifact)' | tar -x -C '\(out)' && echo OK")
        #expect(result.output.contains("OK"), "\(result.output)")
        #expect(try Fixture.tree(out + "/src") == Fixture.tree(scratch.sub("src")))
    }

    @Test("gzip and no compression round-trip", arguments: [CompressionAlgorithm.gzip, .none])
    func otherCompressions(_ algorithm: CompressionAlgorithm) async throws {
        let scratch = Scratch()
        try scratch.write("src/a.txt", "alpha\n")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch, compression: CompressionSettings(algorithm: algorithm)), clock: clock)
        let record = try #require(try await engine.backup().outcomes.first?.record)
        #expect(record.artifacts[0].key.hasSuffix(algorithm == .gzip ? ".tar.gz" : ".tar"))
        _ = try await engine.restore(record.id, to: scratch.sub("r"))
        #expect(try Fixture.tree(scratch.sub("r/src")) == Fixture.tree(scratch.sub("src")))
        #expect(try await engine.verify(record.id).isSound)
    }

    @Test("restore refuses a non-empty target unless allowed")
    func nonEmptyTarget() async throws {
        let scratch = Scratch()
        try scratch.write("src/a.txt", "a")
        try scratch.write("target/existing.txt", "keep")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: TestClock("2026-11-24T17:30:00Z"))
        let record = try #require(try await engine.backup().outcomes.first?.record)
        await #expect {
            try await engine.restore(record.id, to: scratch.sub("target"))
        } throws: { ($0 as? EngineError)?.code == .targetNotEmpty }
        #expect(FileManager.default.fileExists(atPath: scratch.sub("target/existing.txt")))
        _ = try await engine.restore(record.id, to: scratch.sub("target"), options: FolderRestoreOptions(allowNonEmptyTarget: true))
        #expect(FileManager.default.fileExists(atPath: scratch.sub("target/src/a.txt")))
    }

    @Test("retention runs after each backup and removes expired artifacts")
    func retentionAfterBackup() async throws {
        let scratch = Scratch()
        try scratch.write("src/a.txt", "a")
        let clock = TestClock("2026-11-20T01:00:00Z")
        let plan = Fixture.plan(scratch, retention: RetentionPolicy(keepLast: 2))
        let engine = try Fixture.engine(plan, clock: clock)
        var records: [BackupRecord] = []
        for _ in 0..<4 {
            records.append(try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record))
            clock.advance(86_400)
        }
        let states = try await engine.list().map(\.state)
        #expect(states == [.expired, .expired, .committed, .committed])
        for record in records.prefix(2) {
            #expect(try await engine.storage.head(record.artifacts[0].key) == nil)
        }
        for record in records.suffix(2) {
            #expect(try await engine.storage.head(record.artifacts[0].key) != nil)
        }
    }

    @Test("progress arrives as an async sequence of events ending with finished")
    func progressEvents() async throws {
        let scratch = Scratch()
        try scratch.write("src/big.bin", String(repeating: "0123456789", count: 400_000))
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: TestClock("2026-11-24T17:30:00Z"))
        let reporter = ProgressReporter(interval: .zero)
        let collector = Task { () -> [ProgressEvent] in
            var events: [ProgressEvent] = []
            for await event in reporter.events { events.append(event) }
            return events
        }
        _ = try await engine.backup(progress: reporter)
        let events = await collector.value
        #expect(events.first?.phase == .started)
        #expect(events.first?.bytesExpected == 4_000_000)
        #expect(events.contains { $0.phase == .transferring })
        #expect(events.last?.phase == .finished)
        #expect(events.last?.bytesRead == 4_000_000)
        #expect(events.last?.filesDone == 2, "the folder and the file")
        #expect(events.first?.filesExpected == 2)
    }

    @Test("a second process cannot run the same plan while the first holds the lock")
    func planLock() throws {
        let scratch = Scratch()
        let first = PlanLock(path: scratch.sub("lock"))
        try first.acquire(plan: "p")
        // flock locks are per open file description, so a second descriptor in this process conflicts too.
        let second = PlanLock(path: scratch.sub("lock"))
        #expect { try second.acquire(plan: "p") } throws: { ($0 as? EngineError)?.code == .locked }
        first.release()
        #expect(throws: Never.self) { try second.acquire(plan: "p") }
    }
}

/// A source whose stream fails after a few chunks.
struct FailingSource: BackupSource {
    var name: String { "config" }
    var typeName: String { "files" }
    var supportsIncremental: Bool { false }
    var payloadExtensions: [String] { ["tar"] }

    func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup {
        let stream = ByteStream {
            let count = Counter()
            return {
                count.value += 1
                if count.value > 3 { throw SourceError(code: .unreadable, source: "config", path: "/x", message: "disk read error") }
                return [UInt8](repeating: 7, count: 1 << 20)
            }
        }
        return PreparedBackup(stream: stream, fileExtension: "tar", outcome: { SourceOutcome() })
    }

    final class Counter: @unchecked Sendable { var value = 0 }
}

enum SHA256Hash {
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = Crypto.SHA256()
        hasher.update(data: bytes)
        return Array(hasher.finalize())
    }
}

@Suite("Engine: metrics")
struct EngineMetricsTests {
    @Test("a committed and a failed backup are counted, with bytes stored and a duration")
    func counters() async throws {
        let scratch = Scratch()
        try scratch.write("src/a.txt", String(repeating: "metrics ", count: 1000))
        let metrics = TestMetrics()
        var engine = try Fixture.engine(Fixture.plan(scratch), clock: TestClock("2026-11-24T17:30:00Z"))
        engine.metrics = metrics
        let record = try #require(try await engine.backup().outcomes.first?.record)
        let dimensions = [("plan", "test"), ("source", "config")]
        #expect(try metrics.expectCounter("backupkit_backups_total", dimensions + [("result", "committed")]).totalValue == 1)
        #expect(try metrics.expectCounter("backupkit_bytes_stored_total", dimensions).totalValue == record.sizeBytes)
        #expect(try metrics.expectTimer("backupkit_backup_duration_seconds", dimensions).values.count == 1)

        engine.makeSource = { _ in FailingSource() }
        _ = try await engine.backup()
        #expect(try metrics.expectCounter("backupkit_backups_total", dimensions + [("result", "failed")]).totalValue == 1)
    }
}
