import BackupCatalog
import BackupModels
import Foundation
import Logging
import RemoteStorage
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// Parallel full backups (`parallel: N`): several sessions in one consistent snapshot, restored by
/// several loaders, against a real MariaDB.
@Suite(
    "MySQL parallel dumps against MariaDB",
    .enabled(if: MySQLTestServer.isAvailable, "set BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts a server)"))
struct MySQLParallelTests {
    static func config(_ server: MySQLTestServer, database: String, parallel: Int) -> MySQLSourceConfig {
        var config = server.config(databases: [database])
        config.parallel = parallel
        return config
    }

    static func artifacts(_ scratch: Scratch) -> [String] {
        (FileManager.default.enumerator(atPath: scratch.sub("store"))?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".tar.zst") }
    }

    @Test("every column type, view, routine and trigger survives a parallel dump and a parallel restore")
    func columnTypesRoundTrip() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("par_types")
        try await server.sql(
            """
            SET NAMES utf8mb4;
            CREATE DATABASE \(database) CHARACTER SET utf8mb4;
            USE \(database);
            CREATE TABLE kinds (
              id INT PRIMARY KEY, label VARCHAR(100), body TEXT CHARACTER SET latin1, raw BLOB, tiny VARBINARY(8), flags BIT(5),
              price DECIMAL(20,6), ratio DOUBLE, approx FLOAT, big BIGINT UNSIGNED, born DATE, seen DATETIME(3), stamped TIMESTAMP NULL,
              colour ENUM('red','green','blue'), tags SET('a','b','c'), doc JSON, spot POINT, doubled INT AS (id * 2) VIRTUAL,
              kept VARCHAR(100) AS (UPPER(label)) PERSISTENT);
            INSERT INTO kinds (id, label, body, raw, tiny, flags, price, ratio, approx, big, born, seen, stamped, colour, tags, doc, spot) VALUES
              (1, 'line\\nbreak\\rreturn', 'café', UNHEX('000A0D5C27225C00FF'), '', b'10101', 12345678901234.123456, 1e308, 3.25,
               18446744073709551615, '2024-02-29', '2026-11-25 10:11:12.345', '2026-11-25 10:11:12', 'green', 'a,c',
               '{"k": "v\\\\n"}', ST_GeomFromText('POINT(1 2)')),
              (2, 'quote '' backslash \\\\ tab \\t nul \\0 end', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
              (3, 'ünïcødé 🚀 漢字', 'plain', '', UNHEX('FF'), b'0', -0.000001, -2.5e-10, 0, 0, '1000-01-01', '9999-12-31 23:59:59.999',
               '1970-01-02 00:00:00', 'red', '', '[]', ST_GeomFromText('POINT(0 0)'));
            INSERT INTO kinds (id, label, raw) SELECT 100 + seq, CONCAT('row ', seq), RANDOM_BYTES(64) FROM seq_1_to_3000;
            CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40));
            INSERT INTO audit (note) VALUES ('from the source');
            CREATE TABLE empty_one (id INT PRIMARY KEY);
            CREATE SQL SECURITY INVOKER VIEW labels AS SELECT id, label FROM kinds;
            CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC SQL SECURITY INVOKER RETURN x * 2;
            CREATE TRIGGER kinds_insert AFTER INSERT ON kinds FOR EACH ROW INSERT INTO audit (note) VALUES ('trigger fired');
            """)
        let target = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await target.start()
        defer { Task { await target.stop() } }
        let scratch = Scratch("mysql-parallel-types")
        let engine = try MySQLBackupTests.engine(
            scratch, sources: [Self.config(server, database: database, parallel: 3)], environment: server.sourceEnvironment)

        let run = try await engine.backup(BackupRequest(kind: .full))
        let record = try #require(run.outcomes.first?.record, "\(String(describing: run.outcomes.first?.error))")
        #expect(record.position?.extra["dump_format"] == "tables")
        #expect(record.position?.binlogFile?.hasPrefix("binlog.") == true)
        #expect(record.position?.gtidSet?.isEmpty == false)
        let manifest = try await engine.readManifest(of: record)
        #expect(manifest.notes.contains { $0.contains("3 sessions in one snapshot") && $0.contains("3004 rows of 3 tables") })
        #expect(Self.artifacts(scratch).count == 1)
        #expect((try await engine.verify(record.id)).isSound)

        let expected = try await server.checks([database])
        let report = try await engine.restoreMySQL(record.id, to: target.target)
        #expect(report.tables == expected, "row counts and CHECKSUM TABLE equal the source's")
        #expect(report.tables.map(\.name).sorted() == ["\(database).audit", "\(database).empty_one", "\(database).kinds"])
        // The trigger exists but did not fire for restored rows; the view and the function work.
        let audit = try await target.sql("SELECT COUNT(*) FROM \(database).audit;")
        #expect(audit.first?.first ?? nil == "1")
        let triggers = try await target.sql(
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '\(database)';")
        #expect(triggers.map { $0.first ?? nil } == ["kinds_insert"])
        let view = try await target.sql("SELECT \(database).twice(COUNT(*)) FROM \(database).labels;")
        #expect(view.first?.first ?? nil == "6006")
        let generated = "SELECT doubled, HEX(kept), HEX(label) FROM \(database).kinds WHERE id = 3;"
        let restoredRow = try await target.sql(generated)
        #expect(restoredRow.first?.first == "6")
        #expect(restoredRow == (try await server.sql(generated)), "generated columns are computed again, 4-byte UTF-8 intact")
        try await server.sql("DROP DATABASE \(database);")
    }

    @Test("the sessions share one snapshot while writes go on, and binlog incrementals continue from its position")
    func consistentUnderWrites() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("par_snap")
        // Every transaction moves money between two tables and logs it: the totals only add up in a
        // consistent snapshot of both.
        try await server.sql(
            """
            CREATE DATABASE \(database);
            USE \(database);
            CREATE TABLE left_side (id INT PRIMARY KEY, amount BIGINT, pad CHAR(100));
            CREATE TABLE right_side (id INT PRIMARY KEY, amount BIGINT, pad CHAR(100));
            CREATE TABLE transfers (id INT AUTO_INCREMENT PRIMARY KEY, amount BIGINT);
            INSERT INTO left_side SELECT seq, 1000, REPEAT('l', 100) FROM seq_1_to_40000;
            INSERT INTO right_side SELECT seq, 0, REPEAT('r', 100) FROM seq_1_to_40000;
            """)
        let target = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await target.start()
        defer { Task { await target.stop() } }
        let scratch = Scratch("mysql-parallel-snapshot")
        let engine = try MySQLBackupTests.engine(
            scratch, sources: [Self.config(server, database: database, parallel: 2)], environment: server.sourceEnvironment)

        let writing = Task {
            var rounds = 0
            while !Task.isCancelled && rounds < 400 {
                rounds += 1
                let id = rounds % 40000 + 1
                try await server.sql(
                    """
                    START TRANSACTION;
                    UPDATE \(database).left_side SET amount = amount - 7 WHERE id = \(id);
                    UPDATE \(database).right_side SET amount = amount + 7 WHERE id = \(id);
                    INSERT INTO \(database).transfers (amount) VALUES (7);
                    COMMIT;
                    """)
            }
            return rounds
        }
        // Let some writes land first, then back up while they go on.
        while try await (server.sql("SELECT COUNT(*) FROM \(database).transfers;").first?.first ?? nil).flatMap({ Int($0) }) ?? 0 < 5 {
            try await Task.sleep(for: .milliseconds(20))
        }
        let run = try await engine.backup(BackupRequest(kind: .full))
        writing.cancel()
        _ = try await writing.value
        let full = try #require(run.outcomes.first?.record, "\(String(describing: run.outcomes.first?.error))")

        let restored = try await engine.restoreMySQL(full.id, to: target.target)
        #expect(restored.tables.count == 3)
        let totals = try await target.sql(
            """
            SELECT (SELECT SUM(amount) FROM \(database).left_side) + (SELECT SUM(amount) FROM \(database).right_side),
                   (SELECT SUM(amount) FROM \(database).right_side), (SELECT IFNULL(SUM(amount), 0) FROM \(database).transfers);
            """)
        let row = try #require(totals.first)
        #expect(row[0] == "40000000", "money is neither created nor lost: both tables come from one snapshot")
        #expect(row[1] == row[2], "the transfer log matches the balances: all tables come from one snapshot")

        // An incremental replays the writes after the snapshot's position; the result equals the source.
        try await server.sql("UPDATE \(database).left_side SET pad = 'after' WHERE id <= 10;")
        let incrementalRun = try await engine.backup(BackupRequest(kind: .incremental))
        let incremental = try #require(
            incrementalRun.outcomes.first?.record, "\(String(describing: incrementalRun.outcomes.first?.error))")
        #expect(incremental.parentID == full.id)
        let expected = try await server.checks([database])
        try await target.sql("DROP DATABASE \(database);")
        let replayed = try await engine.restoreMySQL(incremental.id, to: target.target)
        #expect(replayed.tables == expected, "full (parallel) + binlogs equals the source")
        try await server.sql("DROP DATABASE \(database);")
    }

    @Test("a server killed during a parallel dump fails the run and commits nothing")
    func serverKilled() async throws {
        let server = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await server.start()
        defer { Task { await server.stop() } }
        try await server.sql(
            """
            CREATE DATABASE big;
            CREATE TABLE big.one (id INT PRIMARY KEY, pad CHAR(200));
            CREATE TABLE big.two (id INT PRIMARY KEY, pad CHAR(200));
            USE big;
            INSERT INTO big.one SELECT seq, REPEAT('x', 200) FROM seq_1_to_60000;
            INSERT INTO big.two SELECT seq, REPEAT('y', 200) FROM seq_1_to_60000;
            """)
        let scratch = Scratch("mysql-parallel-kill")
        let (report, engine) = try await server.backupKilledMidDump(databases: ["big"], parallel: 2, scratch: scratch)
        let error = try #require(report.outcomes.first?.error as? MySQLError)
        #expect([.server, .dumpFailed, .unreachable].contains(error.code), "\(error)")
        #expect(report.outcomes.first?.record == nil)
        #expect(try await engine.list(states: [.committed]).isEmpty)
        #expect(Self.artifacts(scratch).isEmpty, "the partial artifact was removed")
    }
}
