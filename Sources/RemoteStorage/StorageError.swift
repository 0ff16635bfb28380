/// An error from a storage backend. The ``code`` is extensible; the message never holds secrets or
/// signed URLs.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The key does not exist.
        public static let notFound = Code("not found")
        /// A create-only put found the key already present.
        public static let alreadyExists = Code("already exists")
        /// The key is malformed or could escape the storage root.
        public static let invalidKey = Code("invalid key")
        /// The backend refused access.
        public static let permissionDenied = Code("permission denied")
        /// The disk or quota is full.
        public static let noSpace = Code("no space left")
        /// An object exceeded a size limit.
        public static let tooLarge = Code("too large")
        /// Any other input/output failure.
        public static let io = Code("I/O error")
        /// Stored bytes do not match what was written.
        public static let integrity = Code("integrity check failed")
        /// The storage settings are wrong (missing path, unknown type).
        public static let configuration = Code("invalid configuration")
    }

    public var code: Code
    /// The key involved, if any.
    public var key: String?
    public var message: String
    /// The underlying error's description (an `errno` text, an HTTP status).
    public var underlying: String?

    public init(code: Code, key: String?, message: String, underlying: String? = nil) {
        self.code = code
        self.key = key
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        var text = "storage: \(code)"
        if let key { text += " '\(key)'" }
        text += ": \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
