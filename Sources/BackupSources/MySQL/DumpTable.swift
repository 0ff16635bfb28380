import ArtifactFormat
import BackupModels
import BackupSupport
import Foundation
import RemoteStorage

/// A base table a parallel dump reads: its columns and how each is written as an SQL literal.
package struct DumpTable: Sendable, Hashable {
    /// A stored column (generated columns are left out: the server computes them again).
    package struct Column: Sendable, Hashable {
        package var name: String
        /// `DATA_TYPE` from `information_schema.COLUMNS`, lower case (`int`, `varchar`, `blob`, …).
        package var dataType: String
        /// `CHARACTER_SET_NAME` of a character column; `nil` for other columns.
        package var characterSet: String? = nil
    }

    package var database: String
    package var name: String
    package var columns: [Column]
    /// `ENGINE` (`InnoDB`, `Aria`, …); only transactional engines are covered by the snapshot.
    package var engine: String
    /// `DATA_LENGTH`, used to hand out the largest tables first.
    package var estimatedBytes: Int64

    /// `database.table`.
    package var qualifiedName: String { "\(database).\(name)" }

    /// Whether a consistent-snapshot transaction sees this table as of the snapshot.
    package var isTransactional: Bool {
        ["innodb", "xtradb", "rocksdb", "tokudb"].contains(engine.lowercased())
    }

    package static func quoted(_ identifier: String) -> String {
        "`" + identifier.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// `` `database`.`table` ``.
    package var quotedName: String { "\(Self.quoted(database)).\(Self.quoted(name))" }

    /// `INSERT INTO `db`.`t` (`a`,`b`) VALUES` and a line break: the start of every statement.
    package var insertPrefix: [UInt8] {
        Array("INSERT INTO \(quotedName) (\(columns.map { Self.quoted($0.name) }.joined(separator: ","))) VALUES\n".utf8)
    }

    /// A `SELECT` that makes the server print every row as one line `(literal,literal,…),`.
    ///
    /// Binary and spatial values become `X'…'` hex literals and bits `b'…'`, numbers are printed as
    /// they are, dates and times quoted, and character values go through `QUOTE()` with line breaks
    /// written as `\n` and `\r`, so a row never spans lines and the line break is a reliable row
    /// boundary. Only character columns not already in `utf8mb4` are converted, which keeps the
    /// server's share of the work small.
    package var selectStatement: String {
        let values = columns.map { Self.literal(for: $0) }
        return "SELECT CONCAT('(', \(values.joined(separator: ", ',', ")), '),') FROM \(quotedName);"
    }

    package static let binaryTypes: Set<String> = [
        "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry", "point", "linestring", "polygon",
        "multipoint", "multilinestring", "multipolygon", "geometrycollection",
    ]
    package static let numericTypes: Set<String> = [
        "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float", "double", "real",
    ]
    package static let temporalTypes: Set<String> = ["date", "datetime", "timestamp", "time", "year"]

    /// The SQL expression that prints one column's value as a literal (`NULL` for null).
    package static func literal(for column: Column) -> String {
        let name = quoted(column.name)
        if binaryTypes.contains(column.dataType) {
            return "IF(\(name) IS NULL, 'NULL', CONCAT('X''', HEX(\(name)), ''''))"
        }
        if column.dataType == "bit" {
            return "IF(\(name) IS NULL, 'NULL', CONCAT('b''', BIN(\(name)), ''''))"
        }
        if numericTypes.contains(column.dataType) {
            return "IFNULL(\(name), 'NULL')"
        }
        if temporalTypes.contains(column.dataType) {
            return "QUOTE(\(name))"
        }
        let text = "REPLACE(REPLACE(QUOTE(\(name)), '\\n', '\\\\n'), '\\r', '\\\\r')"
        return column.characterSet?.lowercased() == "utf8mb4" ? text : "CONVERT(\(text) USING utf8mb4)"
    }

    /// The tar entry name of the `sequence`-th piece of this table's rows.
    package func segmentPath(_ sequence: Int) -> String {
        func safe(_ name: String) -> String {
            String(name.map { $0 == "/" || $0 == "\\" || $0.asciiValue.map { $0 < 32 } == true ? "_" : $0 })
        }
        let number = String(sequence)
        return "data/\(safe(database)).\(safe(name)).\(String(repeating: "0", count: max(0, 5 - number.count)) + number).sql"
    }
}
