import ArtifactFormat
import BackupCatalog
import BackupEngine
import BackupModels
import BackupScheduler
import BackupSources
import RemoteStorage

/// An error found while reading a backup plan: a YAML syntax error, an unknown or missing key, a value
/// of the wrong type or out of range, or a plan file that cannot be read.
///
/// The ``description`` reads like a compiler diagnostic, naming the file, the line and the key path:
///
/// ```
/// quickstart.yaml:7: sources[1].type: unsupported source type 'ftp' (supported: files, sqlite)
/// ```
///
/// The ``code`` is extensible: adding a code never breaks a `switch` in user code. Messages hold no
/// secrets: a plan only names key files and environment variables, and the loader never reads a key.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem occurred.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The text is not well-formed YAML (or holds a duplicated key).
        public static let syntax = Code("YAML syntax error")
        /// A key the plan format does not know; the message lists the allowed keys.
        public static let unknownKey = Code("unknown key")
        /// A required key is absent or has no value.
        public static let missingKey = Code("missing key")
        /// A value has the wrong YAML type (a string where a list is expected, a quoted number).
        public static let wrongType = Code("wrong type")
        /// A value has the right type but is not allowed (out of range, unsupported, malformed).
        public static let invalidValue = Code("invalid value")
        /// The plan file cannot be read or is not UTF-8 text.
        public static let unreadable = Code("unreadable plan")
    }

    /// What kind of problem occurred.
    public var code: Code
    /// The plan file (as the caller named it), or the `origin` given to ``PlanLoader/parse(yaml:origin:workingDirectory:)``.
    public var file: String
    /// The key at fault, such as `retention.keep_daily` or `sources[1].exclude[0]`; empty for the whole document.
    public var keyPath: String
    /// The 1-based line of the offending key or value, when known.
    public var line: Int?
    /// The 1-based column of the offending key or value, when known.
    public var column: Int?
    /// A human-readable explanation.
    public var message: String

    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of problem occurred.
    ///   - file: The plan file or origin.
    ///   - keyPath: The key at fault, empty for the whole document.
    ///   - line: The 1-based line, when known.
    ///   - column: The 1-based column, when known.
    ///   - message: A human-readable explanation.
    ///   - underlying: The error that caused this one, if any.
    public init(
        code: Code, file: String, keyPath: String, line: Int? = nil, column: Int? = nil, message: String, underlying: (any Error)? = nil
    ) {
        self.underlying = underlying
        self.code = code
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line: keyPath: message`; the line and key path are left out when unknown.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        return text + message
    }
}
