import BackupModels
import Foundation
import RemoteStorage
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// What BackupKit reads from dumps, schema files and URLs, without a server.
@Suite("MySQL parsing")
struct MySQLParsingTests {
    static let dump = """
        /*M!999999\\- enable the sandbox mode */ 
        -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
        /*!40101 SET NAMES utf8mb4 */;
        --
        -- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000042', MASTER_LOG_POS=5601;

        CREATE TABLE `a` (`id` int);
        INSERT INTO `a` VALUES (1),(2),(3);
        -- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows
        --
        -- SET GLOBAL gtid_slave_pos='0-1-27';

        """

    @Test("the binlog file, position and GTID are read from the dump, whatever the chunking", arguments: [1, 7, 64, 4096])
    func dumpCoordinates(chunkSize: Int) async throws {
        let found = Shared(DumpCoordinates())
        let stream = ByteStream(bytes: Array(Self.dump.utf8), chunkSize: chunkSize).transformed { DumpPositionScanner(into: found) }
        let passed = try await stream.collect()
        #expect(passed == Array(Self.dump.utf8), "the dump passes through unchanged")
        #expect(found.value == DumpCoordinates(binlogFile: "binlog.000042", binlogPosition: 5601, gtidSet: "0-1-27"))
    }

    @Test("MySQL 8's source-data line and GTID_PURGED are understood")
    func mysqlCoordinates() {
        var coordinates = DumpCoordinates()
        coordinates.consider(line: "-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='mysql-bin.000003', SOURCE_LOG_POS=157;")
        coordinates.consider(line: "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5';")
        #expect(coordinates.binlogFile == "mysql-bin.000003")
        #expect(coordinates.binlogPosition == 157)
        #expect(coordinates.gtidSet == "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5")
    }

    @Test("the dump flag follows the tool: --master-data for MariaDB and old MySQL, --source-data from MySQL 8.0.26")
    func dumpFlags() {
        #expect(!MySQLSource.usesSourceData(toolVersion: "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu"))
        #expect(!MySQLSource.usesSourceData(toolVersion: "mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)"))
        #expect(!MySQLSource.usesSourceData(toolVersion: "mysqldump  Ver 8.0.25 for Linux on x86_64"))
        #expect(MySQLSource.usesSourceData(toolVersion: "mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)"))
        let arguments = MySQLSource.dumpArguments(
            toolVersion: "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB", binaryLogging: true, databases: ["app", "meta"],
            excludeTables: ["app.sessions"])
        for flag in ["--single-transaction", "--master-data=2", "--routines", "--triggers", "--events", "--hex-blob"] {
            #expect(arguments.contains(flag), "\(flag)")
        }
        #expect(arguments.contains("--ignore-table=app.sessions"))
        #expect(Array(arguments.suffix(3)) == ["--databases", "app", "meta"])
        #expect(
            !MySQLSource.dumpArguments(toolVersion: "x", binaryLogging: false, databases: ["a"], excludeTables: []).contains {
                $0.hasPrefix("--master-data")
            })
    }

    @Test("CREATE TABLE statements are found past comments, strings, backticks, IF NOT EXISTS and qualified names")
    func schemaFile() {
        let sql = """
            -- CREATE TABLE commented_out (id int);
            # CREATE TABLE hashed_out (id int);
            /* CREATE TABLE block_out (id int); */
            CREATE TABLE IF NOT EXISTS `bk_log_search`.`django_session` (
              `session_key` varchar(40) NOT NULL COMMENT 'CREATE TABLE not_a_table (x int);',
              PRIMARY KEY (`session_key`)
            ) ENGINE=InnoDB;
            USE bk_log_search;
            create table log_index_set (id int, note varchar(10) default 'a;b');
            /*!40101 CREATE TABLE `exec``comment` (id int) */;
            CREATE TEMPORARY TABLE scratch (id int);
            CREATE OR REPLACE TABLE other.replaced (id int);
            INSERT INTO t VALUES ('CREATE TABLE inside_string (x int)');
            """
        let tables = SchemaFile(parsing: sql).tables
        #expect(
            tables == [
                SchemaFile.Table(database: "bk_log_search", name: "django_session"),
                SchemaFile.Table(database: "bk_log_search", name: "log_index_set"),
                SchemaFile.Table(database: "bk_log_search", name: "exec`comment"),
                SchemaFile.Table(database: "other", name: "replaced"),
            ])
    }

    @Test("coverage marks each table covered, excluded with its reason, or missing with its reason")
    func coverageRules() throws {
        var config = MySQLSourceConfig(name: "meta", user: "backup", databases: ["app"], excludeTables: ["app.sessions"])
        config.schemaDirectory = "/schema"
        let schema: [(table: SchemaFile.Table, file: String)] = [
            (SchemaFile.Table(database: nil, name: "users"), "/schema/a.sql"),
            (SchemaFile.Table(database: "app", name: "sessions"), "/schema/a.sql"),
            (SchemaFile.Table(database: "app", name: "planned"), "/schema/b.sql"),
            (SchemaFile.Table(database: "audit", name: "events"), "/schema/b.sql"),
        ]
        let report = try MySQLSource.coverage(
            config: config, schema: schema, live: ["app": ["users", "sessions", "extra"], "audit": ["events"]], notes: [])
        let byName = Dictionary(uniqueKeysWithValues: report.tables.map { ($0.name, $0) })
        #expect(byName["app.users"]?.status == .covered)
        #expect(byName["app.users"]?.origins == ["/schema/a.sql", "information_schema"])
        #expect(byName["app.extra"]?.status == .covered, "live tables outside the schema files are reported too")
        #expect(byName["app.sessions"]?.status == .excluded)
        #expect(byName["app.sessions"]?.reason == "listed in exclude_tables")
        #expect(byName["app.planned"]?.status == .missing)
        #expect(byName["app.planned"]?.reason?.contains("server has no such table") == true)
        #expect(byName["audit.events"]?.status == .missing)
        #expect(byName["audit.events"]?.reason == "database 'audit' is not in 'databases'")
        #expect(report.missing.map(\.name) == ["app.planned", "audit.events"])
        #expect(!report.isComplete)
    }

    @Test("a restore URL gives user, host and port; a password in it is refused without echoing it")
    func targetURL() throws {
        let target = try MySQLTarget(url: "mysql://restorer@db.example:13307", password: "s3cret")
        #expect(target.user == "restorer")
        #expect(target.host == "db.example")
        #expect(target.port == 13307)
        #expect(target.password == "s3cret")
        #expect(try MySQLTarget(url: "mysql://root@localhost").port == 3306)
        let error = #expect(throws: MySQLError.self) { try MySQLTarget(url: "mysql://root:hunter2@localhost:3306") }
        #expect(error?.description.contains("hunter2") == false)
        #expect(error?.description.contains("MYSQL_RESTORE_PASSWORD") == true)
        #expect(throws: MySQLError.self) { try MySQLTarget(url: "http://root@localhost") }
        #expect(target.isSameServer(host: "db.example", port: 13307))
        #expect(MySQLTarget(host: "localhost", port: 3306, user: "u").isSameServer(host: "127.0.0.1", port: 3306))
    }

    @Test("--stop-datetime is written in UTC")
    func stopDateTime() throws {
        let date = try #require(ISO8601.date(from: "2026-11-25T09:30:05+08:00"))
        #expect(MySQLSource.binlogDateTime(date) == "2026-11-25 01:30:05")
    }

    @Test("option-file values are quoted so any password survives")
    func optionFileEscaping() {
        #expect(MySQLConnection.escapeOptionValue(#"a"b\c"#) == #"a\"b\\c"#)
    }
}
