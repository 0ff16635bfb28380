import ArtifactFormat
import BackupModels
import BackupSupport
import Foundation
package import Logging
import RemoteStorage

extension MySQLSource {
    /// A full backup by `config.parallel` sessions inside one consistent snapshot (see ``ParallelDump``).
    package func prepareParallel(
        connection: MySQLConnection, optionFile: OptionFile, tool: String, server: ServerFacts,
        progress: @escaping @Sendable (SourceProgress) -> Void, logger: Logger
    ) async throws -> PreparedBackup {
        let client = try connection.locate(.client)
        let tables = try await dumpTables(databases: server.databases, connection: connection, optionFile: optionFile)
        let isMariaDB = server.version.contains("MariaDB")
        let dump = ParallelDump(
            ParallelDump.Settings(
                sourceName: name, connection: connection, optionFile: optionFile, client: client, dumpTool: tool,
                databases: server.databases, excludedTables: config.excludeTables, tables: tables, parallel: config.parallel,
                isMariaDB: isMariaDB, logger: logger),
            progress: progress)
        logger.info(
            "dumping in parallel",
            metadata: [
                "sessions": "\(config.parallel)", "tables": "\(tables.count)", "databases": "\(server.databases.joined(separator: ","))",
            ])
        let sourceName = name
        let binaryLogging = server.binaryLogging
        let databases = server.databases
        let excluded = config.excludeTables
        let parallel = config.parallel
        let nonTransactional = tables.filter { !$0.isTransactional }.map(\.qualifiedName)
        return PreparedBackup(
            stream: dump.stream(), fileExtension: "tar", expectedBytes: nil, expectedFiles: tables.count,
            outcome: {
                let result = dump.result
                if binaryLogging && result.binlogFile == nil {
                    throw MySQLError(
                        code: .dumpFailed, subject: sourceName,
                        message: "SHOW MASTER STATUS gave no binary log position under the snapshot's lock")
                }
                var notes = [
                    "parallel dump: \(parallel) sessions in one snapshot, global read lock held \(ParallelDump.milliseconds(result.lockHeld)) ms, \(result.rows) rows of \(result.tablesDumped) tables in \(result.segments) segments"
                ]
                if !nonTransactional.isEmpty {
                    notes.append(
                        "tables \(nonTransactional.joined(separator: ", ")) use a non-transactional engine: they were read after the lock was released, so writes during the dump may show in them"
                    )
                }
                let position = MySQLSource.dumpPosition(
                    file: result.binlogFile, position: result.binlogPosition, gtidSet: result.gtidSet, fileName: "\(sourceName).tar",
                    serverVersion: server.version, databases: databases, excluded: excluded,
                    extra: ["dump_format": "tables", "parallel": String(parallel)])
                return SourceOutcome(
                    notes: notes, position: position, filesTotal: tables.count, filesStored: result.tablesDumped, bytesRead: result.bytes,
                    tableRows: result.tableRows)
            },
            cleanup: {
                dump.terminate()
                optionFile.remove()
            })
    }

    /// The base tables of `databases` (minus exclusions) with their stored columns.
    package func dumpTables(databases: [String], connection: MySQLConnection, optionFile: OptionFile) async throws -> [DumpTable] {
        let list = databases.map { "'\($0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''"))'" }
            .joined(separator: ", ")
        let rows = try await connection.query(
            """
            SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, LOWER(c.DATA_TYPE), c.EXTRA, IFNULL(t.ENGINE, ''), IFNULL(t.DATA_LENGTH, 0), c.CHARACTER_SET_NAME
            FROM information_schema.COLUMNS c JOIN information_schema.TABLES t
              ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
            WHERE t.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_SCHEMA IN (\(list))
            ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION;
            """, optionFile: optionFile)
        let excluded = Set(config.excludeTables)
        var tables: [DumpTable] = []
        for row in rows where row.count >= 8 {
            guard let database = row[0], let table = row[1], let column = row[2], let type = row[3] else { continue }
            guard !excluded.contains("\(database).\(table)") else { continue }
            let extra = (row[4] ?? "").uppercased()
            if tables.last?.database != database || tables.last?.name != table {
                tables.append(
                    DumpTable(
                        database: database, name: table, columns: [], engine: row[5] ?? "", estimatedBytes: Int64(row[6] ?? "") ?? 0))
            }
            // Generated columns are computed again by the server on insert.
            guard !extra.contains("GENERATED"), !extra.contains("PERSISTENT"), extra != "VIRTUAL" else { continue }
            tables[tables.count - 1].columns.append(DumpTable.Column(name: column, dataType: type, characterSet: row[7]))
        }
        return tables
    }
}
