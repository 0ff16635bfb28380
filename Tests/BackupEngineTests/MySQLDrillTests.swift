import BackupCatalog
import BackupModels
import Foundation
import RemoteStorage
import Testing

@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupSources
@testable import BackupSupport

/// Row counting in a dump stream: what a MySQL drill compares the restored tables with.
@Suite("Dump row counter")
struct DumpRowCounterTests {
    static let dump = """
        -- MariaDB dump 10.19
        --
        -- Current Database: `shop`
        --
        CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop`;
        USE `shop`;
        --
        -- Dumping data for table `orders`
        --
        LOCK TABLES `orders` WRITE;
        INSERT INTO `orders` VALUES (1,'a (b), c',NULL),(2,'it\\'s (\\\\)','x'),(3,'line\\nbreak)(',0x28);
        INSERT INTO `orders` VALUES (4,'(((',1.5);
        UNLOCK TABLES;
        --
        -- Dumping data for table `empty`
        --
        --
        -- Dumping data for table `we``ird`
        --
        INSERT INTO `we``ird` VALUES (1),(2);
        USE `other`;
        INSERT INTO `orders` VALUES (9,'');
        /*!40000 ALTER TABLE `orders` ENABLE KEYS */;
        --
        -- Dumping data for table `rows`
        --
        INSERT INTO `rows` VALUES
        (1,'a;b'),
        (2,'(\n);'),
        (3,NULL);
        INSERT INTO `rows` VALUES
        (4,'x');
        INSERT INTO `notes` VALUES (1,'one
        ');

        """

    @Test(
        "tuples are counted per database.table, one insert per line or one row per line, across any chunking; quoted parentheses, semicolons and escapes do not count",
        arguments: [1, 3, 7, 64, 100_000])
    func counts(chunkSize: Int) throws {
        let result = Shared([String: Int64]())
        let counter = DumpRowCounter(into: result)
        let bytes = Array(Self.dump.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + chunkSize)
            output += try counter.transform(Array(bytes[index..<end]))
            index = end
        }
        output += try counter.finish()
        #expect(output == bytes, "the stream passes unchanged")
        #expect(
            result.value == ["shop.orders": 4, "shop.empty": 0, "shop.we`ird": 2, "other.orders": 1, "other.rows": 4, "other.notes": 1])
    }
}

/// MySQL restore drills into a private scratch server.
@Suite(
    "MySQL restore drills",
    .enabled(if: MySQLTestServer.isAvailable, "set BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts a server)"))
struct MySQLDrillTests {
    @Test(
        "a full backup (single stream and parallel) drills into a scratch server: row counts match, checksums reported, databases dropped",
        arguments: [1, 3])
    func drillFull(parallel: Int) async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("drill")
        try await server.sql(
            """
            CREATE DATABASE \(database);
            CREATE TABLE \(database).accounts (id INT PRIMARY KEY, owner VARCHAR(40), note TEXT);
            CREATE TABLE \(database).empty (id INT PRIMARY KEY);
            USE \(database);
            INSERT INTO \(database).accounts SELECT seq, CONCAT('owner (', seq, ')'), 'it''s ), (' FROM seq_1_to_700;
            """)
        defer { Task { try? await server.sql("DROP DATABASE IF EXISTS \(database);") } }
        let scratchServer = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await scratchServer.start(binaryLogging: false)
        defer { Task { await scratchServer.stop() } }
        let scratch = Scratch("mysql-drill")
        var config = server.config(databases: [database], incremental: .none)
        config.parallel = parallel
        var engine = try MySQLBackupTests.engine(scratch, sources: [config], environment: server.sourceEnvironment)
        let events = EventRecorder()
        engine.notifier = events
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        let manifest = try await engine.readManifest(of: full)
        #expect(manifest.tableRows == ["\(database).accounts": 700, "\(database).empty": 0])

        let drill = try await engine.drill(full.id, request: DrillRequest(mysqlTarget: scratchServer.target))
        #expect(drill.passed, "\(drill.error ?? "") \(drill.checks)")
        #expect(drill.checks.map(\.name) == ["restore", "row_counts", "checksum_table"])
        #expect(drill.checks[1].detail == "2 tables, 700 rows, as recorded at backup time")
        #expect(drill.checks[2].detail.contains("\(database).accounts="))
        #expect(events.received.map(\.kind) == [.backupSucceeded])
        let left = try await scratchServer.sql("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '\(database)';")
        #expect(left.first?.first == "0", "the drill dropped the restored database")

