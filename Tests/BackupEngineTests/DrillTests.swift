import BackupCatalog
import BackupModels
import Foundation
import GRDB
import RemoteStorage
import Testing

@testable import BackupEngine
@testable import BackupSources

/// Restore drills of file-tree and SQLite backups: what a drill proves, and that it fails on a damaged backup.
@Suite("Restore drills")
struct DrillTests {
    /// A plan over a files source (`config`) and a SQLite source (`app-db`), with a populated tree and database.
    static func setUp(_ scratch: Scratch) throws -> BackupPlan {
        try scratch.write("src/app.yaml", "port: 8080\n")
        try scratch.write("src/conf.d/a.conf", "a = 1\n")
        try scratch.write("src/conf.d/b.conf", String(repeating: "b", count: 100_000))
        try scratch.write("src/secret.key", "k\n")
        chmod(scratch.sub("src/secret.key"), 0o600)
        chmod(scratch.sub("src/conf.d"), 0o750)
        try FileManager.default.createSymbolicLink(atPath: scratch.sub("src/current"), withDestinationPath: "conf.d/a.conf")
        try scratch.write("src/locked/read-only.txt", "r\n")
        chmod(scratch.sub("src/locked"), 0o555)
        let database = try DatabaseQueue(path: scratch.sub("app.db"))
        try database.write { db in
            try db.execute(sql: "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT)")
            try db.execute(sql: "CREATE TABLE \"odd \"\"name\"(v)")
            for index in 0..<250 { try db.execute(sql: "INSERT INTO users(name) VALUES (?)", arguments: ["u\(index)"]) }
            try db.execute(sql: "INSERT INTO \"odd \"\"name\" VALUES (1), (2)")
        }
        try database.close()
        return Fixture.plan(
            scratch,
            sources: [
                .files(FileTreeSourceConfig(name: "config", paths: [scratch.sub("src")])),
                .sqlite(SQLiteSourceConfig(name: "app-db", path: scratch.sub("app.db"))),
            ])
    }

    @Test("a drill of the newest chain and an older backup proves every file, deletion, link, mode and table, then removes its copy")
    func drillPasses() async throws {
        let scratch = Scratch("drill")
        let clock = TestClock("2026-11-25T01:30:00Z")
        var engine = try Fixture.engine(try Self.setUp(scratch), clock: clock)
        let events = EventRecorder()
        engine.notifier = events
        #expect(try await engine.backup(BackupRequest(kind: .full)).succeeded)
        clock.advance(3600)
        try FileManager.default.removeItem(atPath: scratch.sub("src/conf.d/b.conf"))
        try scratch.write("src/new.txt", "new\n")
        let incremental = try await engine.backup(BackupRequest(kind: .incremental, sources: ["config"]))
        #expect(incremental.succeeded)
        let newest = try #require(incremental.outcomes.first?.record)

        let drills = try await engine.drill(DrillRequest(sample: .all, scratchDirectory: scratch.sub("drills")))
        #expect(drills.count == 3)
        for drill in drills {
            #expect(drill.passed, "\(drill.source): \(drill.error ?? "") \(drill.checks)")
        }
        let chainDrill = try #require(drills.first { $0.backupID == newest.id })
        let names = chainDrill.checks.map(\.name)
        #expect(names == ["restore", "entries", "sha256", "links", "modes"])
        #expect(chainDrill.checks[0].detail.hasPrefix("2 backup(s) restored"))
        #expect(chainDrill.checks[1].detail.contains("1 deletion(s)"))
        #expect(
            chainDrill.checks[2].detail.hasPrefix("5 files"),
            "app.yaml, a.conf, secret.key, read-only.txt, new.txt: \(chainDrill.checks[2].detail)")
        #expect(chainDrill.checks[3].detail.hasPrefix("1 links"))
        let sqliteDrill = try #require(drills.first { $0.source == "app-db" })
        #expect(sqliteDrill.checks.map(\.name) == ["restore", "opens", "integrity_check", "row_counts"])
        #expect(sqliteDrill.checks[3].detail == "2 tables, 252 rows, as recorded at backup time")
        #expect(!events.received.contains { $0.kind == .drillFailed }, "a passing drill notifies nothing")
        #expect((try FileManager.default.contentsOfDirectory(atPath: scratch.sub("drills"))).isEmpty, "the scratch copy is removed")

