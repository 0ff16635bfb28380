import BackupSupport

/// An error from a codec: compression, decompression, encryption, decryption or key loading.
///
/// The ``code`` is extensible; ``codec`` names the codec (`zstd`, `gzip`, `aes-256-gcm-framed-v1`,
/// `encryption key`). Messages never contain key material.
public struct CodecError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem occurred.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The input is not valid for the codec (bad magic, damaged data, data after the end).
        public static let corrupt = Code("corrupt input")
        /// The input ends before the codec's end marker.
        public static let truncated = Code("truncated input")
        /// The underlying C library failed (allocation, an unexpected state).
        public static let library = Code("library failure")
        /// A setting is out of range (a compression level, a frame size).
        public static let invalidArgument = Code("invalid argument")
        /// Key material is missing, malformed or stored insecurely.
        public static let invalidKey = Code("invalid key")
        /// The data was encrypted with a different key (the key ids differ).
        public static let keyMismatch = Code("wrong key")
        /// An encrypted frame failed authentication: the data was modified, reordered or cut.
        public static let authenticationFailed = Code("authentication failed")
    }

    /// What kind of problem occurred.
    public var code: Code
    /// The codec that failed: `zstd`, `gzip`, `aes-256-gcm-framed-v1` or `encryption key`.
    public var codec: String
    /// A human-readable explanation; never contains key material.
    public var message: String

    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: what kind of problem occurred.
    ///   - codec: the codec's name.
    ///   - message: the explanation.
    ///   - underlying: The error that caused this one, if any.
    public init(code: Code, codec: String, message: String, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.codec = codec
        self.message = message
    }

    /// `codec: code: message`.
    public var description: String { "\(codec): \(code): \(message)" }
}
