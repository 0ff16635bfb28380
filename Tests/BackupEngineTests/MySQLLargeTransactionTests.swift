import BackupModels
import Foundation
import Testing

@testable import BackupEngine
@testable import BackupSources

/// Point-in-time restores replay transactions of any size the source accepted.
@Suite(
    "MySQL replay of large transactions",
    .enabled(if: MySQLTestServer.isAvailable, "set BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts a server)"))
struct MySQLLargeTransactionTests {
    /// A table of 100 rows of 512 KiB, a full backup, then one UPDATE of every row (about 100 MiB of
    /// before and after row images in one transaction), 5 MB of rows after it (so the log tool still writes
    /// when the client stops) and an incremental.
    static func chainWithLargeTransaction(_ scratch: Scratch, server: MySQLTestServer, database: String) async throws
        -> (engine: Engine, incremental: BackupRecord)
    {
        try await server.sql(
            """
            CREATE DATABASE \(database);
            CREATE TABLE \(database).blobs (id INT PRIMARY KEY, payload LONGBLOB);
            USE \(database);
            INSERT INTO \(database).blobs SELECT seq, REPEAT('a', 524288) FROM seq_1_to_100;
            """)
        let engine = try MySQLBackupTests.engine(
            scratch, sources: [server.config(databases: [database])], environment: server.sourceEnvironment)
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        try await server.sql(
            """
            SET SESSION binlog_format = 'ROW';
            SET SESSION binlog_row_image = 'FULL';
            UPDATE \(database).blobs SET payload = REPEAT('b', 524288);
            USE \(database);
            CREATE TABLE \(database).after (id INT PRIMARY KEY, note TEXT);
            INSERT INTO \(database).after SELECT seq, REPEAT('c', 1000) FROM seq_1_to_5000;
            """)
        let run = try await engine.backup(BackupRequest(kind: .incremental))
        let incremental = try #require(run.outcomes.first?.record, "\(String(describing: run.outcomes.first?.error))")
        #expect(incremental.parentID == full.id)
        return (engine, incremental)
    }

    @Test("a transaction of ~100 MB of row images replays into a server with the default 16 MiB max_allowed_packet")
    func largeTransactionReplays() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("bigtx")
        let scratch = Scratch("mysql-bigtx")
        let target = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await target.start()
        defer { Task { await target.stop() } }
        defer { Task { try? await server.sql("DROP DATABASE IF EXISTS \(database);") } }
        let (engine, incremental) = try await Self.chainWithLargeTransaction(scratch, server: server, database: database)
        let packet = try await target.sql("SELECT @@global.max_allowed_packet;")
        #expect(Int(packet.first?.first??.description ?? "") == 16 << 20, "the target starts with the default")

        let expected = try await server.checks([database])
        let report = try await engine.restoreMySQL(incremental.id, to: target.target)
        #expect(!report.binlogsReplayed.isEmpty)
        #expect(report.tables == expected, "row counts and checksums equal the source's after the large UPDATE")
        let rows = try await target.sql("SELECT COUNT(*) FROM \(database).blobs WHERE payload LIKE 'b%';")
        #expect(rows.first?.first ?? nil == "100")
    }

    @Test("a restore user who cannot raise max_allowed_packet is refused before loading, with the statement to run")
    func refusedWithTheStatement() async throws {
        let server = try #require(MySQLTestServer.shared)
        let database = MySQLTestServer.uniqueDatabase("bigtxr")
        let scratch = Scratch("mysql-bigtx-refused")
        let target = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await target.start()
        defer { Task { await target.stop() } }
        defer { Task { try? await server.sql("DROP DATABASE IF EXISTS \(database);") } }
        let (engine, incremental) = try await Self.chainWithLargeTransaction(scratch, server: server, database: database)
        // Everything a restore needs but SUPER (so no SET GLOBAL).
        try await target.sql(
            """
            CREATE USER 'restorer'@'127.0.0.1' IDENTIFIED BY 'restorer-pw';
            GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, REFERENCES, CREATE VIEW, SHOW VIEW,
              TRIGGER, LOCK TABLES, CREATE ROUTINE, ALTER ROUTINE, EVENT, BINLOG REPLAY ON *.* TO 'restorer'@'127.0.0.1';
            """)
        let restorer = MySQLTarget(host: "127.0.0.1", port: target.port, user: "restorer", password: "restorer-pw")
        let error = await #expect(throws: MySQLError.self) { try await engine.restoreMySQL(incremental.id, to: restorer) }
        let text = String(describing: try #require(error))
        #expect(text.contains("SET GLOBAL max_allowed_packet = "), "\(text)")
        let databases = try await target.sql("SHOW DATABASES LIKE '\(database)';")
        #expect(databases.isEmpty, "nothing was loaded before the refusal")
    }
}

