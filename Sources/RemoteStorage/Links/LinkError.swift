/// Why a signed download link was refused. The ``code`` is extensible; the message never holds the
/// secret or the signature.
public struct LinkError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// A parameter is missing, repeated or not in the expected form.
        public static let malformed = Code("malformed link")
        /// The signature does not match the key and expiry (tampered link or another secret).
        public static let invalidSignature = Code("invalid signature")
        /// The link was valid but its expiry time has passed.
        public static let expired = Code("link expired")
        /// The key is not a valid storage key, or it resolves (through symbolic links) outside the root.
        public static let forbiddenKey = Code("forbidden key")
    }

    /// The kind of refusal.
    public var code: Code
    /// What was wrong, naming the parameter at fault.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status a download endpoint should answer with: 400 for a malformed link, 410 for an
    /// expired one, 403 otherwise.
    public var suggestedHTTPStatus: Int {
        switch code {
        case .malformed: 400
        case .expired: 410
        default: 403
        }
    }

    /// `link: <code>: <message>`.
    public var description: String { "link: \(code): \(message)" }
}
