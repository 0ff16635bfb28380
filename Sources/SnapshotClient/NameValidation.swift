/// Checks names before they are sent, so a bad name fails with a message that names it.
enum NameValidation {
    private static let forbidden: Set<Character> = ["\\", "/", "*", "?", "\"", "<", ">", "|", ",", "#", " "]

    /// Snapshot and repository names: lowercase, none of `\ / * ? " < > | , #` or spaces, not starting with
    /// `_`, at most 255 bytes.
    static func validate(_ name: String, kind: String) throws {
        func refuse(_ why: String) -> SnapshotClientError {
            SnapshotClientError(code: .invalidName, message: "\(kind) name '\(name)' \(why)")
        }
        if name.isEmpty { throw refuse("is empty") }
        if name.utf8.count > 255 { throw refuse("is longer than 255 bytes") }
        if name.hasPrefix("_") { throw refuse("must not start with '_'") }
        if name != name.lowercased() { throw refuse("must be lowercase") }
        if let bad = name.first(where: { forbidden.contains($0) || $0.isNewline || $0.isWhitespace }) {
            throw refuse("must not contain '\(bad)' (nor any of \\ / * ? \" < > | , # or whitespace)")
        }
    }

    /// Exact index names for URLs: the snapshot-name rules plus no leading `-` or `+`, not `.` or `..`
    /// (wildcards and lists are refused so a delete never reaches more than it names).
    static func validateIndex(_ name: String) throws {
        try validate(name, kind: "index")
        if name.hasPrefix("-") || name.hasPrefix("+") || name == "." || name == ".." {
            throw SnapshotClientError(
                code: .invalidName, message: "index name '\(name)' must not start with '-' or '+' nor be '.' or '..'")
        }
    }

    /// A list of names or patterns for a read: each element non-empty, without `/`, `\`, spaces or commas.
    static func validatePattern(_ pattern: String, kind: String) throws {
        let bad: Set<Character> = ["\\", "/", ",", " ", "\"", "<", ">", "|", "#", "?"]
        if pattern.isEmpty || pattern.contains(where: { bad.contains($0) || $0.isWhitespace }) {
            throw SnapshotClientError(code: .invalidName, message: "\(kind) pattern '\(pattern)' is empty or has a forbidden character")
        }
    }
}
