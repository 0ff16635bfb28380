/// An error from the catalog. The ``code`` is extensible.
public struct CatalogError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        public static let notFound = Code("not found")
        /// An id prefix matches more than one record.
        public static let ambiguous = Code("ambiguous")
        /// An id or label is already used.
        public static let duplicate = Code("duplicate")
        /// The requested state change is not allowed (for example committing a failed record).
        public static let invalidTransition = Code("invalid state transition")
        /// A commit without artifacts, or with an artifact lacking size or checksum.
        public static let incompleteArtifact = Code("incomplete artifact")
        /// The file's schema version is newer than this library knows; the file is left untouched.
        public static let newerSchema = Code("catalog written by a newer version")
        /// A uniqueness rule was broken (two enabled archive configs for one table).
        public static let conflict = Code("conflict")
        /// SQLite reported an error.
        public static let database = Code("database error")
    }

    public var code: Code
    public var message: String
    /// The catalog file, when known.
    public var path: String?
    /// The underlying error's description.
    public var underlying: String?

    public init(code: Code, message: String, path: String? = nil, underlying: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.underlying = underlying
    }

    public var description: String {
        var text = "catalog: \(code): \(message)"
        if let path { text += " [\(path)]" }
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
