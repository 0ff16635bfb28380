import ArtifactFormat
import BackupCatalog
import BackupEngine
package import BackupModels
import BackupScheduler
package import BackupSources
import RemoteStorage
package import Yams

extension PlanLoader {
    /// Walks a composed YAML document and turns every problem into a ``PlanError`` naming the file,
    /// the key path and the line of the node at fault.
    package struct Reader {
        /// The file name errors carry.
        package let file: String
        /// The directory relative paths resolve against.
        package let workingDirectory: String
        /// The source types a plan may name.
        package var sourceTypes: SourceRegistry = .standard

        // MARK: Errors

        /// An error about `node` (its line and column, when it has a mark) at `keyPath`.
        package func error(_ code: PlanError.Code, at keyPath: String, _ node: Node?, _ message: String) -> PlanError {
            PlanError(
                code: code, file: file, keyPath: keyPath, line: node?.mark?.line, column: node?.mark?.column,
                message: message)
        }

        /// A ``PlanError`` for a ``ModelError`` raised while checking the value at `keyPath`.
        ///
        /// Model validation that names its own field (`retention.keep_daily`) keeps that field as the key path.
        package func converted(_ error: ModelError, at keyPath: String, _ node: Node?) -> PlanError {
            let message =
                error.code == .invalidTemplate
                ? "invalid naming template '\(error.subject)': \(error.message)" : error.message
            return self.error(.invalidValue, at: keyPath, node, message)
        }

        /// Runs `body`, converting a ``ModelError`` it throws into a ``PlanError`` at `keyPath`.
        package func checking<T>(_ keyPath: String, _ node: Node?, _ body: () throws -> T) throws -> T {
            do {
                return try body()
            } catch let error as ModelError {
                throw converted(error, at: keyPath, node)
            }
        }

        /// `expected …, got the string 'seven'`. Values under `encryption` are never echoed, in case a
        /// key was pasted where a file name or variable name belongs.
        package func wrongType(at keyPath: String, _ node: Node, expected: String) -> PlanError {
            var message = "expected \(expected), got \(Self.describe(node, reveal: !keyPath.hasPrefix("encryption")))"
            if case .scalar(let scalar) = node, node.tagName == .str, scalar.style != .plain,
                expected.hasPrefix("an integer"), Int(scalar.string) != nil
            {
                message += " (remove the quotes)"
            } else if case .scalar = node, node.tagName == .bool, expected.hasPrefix("a string") {
                message += " (quote it to use it as text)"
            }
            return error(.wrongType, at: keyPath, node, message)
        }

        /// A phrase naming a node's type, and its value when short and `reveal` is true.
        package static func describe(_ node: Node, reveal: Bool) -> String {
            switch node {
            case .mapping: return "a mapping"
            case .sequence: return "a list"
            case .alias: return "an alias"
            case .scalar(let scalar):
                let text = scalar.string
                let shown = reveal ? " '\(text.count > 40 ? text.prefix(40) + "…" : text)'" : ""
                switch node.tagName {
                case .null: return "null (no value)"
                case .str: return "the string" + shown
                case .int: return "the integer" + shown
                case .float: return "the number" + shown
                case .bool: return "the boolean" + shown
                case .timestamp: return "the timestamp" + shown
                default: return "a scalar tagged \(node.tagName.rawValue)"
                }
            }
        }

        // MARK: Mappings

        /// Reads a mapping, applying YAML merge keys (`<<: *defaults`); explicit keys win over merged ones.
        package func mapping(_ node: Node, at keyPath: String) throws -> Fields {
            guard case .mapping(let mapping) = node else {
                throw wrongType(at: keyPath, node, expected: "a mapping")
            }
            var entries: [Fields.Entry] = []
            var merged: [Fields.Entry] = []
            for (keyNode, value) in mapping {
                guard case .scalar(let key) = keyNode else {
                    throw wrongType(at: keyPath, keyNode, expected: "a string key")
                }
                if keyNode.tagName == .merge {
                    let sources: [Node] = if case .sequence(let list) = value { Array(list) } else { [value] }
                    for source in sources {
                        merged += try self.mapping(source, at: keyPath).entries
                    }
                } else {
                    entries.append(Fields.Entry(key: key.string, keyNode: keyNode, value: value))
                }
            }
            var present = Set(entries.map(\.key))
            for entry in merged where !present.contains(entry.key) {
                entries.append(entry)
                present.insert(entry.key)
            }
            return Fields(keyPath: keyPath, node: node, entries: entries, reader: self)
        }

        // MARK: Scalars

        /// A non-empty string. Plain numbers and dates are taken as written (`plan: 2024`); booleans and
        /// null are wrong types, since YAML would silently turn `name: yes` into `true`.
        package func string(_ node: Node, at keyPath: String) throws -> String {
            guard case .scalar(let scalar) = node, node.tagName != .null, node.tagName != .bool else {
                throw wrongType(at: keyPath, node, expected: "a string")
            }
            guard !scalar.string.isEmpty else { throw error(.invalidValue, at: keyPath, node, "must not be empty") }
            return scalar.string
        }

        /// An integer written as a plain YAML integer (`7`, `-1`); a quoted `"7"` is a string.
        package func int(_ node: Node, at keyPath: String) throws -> Int {
            guard case .scalar(let scalar) = node, node.tagName == .int else {
                throw wrongType(at: keyPath, node, expected: "an integer")
            }
            guard let value = Int.construct(from: scalar) else {
                throw error(.invalidValue, at: keyPath, node, "'\(scalar.string)' is out of range")
            }
            return value
        }

        /// A YAML boolean (`true`, `false`).
        package func bool(_ node: Node, at keyPath: String) throws -> Bool {
            guard case .scalar(let scalar) = node, node.tagName == .bool, let value = Bool.construct(from: scalar)
            else {
                throw wrongType(at: keyPath, node, expected: "true or false")
            }
            return value
        }

        /// A list whose items are non-empty strings; items are named `keyPath[i]` in errors.
        package func strings(_ node: Node, at keyPath: String, nonEmpty: Bool) throws -> [String] {
            try items(node, at: keyPath, nonEmpty: nonEmpty, expected: "a list of strings").map { item, path in
                try string(item, at: path)
            }
        }

        /// A list whose items are paths, each resolved against the working directory.
        package func paths(_ node: Node, at keyPath: String, nonEmpty: Bool) throws -> [String] {
            try items(node, at: keyPath, nonEmpty: nonEmpty, expected: "a list of paths").map { item, path in
                try self.path(item, at: path)
            }
        }

        /// The items of a list with their key paths (`sources[0]`).
        package func items(_ node: Node, at keyPath: String, nonEmpty: Bool, expected: String) throws -> [(Node, String)] {
            guard case .sequence(let sequence) = node else {
                throw wrongType(at: keyPath, node, expected: expected)
            }
            if nonEmpty, sequence.isEmpty {
                throw error(.invalidValue, at: keyPath, node, "the list must not be empty")
            }
            return sequence.enumerated().map { index, item in (item, "\(keyPath)[\(index)]") }
        }

        /// A path made absolute against the working directory and standardized; `~` expands.
        package func path(_ node: Node, at keyPath: String) throws -> String {
            let text = try string(node, at: keyPath)
            guard !text.contains("\0") else {
                throw error(.invalidValue, at: keyPath, node, "a path must not contain a NUL character")
            }
            guard let resolved = PlanLoader.absolutePath(text, relativeTo: workingDirectory) else {
                throw error(.invalidValue, at: keyPath, node, "cannot expand '\(text)': no such user")
            }
            return resolved
        }
    }

