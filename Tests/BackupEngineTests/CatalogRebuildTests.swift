import BackupCatalog
import BackupModels
import Foundation
import GRDB
import Logging
import RemoteStorage
import Retention
import Testing

@testable import BackupEngine
@testable import BackupSources

/// `Engine.rebuildCatalog`: a catalog lost, then recreated from the manifests in storage.
@Suite("Catalog rebuild from storage")
struct CatalogRebuildTests {
    /// A plan over a files source (`src`) and a SQLite database (`app.db`) with local storage in `store`.
    static func plan(_ scratch: Scratch, name: String = "test") -> BackupPlan {
        BackupPlan(
            name: name, catalogPath: scratch.sub("catalog/catalog.sqlite"),
            storage: .local(LocalStorageConfig(path: scratch.sub("store"))),
            sources: [
                .files(FileTreeSourceConfig(name: "config", paths: [scratch.sub("src")], exclude: ["*.tmp"])),
                .sqlite(SQLiteSourceConfig(name: "app-db", path: scratch.sub("app.db"))),
            ],
            compression: CompressionSettings(algorithm: .zstd, level: 3), retention: nil, timeZoneIdentifier: "Asia/Shanghai")
    }

    static func engine(_ plan: BackupPlan, storage: any Storage, clock: TestClock) throws -> Engine {
        try FileManager.default.createDirectory(
            atPath: (plan.catalogPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return Engine(
            plan: plan, catalog: try SQLiteCatalog(path: plan.catalogPath), storage: storage, logger: Fixture.logger,
            host: "test-host", now: { clock.now }, lockPath: plan.catalogPath + ".lock")
    }

    /// Closes the engine's catalog and deletes its file (with WAL and shared memory), as a lost machine would.
    static func loseCatalog(of engine: Engine) throws {
        try (engine.catalog as? SQLiteCatalog)?.close()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: engine.plan.catalogPath + suffix) }
        #expect(!FileManager.default.fileExists(atPath: engine.plan.catalogPath))
    }

    /// Writes the sample tree and database, then takes full, incremental, incremental backups of both
    /// sources (the SQLite source takes fulls each time), 30 minutes apart. Returns the committed records.
    static func takeBackups(_ scratch: Scratch, engine: Engine, clock: TestClock) async throws -> [BackupRecord] {
        try scratch.write("src/app.yaml", "port: 8080\n")
        try scratch.write("src/conf.d/a.conf", "a=1\n")
        let database = try DatabaseQueue(path: scratch.sub("app.db"))
        try await database.write { db in
            try db.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)")
            try db.execute(sql: "INSERT INTO t(v) VALUES ('one'), ('two')")
        }
        var records: [BackupRecord] = []
        for (step, kind) in [BackupRequest.Kind.full, .incremental, .incremental].enumerated() {
            if step > 0 {
                clock.advance(1800)
                try scratch.write("src/step-\(step).txt", "step \(step)\n")
                try await database.write { db in try db.execute(sql: "INSERT INTO t(v) VALUES (?)", arguments: ["step \(step)"]) }
            }
            let report = try await engine.backup(BackupRequest(kind: kind, tags: step == 0 ? ["first", "manual"] : []))
            for outcome in report.outcomes {
                records.append(try #require(outcome.record, "\(outcome.source): \(String(describing: outcome.error))"))
            }
        }
        return records
    }

    /// What a user compares in `list --json`: everything but sub-millisecond time digits (manifests keep milliseconds).
    static func expectSameRecords(_ rebuilt: [BackupRecord], _ original: [BackupRecord], sourceLocation: SourceLocation = #_sourceLocation)
    {
        let left = rebuilt.sorted { $0.id.rawValue < $1.id.rawValue }
        let right = original.sorted { $0.id.rawValue < $1.id.rawValue }
        #expect(left.map(\.id) == right.map(\.id), sourceLocation: sourceLocation)
        for (a, b) in zip(left, right) {
            #expect(a.label == b.label && a.parentID == b.parentID && a.kind == b.kind, sourceLocation: sourceLocation)
            #expect(a.plan == b.plan && a.source == b.source && a.host == b.host && a.tags == b.tags, sourceLocation: sourceLocation)
            #expect(a.state == .committed && b.state == .committed, sourceLocation: sourceLocation)
            #expect(a.artifacts == b.artifacts, "sizes and checksums of \(a.label)", sourceLocation: sourceLocation)
            #expect(a.position == b.position, sourceLocation: sourceLocation)
            #expect(abs(a.startedAt.timeIntervalSince(b.startedAt)) < 0.001, sourceLocation: sourceLocation)
            #expect(
                abs((a.finishedAt ?? .distantPast).timeIntervalSince(b.finishedAt ?? .distantFuture)) < 0.001,
                sourceLocation: sourceLocation)
        }
    }

