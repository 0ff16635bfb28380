/// An error from a storage backend. The ``code`` is extensible; the message never holds secrets or
/// signed URLs.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notFound = "not found"
            case alreadyExists = "already exists"
            case invalidKey = "invalid key"
            case permissionDenied = "permission denied"
            case noSpace = "no space left"
            case tooLarge = "too large"
            case io = "I/O error"
            case integrity = "integrity check failed"
            case configuration = "invalid configuration"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The key does not exist.
        public static let notFound = Code(.notFound)
        /// A create-only put found the key already present.
        public static let alreadyExists = Code(.alreadyExists)
        /// The key is malformed or could escape the storage root.
        public static let invalidKey = Code(.invalidKey)
        /// The backend refused access.
        public static let permissionDenied = Code(.permissionDenied)
        /// The disk or quota is full.
        public static let noSpace = Code(.noSpace)
        /// An object exceeded a size limit.
        public static let tooLarge = Code(.tooLarge)
        /// Any other input/output failure.
        public static let io = Code(.io)
        /// Stored bytes do not match what was written.
        public static let integrity = Code(.integrity)
        /// The storage settings are wrong (missing path, unknown type).
        public static let configuration = Code(.configuration)

        public var description: String { base.rawValue }
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