    /// The keys of one YAML mapping, with the key path of the mapping.
    package struct Fields {
        /// One key and its value.
        package struct Entry {
            package var key: String
            package var keyNode: Node
            package var value: Node
        }

        /// The mapping's own key path; empty for the document root.
        package let keyPath: String
        /// The mapping node (for the line of missing-key errors).
        package let node: Node
        /// The keys in document order, then keys brought in by merge keys.
        package let entries: [Entry]
        package let reader: Reader

        /// The key path of `key` in this mapping.
        package func path(_ key: String) -> String { keyPath.isEmpty ? key : "\(keyPath).\(key)" }

        /// The value of `key` as written, `null` included.
        package func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

        /// The value of `key`, or `nil` if it is absent or null (an optional key left empty).
        package func optional(_ key: String) -> Node? {
            guard let value = value(key), value.tagName != .null else { return nil }
            return value
        }

        /// The value of `key`, or a ``PlanError/Code-swift.struct/missingKey`` error.
        package func required(_ key: String) throws -> Node {
            if let value = optional(key) { return value }
            let message = value(key) == nil ? "required key is missing" : "required key has no value"
            // The root mapping's mark is just its first key: only nested mappings point at a line.
            throw reader.error(.missingKey, at: path(key), keyPath.isEmpty ? nil : node, message)
        }

        /// Throws ``PlanError/Code-swift.struct/unknownKey`` for the first key not in `allowed`, listing
        /// the allowed keys and suggesting a close one.
        package func rejectUnknownKeys(allowed: [String]) throws {
            for entry in entries where !allowed.contains(entry.key) {
                var message = "unknown key '\(entry.key)'"
                if let suggestion = PlanLoader.closest(to: entry.key, among: allowed) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                message += "; allowed keys: " + allowed.joined(separator: ", ")
                throw reader.error(.unknownKey, at: path(entry.key), entry.keyNode, message)
            }
        }
    }

    /// The allowed key closest to `key` by edit distance, if it is close enough to be a typo.
    package static func closest(to key: String, among allowed: [String]) -> String? {
        let scored = allowed.map { ($0, editDistance(key.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(1, min(3, key.count / 3)) ? best.0 : nil
    }

    /// Levenshtein distance between two strings, counted in characters.
    package static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs)
        let b = Array(rhs)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

extension Node {
    /// The node's resolved tag (`tag:yaml.org,2002:int` for a plain `7`, `…:str` for a quoted `"7"`).
    package var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
}