    /// Rebuilds the lost catalog of `engine`'s plan over `storage` and checks records, idempotence and restores.
    static func loseAndRebuild(
        _ scratch: Scratch, plan: BackupPlan, storage: any Storage, clock: TestClock, engine: Engine, originals: [BackupRecord]
    ) async throws -> Engine {
        try loseCatalog(of: engine)
        let fresh = try Self.engine(plan, storage: storage, clock: clock)
        #expect(try await fresh.list().isEmpty)

        let dry = try await fresh.rebuildCatalog(dryRun: true)
        #expect(dry.added == originals.count)
        #expect(dry.conflicts.isEmpty)
        #expect(try await fresh.list().isEmpty, "--dry-run writes nothing")

        let report = try await fresh.rebuildCatalog()
        #expect(report.added == originals.count)
        #expect(report.present == 0)
        #expect(report.conflicts.isEmpty, "\(report.conflicts)")
        #expect(report.missingInStorage.isEmpty)
        expectSameRecords(try await fresh.list(), originals)

        let again = try await fresh.rebuildCatalog()
        #expect(again.added == 0)
        #expect(again.present == originals.count)
        #expect(again.conflicts.isEmpty && again.missingInStorage.isEmpty)
        expectSameRecords(try await fresh.list(), originals)
        return fresh
    }

