import ArtifactFormat
package import BackupModels
import BackupSupport
import Foundation
import RemoteStorage

extension MySQLSource {
    /// Reports every table of the schema files and of the live server as covered, excluded or missing.
    ///
    /// The live `information_schema` is read when the server answers; otherwise the report says so in
    /// its notes and judges the schema files against the configuration alone.
    ///
    /// - Throws: ``MySQLError`` `invalidConfiguration` when `schema_dir` cannot be read.
    public func coverage() async throws -> MySQLCoverageReport {
        var notes: [String] = []
        var live: [String: [String]]? = nil
        do {
            let connection = try connection()
            let optionFile = try connection.makeOptionFile()
            defer { optionFile.remove() }
            live = try await liveTables(connection, optionFile: optionFile)
        } catch {
            notes.append("live information_schema not read: \(error)")
        }
        return try Self.coverage(config: config, schema: try schemaTables(), live: live, notes: notes)
    }

    package func coverage(connection: MySQLConnection, optionFile: OptionFile) async throws -> MySQLCoverageReport {
        try Self.coverage(
            config: config, schema: try schemaTables(), live: try await liveTables(connection, optionFile: optionFile), notes: [])
    }

    /// Every base table on the server, by database (system schemas left out).
    package func liveTables(_ connection: MySQLConnection, optionFile: OptionFile) async throws -> [String: [String]] {
        let rows = try await connection.query(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' "
                + "AND TABLE_SCHEMA NOT IN ('information_schema', 'performance_schema', 'sys', 'mysql') ORDER BY 1, 2;",
            optionFile: optionFile)
        var tables: [String: [String]] = [:]
        for row in rows where row.count >= 2 {
            guard let database = row[0], let table = row[1] else { continue }
            tables[database, default: []].append(table)
        }
        return tables
    }

    /// The tables of every `.sql` file under `schema_dir` (recursively, in path order), with their file.
    package func schemaTables() throws -> [(table: SchemaFile.Table, file: String)] {
        guard let folder = config.schemaDirectory else { return [] }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw MySQLError(code: .invalidConfiguration, subject: name, message: "schema_dir '\(folder)' is not a folder")
        }
        let files = (FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? [])
            .filter { $0.lowercased().hasSuffix(".sql") }.sorted()
        var result: [(table: SchemaFile.Table, file: String)] = []
        for file in files {
            let path = folder + "/" + file
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MySQLError(code: .invalidConfiguration, subject: name, message: "schema file '\(path)' cannot be read")
            }
            for table in SchemaFile(parsing: String(decoding: data, as: UTF8.self)).tables {
                result.append((table, path))
            }
        }
        return result
    }

    /// Judges schema and live tables against the configuration.
    package static func coverage(
        config: MySQLSourceConfig, schema: [(table: SchemaFile.Table, file: String)], live: [String: [String]]?, notes: [String]
    ) throws -> MySQLCoverageReport {
        var notes = notes
        let excluded = Set(config.excludeTables.map { $0.lowercased() })
        let selected = Set(config.databases.map { $0.lowercased() })
        let liveNames = live.map { tables in
            Set(tables.flatMap { database, names in names.map { "\(database).\($0)".lowercased() } })
        }
        var entries: [String: MySQLCoverageReport.Table] = [:]
        func add(_ name: String, origin: String) {
            let key = name.lowercased()
            if entries[key] != nil {
                if !(entries[key]?.origins.contains(origin) ?? true) { entries[key]?.origins.append(origin) }
                return
            }
            let database = String(key.split(separator: ".").first ?? "")
            var table = MySQLCoverageReport.Table(name: name, status: .covered, origins: [origin])
            if excluded.contains(key) {
                table.status = .excluded
                table.reason = "listed in exclude_tables"
            } else if !selected.isEmpty && !selected.contains(database) {
                table.status = .missing
                table.reason = "database '\(database)' is not in 'databases'"
            } else if selected.isEmpty && MySQLSource.systemDatabases.contains(database) {
                table.status = .missing
                table.reason = "system database '\(database)' is only dumped when listed in 'databases'"
            } else if let liveNames, !liveNames.contains(key) {
                table.status = .missing
                table.reason = "the schema defines it but the server has no such table"
            }
            entries[key] = table
        }
        for (table, file) in schema {
            var database = table.database
            if database == nil {
                if config.databases.count == 1 {
                    database = config.databases[0]
                } else if let live {
                    database = live.first { $0.value.contains { $0.caseInsensitiveCompare(table.name) == .orderedSame } }?.key
                }
            }
            guard let database else {
                notes.append(
                    "\(file): table '\(table.name)' names no database (no USE, not qualified) and 'databases' does not list exactly one"
                )
                entries["?.\(table.name.lowercased())"] = MySQLCoverageReport.Table(
                    name: "?.\(table.name)", status: .missing, reason: "no database known for it", origins: [file])
                continue
            }
            add("\(database).\(table.name)", origin: file)
        }
        // Live tables of databases the source does not dump belong to someone else; the schema files
        // say which of those matter.
        for (database, tables) in live ?? [:] where selected.isEmpty || selected.contains(database.lowercased()) {
            for table in tables { add("\(database).\(table)", origin: "information_schema") }
        }
        if config.schemaDirectory == nil && live == nil {
            notes.append("no schema_dir and no live server: nothing to report")
        }
        return MySQLCoverageReport(
            source: config.name, tables: entries.values.sorted { $0.name < $1.name }, notes: notes)
    }
}