        // A database of the same name already on the scratch server is refused, never replaced or dropped.
        try await scratchServer.sql("CREATE DATABASE \(database); CREATE TABLE \(database).mine (id INT);")
        let occupied = try await engine.drill(full.id, request: DrillRequest(mysqlTarget: scratchServer.target))
        #expect(occupied.outcome == .failed)
        #expect(occupied.error?.contains("already holds database(s) \(database)") == true, "\(occupied.error ?? "")")
        let kept = try await scratchServer.sql("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '\(database)';")
        #expect(kept.first?.first == "1", "the scratch server's own database is untouched")
        try await scratchServer.sql("DROP DATABASE \(database);")

        // Rows lost on the way (here: recorded counts that no longer match) fail the drill and notify.
        let key = Engine.manifestKey(forArtifact: full.artifacts[0].key)
        var changed = manifest
        changed.tableRows?["\(database).accounts"] = 701
        try await engine.storage.put(try [UInt8](changed.jsonData()), at: key, options: .overwrite)
        let failed = try await engine.drill(full.id, request: DrillRequest(mysqlTarget: scratchServer.target))
        #expect(failed.outcome == .failed)
        #expect(failed.error == "row_counts: \(database).accounts: 700 rows, 701 at backup time")
        #expect(events.received.map(\.kind) == [.backupSucceeded, .drillFailed, .drillFailed])
    }

    @Test("an incremental's drill loads the whole chain into the scratch server, replaying its binary logs")
    func drillIncrementalChain() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("drillchain")
        try await server.sql(
            "CREATE DATABASE \(database); CREATE TABLE \(database).t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO \(database).t VALUES (1, 'a');"
        )
        defer { Task { try? await server.sql("DROP DATABASE IF EXISTS \(database);") } }
        let scratchServer = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await scratchServer.start(binaryLogging: false)
        defer { Task { await scratchServer.stop() } }
        let scratch = Scratch("mysql-drill")
        let engine = try MySQLBackupTests.engine(
            scratch, sources: [server.config(databases: [database])], environment: server.sourceEnvironment)
        _ = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        try await server.sql("INSERT INTO \(database).t VALUES (2, 'b'), (3, 'c'); UPDATE \(database).t SET v = 'z' WHERE id = 1;")
        let run = try await engine.backup(BackupRequest(kind: .incremental))
        let incremental = try #require(run.outcomes.first?.record, "\(String(describing: run.outcomes.first?.error))")
        #expect(incremental.kind == .incremental)

        let drill = try await engine.drill(incremental.id, request: DrillRequest(mysqlTarget: scratchServer.target))
        #expect(drill.passed, "\(drill.error ?? "") \(drill.checks)")
        #expect(drill.checks.first?.detail.hasPrefix("2 backup(s) loaded") == true, "\(drill.checks)")
        #expect(drill.checks.first { $0.name == "row_counts" }?.detail.contains("3 rows restored") == true, "\(drill.checks)")
        let sourceSum = try await server.checks([database]).first?.checksum
        #expect(drill.checks.last?.detail == "\(database).t=\(sourceSum ?? "?")", "the chain restored the source's rows exactly")
    }

    @Test("the source server is refused as a drill target; no scratch server is a failed drill naming drill.mysql_target")
    func sourceServerRefused() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("drill")
        try await server.sql(
            "CREATE DATABASE \(database); CREATE TABLE \(database).t (id INT PRIMARY KEY); INSERT INTO \(database).t VALUES (1);")
        defer { Task { try? await server.sql("DROP DATABASE IF EXISTS \(database);") } }
        let scratch = Scratch("mysql-drill")
        let engine = try MySQLBackupTests.engine(
            scratch, sources: [server.config(databases: [database], incremental: .none)], environment: server.sourceEnvironment)
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        var sourceAsTarget = MySQLTarget(host: "localhost", port: server.port, user: server.adminUser, password: server.adminPassword)
        sourceAsTarget.force = true
        let refused = try await engine.drill(full.id, request: DrillRequest(mysqlTarget: sourceAsTarget))
        #expect(refused.outcome == .failed)
        #expect(refused.error?.contains("scratch server only") == true, "\(refused.error ?? "")")
        let rows = try await server.sql("SELECT COUNT(*) FROM \(database).t;")
        #expect(rows.first?.first == "1", "the source's data is untouched")
        let noTarget = try await engine.drill(full.id)
        #expect(noTarget.outcome == .failed)
        #expect(noTarget.error?.contains("drill.mysql_target") == true)
    }
}