/// A failing `binlog tool | client` pipeline is reported by the tool that failed first.
@Suite("Binary log replay errors")
struct BinlogReplayErrorTests {
    @Test("a client refusing a statement is the error shown, not the log tool's SIGPIPE")
    func clientErrorFirst() async throws {
        let scratch = Scratch("replay-error")
        // The log tool writes without end; the client reads a little, echoes the statement (longer than the
        // error capture) and fails as `mariadb` does on a statement over max_allowed_packet.
        try scratch.write("binlog-tool", "#!/bin/sh\nexec yes 'BINLOG statement'\n")
        try scratch.write(
            "client",
            """
            #!/bin/sh
            head -c 100000 >/dev/null
            printf -- '--------------\\nBINLOG ' >&2
            head -c 200000 /dev/zero | tr '\\000' 'A' >&2
            printf "\\n--------------\\n\\nERROR 1153 (08S01) at line 7: Got a packet bigger than 'max_allowed_packet' bytes\\n" >&2
            exit 1

            """)
        for name in ["binlog-tool", "client"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.sub(name))
        }
        let connection = MySQLConnection(
            subject: "127.0.0.1:1", host: "127.0.0.1", port: 1, user: "restorer", password: nil, optionFile: nil,
            searchPath: "/usr/bin:/bin", environment: ["PATH": "/usr/bin:/bin"])
        let error = await #expect(throws: MySQLError.self) {
            try await MySQLSource.replay(
                arguments: [], tool: scratch.sub("binlog-tool"), client: scratch.sub("client"), excludedTables: [],
                connection: connection, optionFile: OptionFile(path: "/dev/null", folder: nil))
        }
        let text = String(describing: try #require(error))
        #expect(
            text.contains("client exit status 1: ERROR 1153 (08S01) at line 7: Got a packet bigger than 'max_allowed_packet' bytes"),
            "\(text)")
        #expect(!text.contains("binlog-tool failed"), "\(text)")
        #expect(text.count < 2000, "the echoed statement does not flood the message")
    }
}

/// A MySQL restore checks the chain's artifacts before the first statement reaches the target.
@Suite(
    "MySQL restores check the chain before loading",
    .enabled(if: MySQLTestServer.isAvailable, "set BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts a server)"))
struct MySQLVerifiedRestoreTests {
    @Test("a replaced full dump artifact loads nothing into the target and the error names the backup")
    func replacedDumpLoadsNothing() async throws {
        let server = try #require(MySQLTestServer.shared)
        let wanted = MySQLTestServer.uniqueDatabase("wanted")
        let other = MySQLTestServer.uniqueDatabase("other")
        try await server.sql(
            """
            CREATE DATABASE \(wanted);
            CREATE TABLE \(wanted).t (id INT PRIMARY KEY);
            INSERT INTO \(wanted).t VALUES (1), (2);
            CREATE DATABASE \(other);
            CREATE TABLE \(other).t (id INT PRIMARY KEY);
            INSERT INTO \(other).t VALUES (3);
            """)
        defer { Task { try? await server.sql("DROP DATABASE IF EXISTS \(wanted); DROP DATABASE IF EXISTS \(other);") } }
        let target = PrivateMariaDB(port: PrivateMariaDB.freePort())
        try await target.start()
        defer { Task { await target.stop() } }
        let scratch = Scratch("mysql-replaced")
        let otherScratch = Scratch("mysql-replaced-other")
        let engine = try MySQLBackupTests.engine(
            scratch, sources: [server.config(databases: [wanted])], environment: server.sourceEnvironment)
        let otherEngine = try MySQLBackupTests.engine(
            otherScratch, sources: [server.config(databases: [other])], environment: server.sourceEnvironment)
        let full = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        let otherFull = try #require(try await otherEngine.backup(BackupRequest(kind: .full)).outcomes.first?.record)

        // The wanted backup's artifact was overwritten with another backup's (a valid dump of another database).
        let key = try #require(full.artifacts.first).key
        try FileManager.default.removeItem(atPath: scratch.sub("store/" + key))
        try FileManager.default.copyItem(
            atPath: otherScratch.sub("store/" + (try #require(otherFull.artifacts.first).key)), toPath: scratch.sub("store/" + key))

        let error = await #expect(throws: EngineError.self) { try await engine.restoreMySQL(full.id, to: target.target) }
        let text = String(describing: try #require(error))
        #expect(error?.code == .damaged, "\(text)")
        #expect(text.contains(full.label.description) && text.contains(key) && text.contains("'\(full.source)'"), "\(text)")
        let loaded = try await target.sql("SHOW DATABASES WHERE `Database` IN ('\(wanted)', '\(other)');")
        #expect(loaded.isEmpty, "no statement of the unverified dump reached the target")
    }
}
