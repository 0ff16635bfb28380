/// An error raised when a model value is malformed: a template, a label, a duration or a name.
///
/// Errors are structs with an extensible ``Code``: adding a new code never breaks a `switch` in user code.
public struct ModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem occurred.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// A naming template that is malformed or could escape the storage root.
        public static let invalidTemplate = Code("invalid naming template")
        /// A storage key that cannot be parsed back with a template.
        public static let invalidKey = Code("key does not match naming template")
        /// A backup label that is not in pgBackRest style.
        public static let invalidLabel = Code("invalid backup label")
        /// A duration that is not in restic's notation (`1y2m7d3h`).
        public static let invalidDuration = Code("invalid duration")
        /// A plan, source or table name that cannot be used in keys.
        public static let invalidName = Code("invalid name")
        /// Any other field value that is out of range.
        public static let invalidValue = Code("invalid value")
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
