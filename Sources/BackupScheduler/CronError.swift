import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport

/// An error found while parsing a cron expression.
///
/// The ``description`` names the expression, the field and the offending text:
///
/// ```
/// cron "61 * * * *": minute: 61 is out of range 0–59
/// ```
///
/// The ``code`` is extensible: adding a code never breaks a `switch` in user code.
public struct CronError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem occurred.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The expression does not have exactly five fields (or is a macro followed by more text).
        public static let fieldCount = Code("wrong number of fields")
        /// A number lies outside the field's range, such as minute `61`.
        public static let outOfRange = Code("value out of range")
        /// A step is zero, not a number, or larger than the field allows.
        public static let invalidStep = Code("invalid step")
        /// A range whose start is after its end, such as `5-1`.
        public static let reversedRange = Code("reversed range")
        /// A month or weekday name that does not exist, or a name in a numeric field.
        public static let unknownName = Code("unknown name")
        /// A list with an empty item, such as `1,,5` or `1,`.
        public static let emptyItem = Code("empty list item")
        /// Text that is not a number, name, range or step, such as `5x` or `1-2-3`.
        public static let malformed = Code("malformed field")
        /// An `@` macro that does not exist or is not supported (such as `@reboot`).
        public static let unknownMacro = Code("unknown macro")
    }

    /// What kind of problem occurred.
    public var code: Code
    /// The whole expression, as the caller wrote it.
    public var expression: String
    /// The field at fault (`minute`, `hour`, `day-of-month`, `month` or `day-of-week`), or `nil` when the
    /// problem concerns the whole expression (field count, macro).
    public var field: String?
    /// The offending text, as the caller wrote it.
    public var text: String
    /// A human-readable explanation that quotes the offending text.
    public var message: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of problem occurred.
    ///   - expression: The whole expression.
    ///   - field: The field at fault, or `nil` for the whole expression.
    ///   - text: The offending text.
    ///   - message: A human-readable explanation.
    public init(code: Code, expression: String, field: String?, text: String, message: String) {
        self.code = code
        self.expression = expression
        self.field = field
        self.text = text
        self.message = message
    }

    /// `cron "expression": field: message`; the field is left out when the whole expression is at fault.
    public var description: String {
        var result = "cron \"\(expression)\": "
        if let field { result += "\(field): " }
        return result + message
    }
}
