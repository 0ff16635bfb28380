import ArtifactFormat
import BackupModels
import BackupSupport
import Foundation
import RemoteStorage

/// The tables a schema SQL file creates, read from its `CREATE TABLE` statements.
///
/// Comments (`-- `, `#`, `/* */`), string literals, backtick-quoted names, `IF NOT EXISTS`,
/// `OR REPLACE`, database-qualified names and `USE db;` are understood; `CREATE TEMPORARY TABLE`
/// is skipped. MySQL's executable comments (`/*!40101 … */`) are read as code.
public struct SchemaFile: Sendable, Hashable {
    /// One table a file creates.
    public struct Table: Sendable, Hashable {
        /// The database named in the statement or by the last `USE`; `nil` when neither says.
        public var database: String?
        public var name: String

        /// Creates a table reference.
        public init(database: String?, name: String) {
            self.database = database
            self.name = name
        }
    }

    /// The tables in the order the file creates them.
    public var tables: [Table]

    /// Parses SQL text.
    public init(parsing sql: String) {
        tables = Self.parse(Self.tokens(of: sql))
    }

    package enum Token: Hashable {
        case word(String)
        case quoted(String)
        case symbol(Character)
        case string
    }

    package static func tokens(of sql: String) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(sql)
        var index = 0
        func peek(_ offset: Int) -> Character? { index + offset < characters.count ? characters[index + offset] : nil }
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
            } else if character == "#" || (character == "-" && peek(1) == "-" && (peek(2).map { $0.isWhitespace } ?? true)) {
                while index < characters.count, characters[index] != "\n" { index += 1 }
            } else if character == "/" && peek(1) == "*" {
                if peek(2) == "!" || (peek(2) == "M" && peek(3) == "!") {
                    // Executable comment: drop the marker and version, keep the code.
                    index += peek(2) == "!" ? 3 : 4
                    while index < characters.count, characters[index].isNumber { index += 1 }
                } else {
                    index += 2
                    while index < characters.count, !(characters[index] == "*" && peek(1) == "/") { index += 1 }
                    index += 2
                }
            } else if character == "*" && peek(1) == "/" {
                index += 2  // the end of an executable comment
            } else if character == "'" || character == "\"" {
                index += 1
                while index < characters.count {
                    if characters[index] == "\\" {
                        index += 2
                    } else if characters[index] == character {
                        if peek(1) == character { index += 2 } else { break }
                    } else {
                        index += 1
                    }
                }
                index += 1
                tokens.append(.string)
            } else if character == "`" {
                var name = ""
                index += 1
                while index < characters.count {
                    if characters[index] == "`" {
                        if peek(1) == "`" {
                            name.append("`")
                            index += 2
                            continue
                        }
                        break
                    }
                    name.append(characters[index])
                    index += 1
                }
                index += 1
                tokens.append(.quoted(name))
            } else if character.isLetter || character.isNumber || character == "_" || character == "$" {
                var word = ""
                while index < characters.count,
                    characters[index].isLetter || characters[index].isNumber || characters[index] == "_" || characters[index] == "$"
                {
                    word.append(characters[index])
                    index += 1
                }
                tokens.append(.word(word))
            } else {
                tokens.append(.symbol(character))
                index += 1
            }
        }
        return tokens
    }

    private static func parse(_ tokens: [Token]) -> [Table] {
        var tables: [Table] = []
        var database: String? = nil
        var index = 0
        func isWord(_ offset: Int, _ keyword: String) -> Bool {
            guard index + offset < tokens.count, case .word(let word) = tokens[index + offset] else { return false }
            return word.caseInsensitiveCompare(keyword) == .orderedSame
        }
        func name(at offset: Int) -> String? {
            guard index + offset < tokens.count else { return nil }
            switch tokens[index + offset] {
            case .word(let word): return word
            case .quoted(let name): return name
            default: return nil
            }
        }
        var statementStart = true
        while index < tokens.count {
            defer { index += 1 }
            if case .symbol(";") = tokens[index] {
                statementStart = true
                continue
            }
            guard statementStart else { continue }
            statementStart = false
            if isWord(0, "USE"), let used = name(at: 1) {
                database = used
                continue
            }
            guard isWord(0, "CREATE") else { continue }
            var offset = 1
            if isWord(offset, "OR") && isWord(offset + 1, "REPLACE") { offset += 2 }
            if isWord(offset, "TEMPORARY") { continue }
            guard isWord(offset, "TABLE") else { continue }
            offset += 1
            if isWord(offset, "IF") && isWord(offset + 1, "NOT") && isWord(offset + 2, "EXISTS") { offset += 3 }
            guard let first = name(at: offset) else { continue }
            if index + offset + 2 < tokens.count, case .symbol(".") = tokens[index + offset + 1], let second = name(at: offset + 2) {
                tables.append(Table(database: first, name: second))
            } else {
                tables.append(Table(database: database, name: first))
            }
        }
        return tables
    }
}
