package import BackupModels
package import Foundation

/// How the catalog writes dates, lists and positions into columns, and reads them back.
///
/// Dates are REAL seconds since 1970-01-01T00:00:00Z: they sort and compare correctly in SQL and read
/// with `datetime(started_at, 'unixepoch')` in the `sqlite3` shell. Lists and positions are JSON text.
package enum CatalogValue {
    /// The column value of `date`.
    package static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }

    /// The date of a column value.
    package static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    /// A JSON array of strings (`[]` for none).
    package static func json(_ strings: [String]) throws -> String {
        if strings.isEmpty { return "[]" }
        return try json(encoding: strings)
    }

    /// The JSON text of a source position, keys sorted.
    package static func json(_ position: SourcePosition) throws -> String {
        try json(encoding: position)
    }

    /// Reads a JSON array of strings.
    package static func strings(json text: String, column: String, row id: String) throws -> [String] {
        if text == "[]" { return [] }
        return try decode([String].self, json: text, column: column, row: id)
    }

    /// Reads a JSON source position.
    package static func position(json text: String, row id: String) throws -> SourcePosition {
        try decode(SourcePosition.self, json: text, column: "position", row: id)
    }

    private static func json(encoding value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, json text: String, column: String, row id: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw CatalogError(
                code: .database, message: "column '\(column)' of row '\(id)' is not valid JSON", underlying: "\(error)")
        }
    }

    /// An error for a stored value this library cannot read (a hand-edited or corrupt row).
    package static func malformed(_ column: String, _ value: String, row id: String) -> CatalogError {
        CatalogError(code: .database, message: "column '\(column)' of row '\(id)' holds an unknown value '\(value)'")
    }
}
