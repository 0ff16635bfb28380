/// An error raised when a model value is malformed: a template, a label, a duration or a name.
///
/// Errors are structs with an extensible ``Code``: adding a new code never breaks a `switch` in user code.
public struct ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem occurred.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidTemplate = "invalid naming template"
            case invalidKey = "key does not match naming template"
            case invalidLabel = "invalid backup label"
            case invalidDuration = "invalid duration"
            case invalidName = "invalid name"
            case invalidValue = "invalid value"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A naming template that is malformed or could escape the storage root.
        public static let invalidTemplate = Code(.invalidTemplate)
        /// A storage key that cannot be parsed back with a template.
        public static let invalidKey = Code(.invalidKey)
        /// A backup label that is not in pgBackRest style.
        public static let invalidLabel = Code(.invalidLabel)
        /// A duration that is not in restic's notation (`1y2m7d3h`).
        public static let invalidDuration = Code(.invalidDuration)
        /// A plan, source or table name that cannot be used in keys.
        public static let invalidName = Code(.invalidName)
        /// Any other field value that is out of range.
        public static let invalidValue = Code(.invalidValue)

        public var description: String { base.rawValue }
    }

    /// What kind of problem occurred.
    public var code: Code
    /// The field, template or value at fault, as the user wrote it.
    public var subject: String
    /// A human-readable explanation.
    public var message: String

    public init(code: Code, subject: String, message: String) {
        self.code = code
        self.subject = subject
        self.message = message
    }

    public var description: String { "\(code) '\(subject)': \(message)" }
}
