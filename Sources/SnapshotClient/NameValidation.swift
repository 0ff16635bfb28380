/// The cluster's rules for repository, snapshot and index names, checked before anything is sent so
/// that a bad name fails with a message naming it. The client and the archive configuration share
/// these rules.
///
/// Elasticsearch refuses a snapshot name that is empty, not lowercase, starts with `_`, or holds
/// whitespace, `,`, `#` or a character not allowed in file names (`\ / * ? " < > |`); a repository name
/// the same, except that case is free. BackupKit also refuses, for both, `:`, a leading `-` or `+`
/// (they read as exclusions in a list), `.` and `..`, and names over 255 bytes.
public enum SnapshotNames {
    /// Characters no repository or snapshot name may hold.
    static let forbidden: Set<Character> = ["\\", "/", "*", "?", "\"", "<", ">", "|", ",", "#", ":"]

    /// Checks a snapshot repository name (any case).
    /// - Throws: ``SnapshotClientError`` with code `invalidName` naming the repository.
    public static func validateRepository(_ name: String) throws {
        try validate(name, kind: "repository", lowercaseOnly: false)
    }

    /// Checks a snapshot name (lowercase, as the cluster requires).
    /// - Throws: ``SnapshotClientError`` with code `invalidName` naming the snapshot.
    public static func validateSnapshot(_ name: String) throws {
        try validate(name, kind: "snapshot", lowercaseOnly: true)
    }

    /// Exact index names for URLs: lowercase, none of the forbidden characters, not `.` or `..`, no
    /// leading `_`, `-` or `+` (wildcards and lists are refused so a delete never reaches more than it names).
    /// - Throws: ``SnapshotClientError`` with code `invalidName` naming the index.
    public static func validateIndex(_ name: String) throws {
        try validate(name, kind: "index", lowercaseOnly: true)
    }

    static func validate(_ name: String, kind: String, lowercaseOnly: Bool) throws {
        func refuse(_ why: String) -> SnapshotClientError {
            SnapshotClientError(code: .invalidName, message: "\(kind) name '\(name)' \(why)")
        }
        guard !name.isEmpty else { throw refuse("is empty") }
        guard name.utf8.count <= 255 else { throw refuse("is longer than 255 bytes") }
        guard name != ".", name != ".." else { throw refuse("is not a name") }
        if let first = name.first, first == "_" || first == "-" || first == "+" {
            throw refuse("must not start with '\(first)'")
        }
        if lowercaseOnly, name != name.lowercased() { throw refuse("must be lowercase") }
        if let bad = name.first(where: { forbidden.contains($0) || $0.isNewline || $0.isWhitespace }) {
            let shown = bad.isWhitespace ? "whitespace" : "'\(bad)'"
            throw refuse("must not contain \(shown) (nor any of \\ / * ? \" < > | , # : or whitespace)")
        }
    }
}

/// The client's checks, by the kind of name a call takes.
enum NameValidation {
    /// Repository names (any case) and snapshot names (lowercase).
    static func validate(_ name: String, kind: String) throws {
        try SnapshotNames.validate(name, kind: kind, lowercaseOnly: kind != "repository")
    }

    /// Exact index names for URLs.
    static func validateIndex(_ name: String) throws { try SnapshotNames.validateIndex(name) }

    /// A list of names or patterns for a read: each element non-empty, without `/`, `\`, spaces or commas.
    static func validatePattern(_ pattern: String, kind: String) throws {
        let bad: Set<Character> = ["\\", "/", ",", " ", "\"", "<", ">", "|", "#", "?"]
        if pattern.isEmpty || pattern.contains(where: { bad.contains($0) || $0.isWhitespace }) {
            throw SnapshotClientError(code: .invalidName, message: "\(kind) pattern '\(pattern)' is empty or has a forbidden character")
        }
    }
}
