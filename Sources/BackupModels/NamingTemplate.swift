public import Foundation

/// A storage-key template such as `{plan}/{source}/{yyyy}/{MM}/{dd}/{plan}-{source}-{label}.{ext}`.
///
/// Placeholders: `{plan} {source} {kind} {label} {host} {yyyy} {MM} {dd} {HH} {mm} {ss} {ext}`. Date
/// placeholders are rendered in an explicit time zone. A template is checked when it is created: it
/// must contain `{label}` (so every backup gets its own key) and must not be able to escape the storage
/// root (`..`, `.`, absolute paths, empty segments, backslashes, control characters).
public struct NamingTemplate: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The placeholders a template may use.
    public enum Placeholder: String, CaseIterable, Sendable {
        case plan, source, kind, label, host, yyyy, MM, dd, HH, mm, ss, ext

        /// Date fields have a fixed number of digits, so they may touch other placeholders.
        var isFixedWidth: Bool {
            switch self {
            case .yyyy, .MM, .dd, .HH, .mm, .ss: true
            default: false
            }
        }
    }

    /// The default convention, see `Documentation/Naming.md`.
    public static let defaultPattern = "{plan}/{source}/{yyyy}/{MM}/{dd}/{plan}-{source}-{label}.{ext}"

    /// The default template: ``defaultPattern`` spelled out as tokens, so it needs no parsing that
    /// could fail (a test checks it equals the parsed pattern).
    public static let `default` = NamingTemplate(
        checkedPattern: defaultPattern,
        tokens: [
            .placeholder(.plan), .literal("/"), .placeholder(.source), .literal("/"), .placeholder(.yyyy), .literal("/"),
            .placeholder(.MM), .literal("/"), .placeholder(.dd), .literal("/"), .placeholder(.plan), .literal("-"),
            .placeholder(.source), .literal("-"), .placeholder(.label), .literal("."), .placeholder(.ext),
        ])

    private enum Token: Hashable, Sendable {
        case literal(String)
        case placeholder(Placeholder)
    }

    /// The template text.
    public let pattern: String
    private let tokens: [Token]

    /// Parses and checks a template, or throws ``ModelError/Code-swift.struct/invalidTemplate`` naming it.
    public init(_ pattern: String) throws {
        func reject(_ why: String) -> ModelError {
            ModelError(code: .invalidTemplate, subject: pattern, message: why)
        }
        guard !pattern.isEmpty else { throw reject("the template is empty") }
        guard !pattern.hasPrefix("/") else { throw reject("absolute paths are not allowed; keys are relative to the storage root") }
        guard !pattern.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw reject("control characters are not allowed")
        }
        guard !pattern.contains("\\") else { throw reject("backslashes are not allowed; separate folders with /") }
        for segment in pattern.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty { throw reject("empty path segment (// or a trailing /)") }
            if segment == "." || segment == ".." { throw reject("'\(segment)' segments could escape the storage root") }
        }

        var tokens: [Token] = []
        var rest = Substring(pattern)
        while !rest.isEmpty {
            if rest.first == "{" {
                guard let close = rest.firstIndex(of: "}") else { throw reject("'{' without a matching '}'") }
                let name = String(rest[rest.index(after: rest.startIndex)..<close])
                guard let placeholder = Placeholder(rawValue: name) else {
                    let known = Placeholder.allCases.map { "{\($0.rawValue)}" }.joined(separator: " ")
                    throw reject("unknown placeholder {\(name)}; known: \(known)")
                }
                if case .placeholder(let previous) = tokens.last, !previous.isFixedWidth, !placeholder.isFixedWidth {
                    throw reject(
                        "placeholders {\(previous.rawValue)}{\(name)} must be separated by literal text so keys can be parsed back")
                }
                tokens.append(.placeholder(placeholder))
                rest = rest[rest.index(after: close)...]
            } else {
                guard rest.first != "}" else { throw reject("'}' without a matching '{'") }
                let end = rest.firstIndex { $0 == "{" || $0 == "}" } ?? rest.endIndex
                tokens.append(.literal(String(rest[..<end])))
                rest = rest[end...]
            }
        }
        guard tokens.contains(.placeholder(.label)) else {
            throw reject("the template must contain {label} so that every backup gets its own key")
        }
        self.init(checkedPattern: pattern, tokens: tokens)
    }

    private init(checkedPattern pattern: String, tokens: [Token]) {
        self.pattern = pattern
        self.tokens = tokens
    }

    /// The values a key is rendered from.
    public struct Values: Hashable, Sendable {
        public var plan: String
        public var source: String
        public var kind: BackupKind
        public var label: BackupLabel
        public var host: String
        public var ext: String
        public var date: Date

        public init(plan: String, source: String, kind: BackupKind, label: BackupLabel, host: String, ext: String, date: Date) {
            self.plan = plan
            self.source = source
            self.kind = kind
            self.label = label
            self.host = host
            self.ext = ext
            self.date = date
        }
    }

    /// Renders a key. Names that would change the key's structure (a `/`, `..`, control characters)
    /// are rejected with an error naming the value.
    public func render(_ values: Values, in timeZone: TimeZone) throws -> String {
        for (field, value) in [("plan", values.plan), ("source", values.source), ("host", values.host), ("ext", values.ext)] {
            try Self.checkName(value, field: field, allowEmpty: field == "host")
        }
        let time = CalendarTime(values.date, in: timeZone)
        var key = ""
        for token in tokens {
            switch token {
            case .literal(let text): key += text
            case .placeholder(let placeholder):
                switch placeholder {
                case .plan: key += values.plan
                case .source: key += values.source
                case .kind: key += values.kind.rawValue
                case .label: key += values.label.rawValue
                case .host: key += values.host
                case .ext: key += values.ext
                case .yyyy: key += pad(time.year, 4)
                case .MM: key += pad(time.month, 2)
                case .dd: key += pad(time.day, 2)
                case .HH: key += pad(time.hour, 2)
                case .mm: key += pad(time.minute, 2)
                case .ss: key += pad(time.second, 2)
                }
            }
        }
        return key
    }

    /// The folder under which every key of `plan` lies: the template's leading literals and `{plan}`
    /// placeholders, up to the last `/` before the first other placeholder (`nightly/` for the default
    /// template, `""` when the template starts with another placeholder). A listing under it sees every
    /// backup of the plan.
    public func listingPrefix(plan: String) -> String {
        var prefix = ""
        loop: for token in tokens {
            switch token {
            case .literal(let text): prefix += text
            case .placeholder(.plan): prefix += plan
            case .placeholder: break loop
            }
        }
        guard let slash = prefix.lastIndex(of: "/") else { return "" }
        return String(prefix[...slash])
    }

    /// Reads the placeholder values back out of a key rendered with this template.
    ///
    /// - Returns: each placeholder the template uses, with its text in `key`.
    /// - Throws: ``ModelError/Code-swift.struct/invalidKey`` if `key` does not match.
    public func parse(_ key: String) throws -> [Placeholder: String] {
        var regex = "^"
        var groups: [Placeholder] = []
        for token in tokens {
            switch token {
            case .literal(let text): regex += NSRegularExpression.escapedPattern(for: text)
            case .placeholder(let placeholder):
                if let earlier = groups.firstIndex(of: placeholder) {
                    regex += "\\\(earlier + 1)"
                    groups.append(placeholder)
                    regex += "()"
                    continue
                }
                groups.append(placeholder)
                regex += "(" + Self.valuePattern(placeholder) + ")"
            }
        }
        regex += "$"
        let expression = try NSRegularExpression(pattern: regex)
        let range = NSRange(key.startIndex..., in: key)
        guard let match = expression.firstMatch(in: key, range: range) else {
            throw ModelError(code: .invalidKey, subject: key, message: "does not match template '\(pattern)'")
        }
        var result: [Placeholder: String] = [:]
        for (index, placeholder) in groups.enumerated() where result[placeholder] == nil {
            if let range = Range(match.range(at: index + 1), in: key) {
                result[placeholder] = String(key[range])
            }
        }
        return result
    }

    /// Checks that `value` can be used as one key component: non-empty, no `/` or `\`, not `.` or
    /// `..`, no control characters.
    public static func checkName(_ value: String, field: String, allowEmpty: Bool = false) throws {
        func reject(_ why: String) -> ModelError {
            ModelError(code: .invalidName, subject: field, message: "'\(value)' \(why)")
        }
        if value.isEmpty {
            if allowEmpty { return }
            throw reject("is empty")
        }
        if value.contains("/") || value.contains("\\") { throw reject("contains a path separator") }
        if value == "." || value == ".." { throw reject("is a relative path component") }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw reject("contains control characters")
        }
    }

    private static func valuePattern(_ placeholder: Placeholder) -> String {
        switch placeholder {
        case .plan, .source, .host: "[^/]+?"
        case .ext: "[^/]+"
        case .kind: "full|incremental"
        case .label: "[0-9]{8}-[0-9]{6}F(?:_[0-9]{8}-[0-9]{6}I)?"
        case .yyyy: "[0-9]{4}"
        case .MM, .dd, .HH, .mm, .ss: "[0-9]{2}"
        }
    }

    public var description: String { pattern }

    public static func == (lhs: NamingTemplate, rhs: NamingTemplate) -> Bool { lhs.pattern == rhs.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    public init(from decoder: any Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(pattern)
    }
}