    /// Restores every record and checks the tree or database it holds.
    static func expectRestorable(_ engine: Engine, _ records: [BackupRecord], scratch: Scratch) async throws {
        for record in records {
            let target = scratch.sub("restore-\(record.id)")
            let report = try await engine.restore(record.id, to: target)
            #expect(report.chain.last?.id == record.id)
            if record.source == "config" {
                let tree = try Fixture.tree(target + "/src")
                #expect(tree["app.yaml"] == "port: 8080\n", "restore of \(record.label)")
                let chain = records.filter { $0.source == "config" }
                let step = try #require(chain.firstIndex { $0.id == record.id })
                #expect(tree.keys.filter { $0.hasPrefix("step-") }.count == step, "restore of \(record.label)")
            } else {
                let files = try FileManager.default.contentsOfDirectory(atPath: target)
                let database = try DatabaseQueue(path: target + "/" + (try #require(files.first { $0.hasSuffix(".db") })))
                let count = try await database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") }
                #expect((count ?? 0) >= 2, "restore of \(record.label)")
            }
        }
    }

    /// A scratch folder, a clock, the plan, its local storage and engine, and the backups ``takeBackups`` took.
    static func backedUp(_ name: String) async throws -> (
        scratch: Scratch, clock: TestClock, plan: BackupPlan, storage: LocalStorage, engine: Engine, originals: [BackupRecord]
    ) {
        let scratch = Scratch(name)
        let clock = TestClock("2026-11-25T01:30:00Z")
        let plan = Self.plan(scratch)
        let storage = try LocalStorage(root: scratch.sub("store"))
        let engine = try Self.engine(plan, storage: storage, clock: clock)
        return (scratch, clock, plan, storage, engine, try await Self.takeBackups(scratch, engine: engine, clock: clock))
    }

    @Test("local storage: after losing the catalog, a rebuild recreates every record with its id, parent and checksums; all restore")
    func localRoundTrip() async throws {
        let (scratch, clock, plan, storage, engine, originals) = try await Self.backedUp("rebuild")
        #expect(originals.count == 6)
        #expect(originals.filter { $0.kind == .incremental }.count == 2, "the files source chains two incrementals")
        #expect(try await engine.readManifest(of: originals[0]).tags == ["first", "manual"], "manifests keep the tags")

        let fresh = try await Self.loseAndRebuild(
            scratch, plan: plan, storage: storage, clock: clock, engine: engine, originals: originals)
        try await Self.expectRestorable(fresh, originals, scratch: scratch)
        for record in originals { #expect(try await fresh.verify(record.id).isSound) }
        // Backups go on from the rebuilt catalog: the next incremental builds on the rebuilt chain.
        clock.advance(1800)
        let next = try await fresh.backup(BackupRequest(kind: .incremental, sources: ["config"]))
        #expect(next.outcomes.first?.record?.parentID == originals.last { $0.source == "config" }?.id)
    }

    @Test("S3 (SeaweedFS): a lost catalog comes back from the bucket, incrementals with their parents; all restore")
    func s3RoundTrip() async throws {
        guard S3Fixture.isAvailable else { return }
        try await S3Fixture.withStorage { storage in
            let scratch = Scratch("rebuild-s3")
            let clock = TestClock("2026-11-25T01:30:00Z")
            var plan = Self.plan(scratch)
            plan.storage = .local(LocalStorageConfig(path: scratch.sub("unused")))
            let engine = try Self.engine(plan, storage: storage, clock: clock)
            let originals = try await Self.takeBackups(scratch, engine: engine, clock: clock)
            let fresh = try await Self.loseAndRebuild(
                scratch, plan: plan, storage: storage, clock: clock, engine: engine, originals: originals)
            try await Self.expectRestorable(fresh, originals, scratch: scratch)
        }
    }

    @Test("a manifest whose artifact is gone or has another size is a conflict, not a record; its children too")
    func conflicts() async throws {
        let (scratch, clock, plan, storage, engine, originals) = try await Self.backedUp("rebuild-conflict")
        try Self.loseCatalog(of: engine)

        // The first SQLite full loses its artifact; the first files incremental's artifact grows by a byte.
        let sqliteFull = try #require(originals.first { $0.source == "app-db" })
        let filesIncremental = try #require(originals.first { $0.source == "config" && $0.kind == .incremental })
        let filesChild = try #require(originals.first { $0.parentID == filesIncremental.id })
        try FileManager.default.removeItem(atPath: scratch.sub("store/" + sqliteFull.artifacts[0].key))
        let grown = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.sub("store/" + filesIncremental.artifacts[0].key)))
        try grown.seekToEnd()
        try grown.write(contentsOf: Data([0]))
        try grown.close()

        let fresh = try Self.engine(plan, storage: storage, clock: clock)
        let report = try await fresh.rebuildCatalog()
        let conflicted = Dictionary(report.conflicts.map { ($0.id, $0.reason) }, uniquingKeysWith: { $1 })
        #expect(Set(conflicted.keys) == [sqliteFull.id, filesIncremental.id, filesChild.id])
        #expect(conflicted[sqliteFull.id]?.contains("is missing from storage") == true)
        #expect(conflicted[filesIncremental.id]?.contains("bytes in storage") == true)
        #expect(conflicted[filesChild.id]?.contains("parent \(filesIncremental.id)") == true)
        #expect(report.added == originals.count - 3)
        let ids = Set(try await fresh.list().map(\.id))
        #expect(ids == Set(originals.map(\.id)).subtracting([sqliteFull.id, filesIncremental.id, filesChild.id]))
    }

    @Test("a record whose artifact is deleted becomes missing (not restorable, verify says so); back in storage it is committed")
    func missingAndFound() async throws {
        let (scratch, _, _, _, engine, originals) = try await Self.backedUp("rebuild-missing")
        let full = try #require(originals.first { $0.source == "config" })
        let artifact = scratch.sub("store/" + full.artifacts[0].key)
        try FileManager.default.moveItem(atPath: artifact, toPath: scratch.sub("aside"))

        let dry = try await engine.rebuildCatalog(dryRun: true)
        #expect(dry.missingInStorage == [full.id])
        #expect(try await engine.catalog.record(full.id)?.state == .committed, "--dry-run marks nothing")

        let report = try await engine.rebuildCatalog()
        #expect(report.missingInStorage == [full.id])
        #expect(report.added == 0)
        #expect(report.present == originals.count - 1)
        #expect(try await engine.catalog.record(full.id)?.state == .missing)
        let restore = await #expect(throws: EngineError.self) { try await engine.restore(full.id, to: scratch.sub("r")) }
        #expect(restore?.code == .notRestorable)
        #expect(restore?.message.contains("\(full.label)") == true && restore?.message.contains("missing") == true)
        let child = try #require(originals.first { $0.parentID == full.id })
        let childRestore = await #expect(throws: EngineError.self) { try await engine.restore(child.id, to: scratch.sub("r2")) }
        #expect(childRestore?.message.contains("needs \(full.label)") == true)
        let verified = try await engine.verify(full.id)
        #expect(verified.problems.contains { $0.contains("missing") })
        // A second rebuild still lists it.
        #expect(try await engine.rebuildCatalog().missingInStorage == [full.id])

        try FileManager.default.moveItem(atPath: scratch.sub("aside"), toPath: artifact)
        let back = try await engine.rebuildCatalog()
        #expect(back.found == [full.id])
        #expect(back.missingInStorage.isEmpty && back.conflicts.isEmpty)
        #expect(try await engine.catalog.record(full.id)?.state == .committed)
        _ = try await engine.restore(child.id, to: scratch.sub("r3"))
    }

    @Test("retention expires a missing backup after the failed-run grace period")
    func retentionExpiresMissing() async throws {
        let scratch = Scratch("rebuild-retention")
        let clock = TestClock("2026-11-25T01:30:00Z")
        var plan = Self.plan(scratch)
        plan.retention = RetentionPolicy(keepLast: 10)
        let storage = try LocalStorage(root: scratch.sub("store"))
        let engine = try Self.engine(plan, storage: storage, clock: clock)
        let originals = try await Self.takeBackups(scratch, engine: engine, clock: clock)
        let sqlite = try #require(originals.last { $0.source == "app-db" })
        try FileManager.default.removeItem(atPath: scratch.sub("store/" + sqlite.artifacts[0].key))
        #expect(try await engine.rebuildCatalog().missingInStorage == [sqlite.id])
        let soon = try await engine.applyRetention(dryRun: true)
        #expect(soon.plan.removals.isEmpty, "kept within the grace period: a rebuild may find it again")
        clock.advance(30 * 86_400)
        let later = try await engine.applyRetention(dryRun: false)
        #expect(later.removed == [sqlite.id])
        #expect(try await engine.catalog.record(sqlite.id)?.state == .expired)
    }

    @Test("leftovers of interrupted runs (an artifact without manifest, a partial upload) and other plans' manifests are not records")
    func leftovers() async throws {
        let (scratch, clock, plan, storage, engine, originals) = try await Self.backedUp("rebuild-leftovers")
        // A run killed after its upload, before its manifest; another killed mid-upload.
        try scratch.write("store/test/config/2026/11/25/test-config-20261125-120000F.tar.zst", "not a whole backup")
        try scratch.write("store/test/config/2026/11/25/.test-config-20261125-130000F.tar.zst.partial-1f2e", "half")
        // Another plan writing under its own prefix of the same storage.
        let other = Self.plan(scratch, name: "other")
        let otherEngine = try Self.engine(
            BackupPlan(
                name: "other", catalogPath: scratch.sub("catalog/other.sqlite"), storage: other.storage,
                sources: [other.sources[0]], compression: other.compression, retention: nil,
                timeZoneIdentifier: other.timeZoneIdentifier),
            storage: storage, clock: clock)
        _ = try await otherEngine.backup()

        try Self.loseCatalog(of: engine)
        let fresh = try Self.engine(plan, storage: storage, clock: clock)
        let report = try await fresh.rebuildCatalog()
        #expect(report.added == originals.count)
        #expect(report.conflicts.isEmpty)
        Self.expectSameRecords(try await fresh.list(), originals)
    }
}

extension CatalogRebuildTests {
    /// Full and binlog incrementals of a real MariaDB: the chain comes back whole and re-reads soundly.
    @Test(
        "MySQL (MariaDB): full + binlog incrementals come back with their chain; every backup verifies",
        .enabled(if: MySQLTestServer.isAvailable, "set BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts a server)"))
    func mysqlChain() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("rebuild")
        try await server.sql(
            """
            CREATE DATABASE \(database);
            CREATE TABLE \(database).t (id INT PRIMARY KEY, v VARCHAR(40));
            USE \(database);
            INSERT INTO \(database).t SELECT seq, CONCAT('v', seq) FROM seq_1_to_100;
            """)
        defer { Task { try? await server.sql("DROP DATABASE \(database);") } }
        let scratch = Scratch("rebuild-mysql")
        let engine = try MySQLBackupTests.engine(
            scratch, sources: [server.config(databases: [database])], environment: server.sourceEnvironment)
        var originals: [BackupRecord] = []
        for step in 0..<3 {
            if step > 0 { try await server.sql("INSERT INTO \(database).t VALUES (\(1000 + step), 'step');") }
            let run = try await engine.backup(BackupRequest(kind: step == 0 ? .full : .incremental))
            originals.append(try #require(run.outcomes.first?.record, "\(String(describing: run.outcomes.first?.error))"))
        }
        #expect(originals.map(\.kind) == [.full, .incremental, .incremental])

        try Self.loseCatalog(of: engine)
        let fresh = try MySQLBackupTests.engine(
            scratch, sources: [server.config(databases: [database])], environment: server.sourceEnvironment)
        let report = try await fresh.rebuildCatalog()
        #expect(report.added == 3 && report.conflicts.isEmpty)
        Self.expectSameRecords(try await fresh.list(), originals)
        #expect(try await fresh.restoreChain(for: originals[2].id).records.map(\.id) == originals.map(\.id))
        for record in originals {
            let verified = try await fresh.verify(record.id)
            #expect(verified.isSound, "\(record.label): \(verified.problems)")
        }
        let again = try await fresh.rebuildCatalog()
        #expect(again.added == 0 && again.present == 3)
    }
}