        let last = try await engine.catalog.lastDrills(plan: "test")
        #expect(Set(last.keys) == Set(drills.map(\.backupID)))
        // The newest drill of a source is the one started last.
        clock.advance(60)
        let again = try await engine.drill(newest.id, request: DrillRequest(scratchDirectory: scratch.sub("drills")))
        #expect(again.passed)
        #expect(try await engine.catalog.lastDrillPerSource(plan: "test")["config"] == again)
    }

    @Test("a drill of a deliberately corrupted backup fails, is recorded failed, and notifies drill_failed")
    func corruptedBackupFails() async throws {
        let scratch = Scratch("drill")
        let clock = TestClock("2026-11-25T01:30:00Z")
        var engine = try Fixture.engine(try Self.setUp(scratch), clock: clock)
        let events = EventRecorder()
        engine.notifier = events
        let report = try await engine.backup(BackupRequest(kind: .full, sources: ["config"]))
        let record = try #require(report.outcomes.first?.record)
        let artifact = scratch.sub("store/" + record.artifacts[0].key)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: artifact)))
        bytes[bytes.count / 2] ^= 0x5a
        try Data(bytes).write(to: URL(fileURLWithPath: artifact))

        let drills = try await engine.drill(DrillRequest(scratchDirectory: scratch.sub("drills")))
        let drill = try #require(drills.first)
        let failures = events.received.filter { $0.kind != .backupSucceeded }
        #expect(drills.count == 1)
        #expect(drill.outcome == .failed)
        #expect(drill.checks.last?.name == "restore")
        #expect(drill.error?.contains(record.label.rawValue) == true, "\(drill.error ?? "")")
        let event = try #require(failures.first)
        #expect(failures.count == 1)
        #expect(event.kind == .drillFailed)
        #expect(event.isFailure)
        #expect(event.details["backup_id"] == record.id.rawValue)
        #expect(event.details["source"] == "config")
        #expect(event.details["failed_checks"] == "restore")
        #expect(try await engine.catalog.lastDrills(plan: "test")[record.id]?.outcome == .failed)
        #expect((try FileManager.default.contentsOfDirectory(atPath: scratch.sub("drills"))).isEmpty)
    }

    @Test("row counts that differ from those the manifest recorded fail the SQLite drill")
    func rowCountMismatchFails() async throws {
        let scratch = Scratch("drill")
        let clock = TestClock("2026-11-25T01:30:00Z")
        var engine = try Fixture.engine(try Self.setUp(scratch), clock: clock)
        let events = EventRecorder()
        engine.notifier = events
        let report = try await engine.backup(BackupRequest(kind: .full, sources: ["app-db"]))
        let record = try #require(report.outcomes.first?.record)
        let manifestKey = Engine.manifestKey(forArtifact: record.artifacts[0].key)
        var manifest = try Manifest.decode(Data(try await engine.storage.getBytes(manifestKey)))
        #expect(manifest.tableRows == ["users": 250, "odd \"name": 2], "the online copy's rows are recorded")
        manifest.tableRows?["users"] = 251
        try await engine.storage.put(try [UInt8](manifest.jsonData()), at: manifestKey, options: .overwrite)

        let drill = try await engine.drill(record.id, request: DrillRequest(scratchDirectory: scratch.sub("drills")))
        #expect(drill.outcome == .failed)
        #expect(drill.checks.first { $0.name == "integrity_check" }?.passed == true)
        #expect(drill.error == "row_counts: users: 250 rows, 251 at backup time")
        #expect(events.received.map(\.kind) == [.backupSucceeded, .drillFailed])
    }

    @Test("the default sample is the newest backup of each source plus one random older backup")
    func defaultSample() async throws {
        let scratch = Scratch("drill")
        let clock = TestClock("2026-11-25T01:30:00Z")
        let engine = try Fixture.engine(try Self.setUp(scratch), clock: clock)
        var ids: [BackupID] = []
        for _ in 0..<4 {
            ids += try await engine.backup(BackupRequest(kind: .full)).outcomes.compactMap { $0.record?.id }
            clock.advance(3600)
        }
        let records = try await engine.list(states: [.committed])
        let newest = Set(["config", "app-db"].compactMap { source in records.last { $0.source == source }?.id })
        var seenOlder = Set<BackupID>()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            let chosen = try await engine.drillSelection(DrillRequest(), using: &generator)
            #expect(chosen.count == 3)
            #expect(newest.isSubset(of: Set(chosen.map(\.id))))
            seenOlder.formUnion(Set(chosen.map(\.id)).subtracting(newest))
        }
        #expect(seenOlder.count > 1, "the older backup is random: \(seenOlder.count) distinct in 40 draws")
        let configOnly = try await engine.drillSelection(
            DrillRequest(source: "config", sample: .newest(plusOlder: 2)), using: &generator)
        #expect(configOnly.count == 3)
        #expect(configOnly.allSatisfy { $0.source == "config" })
        #expect(try await engine.drillSelection(DrillRequest(sample: .all), using: &generator).count == 8)
        await #expect(throws: EngineError.self) {
            _ = try await Fixture.engine(Fixture.plan(Scratch("drill-empty")), clock: clock).drill(DrillRequest())
        }
    }

    @Test("the tree comparison catches a changed file, a wrong mode, a moved link, a missing and a left-over entry")
    func treeComparisonCatchesDamage() async throws {
        let scratch = Scratch("drill")
        let clock = TestClock("2026-11-25T01:30:00Z")
        let engine = try Fixture.engine(try Self.setUp(scratch), clock: clock)
        let record = try #require(try await engine.backup(BackupRequest(kind: .full, sources: ["config"])).outcomes.first?.record)
        let files = try #require(try await FileTreeSource.index(of: try await engine.restoreChain(for: record.id)))
        let target = scratch.sub("out")
        _ = try await engine.restore(record.id, to: target, options: FolderRestoreOptions(allowExternalLinks: true))
        let sound = try RestoredTreeComparison.compare(root: target, with: files)
        #expect(sound.missing.isEmpty && sound.unexpected.isEmpty && sound.contentMismatches.isEmpty)
        #expect(sound.linkMismatches.isEmpty && sound.modeMismatches.isEmpty)
        #expect(sound.filesCompared == 5)

        try Data("port: 8081\n".utf8).write(to: URL(fileURLWithPath: target + "/src/app.yaml"))
        chmod(target + "/src/secret.key", 0o644)
        try FileManager.default.removeItem(atPath: target + "/src/current")
        try FileManager.default.createSymbolicLink(atPath: target + "/src/current", withDestinationPath: "conf.d/b.conf")
        try FileManager.default.removeItem(atPath: target + "/src/conf.d/a.conf")
        try Data("left over\n".utf8).write(to: URL(fileURLWithPath: target + "/src/conf.d/stale.conf"))
        let damaged = try RestoredTreeComparison.compare(root: target, with: files)
        #expect(damaged.contentMismatches.count == 1)
        #expect(damaged.contentMismatches.first?.hasPrefix("src/app.yaml: SHA-256 ") == true)
        #expect(damaged.modeMismatches == ["src/secret.key: 0644, manifest 0600"])
        #expect(damaged.linkMismatches == ["src/current -> 'conf.d/b.conf', manifest 'conf.d/a.conf'"])
        #expect(damaged.missing == ["src/conf.d/a.conf"])
        #expect(damaged.unexpected == ["src/conf.d/stale.conf"])
    }
}
