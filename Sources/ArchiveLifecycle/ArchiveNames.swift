import BackupModels

/// The name rules the cluster applies to repositories and snapshots, checked before anything is sent
/// or recorded.
public enum ArchiveNames {
    /// Characters no repository or snapshot name may hold.
    package static let forbidden: Set<Character> = ["\\", "/", "*", "?", "\"", "<", ">", "|", ",", "#", ":", " ", "\t", "\n", "\r"]

    /// Checks a snapshot repository name.
    /// - Parameters:
    ///   - name: The repository name.
    ///   - field: The field or option to name in the error.
    /// - Throws: ``ArchiveError/Code-swift.struct/invalidName`` naming `field`.
    public static func validateRepository(_ name: String, field: String = "repository") throws {
        try validate(name, kind: "repository", field: field, lowercaseOnly: false)
    }

    /// Checks a snapshot name (lowercase, as the cluster requires).
    /// - Parameters:
    ///   - name: The snapshot name.
    ///   - field: The field or option to name in the error.
    /// - Throws: ``ArchiveError/Code-swift.struct/invalidName`` naming `field`.
    public static func validateSnapshot(_ name: String, field: String = "snapshot") throws {
        try validate(name, kind: "snapshot", field: field, lowercaseOnly: true)
    }

    private static func validate(_ name: String, kind: String, field: String, lowercaseOnly: Bool) throws {
        func refuse(_ why: String) -> ArchiveError {
            ArchiveError(code: .invalidName, subject: field, message: "\(kind) name '\(name)' \(why)")
        }
        guard !name.isEmpty else { throw refuse("is empty") }
        guard name.utf8.count <= 255 else { throw refuse("is longer than 255 bytes") }
        guard name != ".", name != ".." else { throw refuse("is not a name") }
        if let first = name.first, first == "_" || first == "-" || first == "+" {
            throw refuse("must not start with '\(first)'")
        }
        if let bad = name.first(where: { forbidden.contains($0) || $0.isNewline || $0.isWhitespace }) {
            throw refuse("must not contain '\(bad == " " ? "space" : String(bad))'")
        }
        if lowercaseOnly, name.contains(where: \.isUppercase) { throw refuse("must be lowercase") }
    }
}
