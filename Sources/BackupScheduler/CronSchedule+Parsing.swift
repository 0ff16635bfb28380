import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport

extension CronSchedule {
    /// The result of parsing an expression: one bit mask per field and the day-field restriction flags.
    package struct ParsedExpression {
        package var masks: [UInt64]
        package var dayOfMonthRestricted: Bool
        package var dayOfWeekRestricted: Bool
        package var normalizedText: String
    }

    /// The rules of one of the five fields.
    package struct FieldRules {
        package var name: String
        package var lowest: Int
        package var highest: Int
        /// The highest value `*` stands for (day of week: 6, since 7 repeats Sunday).
        package var starHighest: Int
        package var names: [String]
        package var nameBase: Int
        package var noun: String

        package func value(named text: String) -> Int? {
            names.firstIndex(of: text.uppercased()).map { $0 + nameBase }
        }
    }

    package static let fieldRules: [FieldRules] = [
        FieldRules(
            name: "minute", lowest: 0, highest: 59, starHighest: 59, names: [], nameBase: 0, noun: "minute"),
        FieldRules(name: "hour", lowest: 0, highest: 23, starHighest: 23, names: [], nameBase: 0, noun: "hour"),
        FieldRules(
            name: "day-of-month", lowest: 1, highest: 31, starHighest: 31, names: [], nameBase: 0, noun: "day"),
        FieldRules(
            name: "month", lowest: 1, highest: 12, starHighest: 12,
            names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
            nameBase: 1, noun: "month"),
        FieldRules(
            name: "day-of-week", lowest: 0, highest: 7, starHighest: 6,
            names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], nameBase: 0, noun: "weekday"),
    ]

    package static let macros: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    package static func parse(_ expression: String) throws -> ParsedExpression {
        var tokens = expression.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .map(String.init)
        if let first = tokens.first, first.hasPrefix("@") {
            guard let expansion = macros[first.lowercased()] else {
                throw CronError(
                    code: .unknownMacro, expression: expression, field: nil, text: first,
                    message: "unknown macro '\(first)' (use @yearly, @annually, @monthly, @weekly, @daily, "
                        + "@midnight or @hourly)")
            }
            guard tokens.count == 1 else {
                throw CronError(
                    code: .fieldCount, expression: expression, field: nil, text: tokens[1],
                    message: "unexpected text '\(tokens[1...].joined(separator: " "))' after macro \(first)")
            }
            tokens = expansion.split(separator: " ").map(String.init)
        }
        guard tokens.count == 5 else {
            throw CronError(
                code: .fieldCount, expression: expression, field: nil, text: expression,
                message: "expected 5 fields (minute hour day-of-month month day-of-week), found \(tokens.count)")
        }
        var masks: [UInt64] = []
        for (token, rules) in zip(tokens, fieldRules) {
            masks.append(try parseField(token, rules: rules, expression: expression))
        }
        return ParsedExpression(
            masks: masks,
            dayOfMonthRestricted: !tokens[2].hasPrefix("*"),
            dayOfWeekRestricted: !tokens[4].hasPrefix("*"),
            normalizedText: tokens.map { $0.uppercased() }.joined(separator: " "))
    }

    private static func parseField(_ field: String, rules: FieldRules, expression: String) throws -> UInt64 {
        func failure(_ code: CronError.Code, _ text: some StringProtocol, _ message: String) -> CronError {
            CronError(code: code, expression: expression, field: rules.name, text: String(text), message: message)
        }
        var mask: UInt64 = 0
        for item in field.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else {
                throw failure(.emptyItem, field, "empty list item in '\(field)'")
            }
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else {
                throw failure(.malformed, item, "unexpected text in '\(item)' (only one '/step' is allowed)")
            }
            var step = 1
            if parts.count == 2 {
                let stepText = parts[1]
                guard !stepText.isEmpty, stepText.allSatisfy(\.isASCIIDigit), stepText.count <= 4,
                    let parsed = Int(stepText)
                else {
                    throw failure(.invalidStep, item, "step '\(stepText)' in '\(item)' is not a positive number")
                }
                guard parsed >= 1 else {
                    throw failure(.invalidStep, item, "step 0 in '\(item)' must be at least 1")
                }
                guard parsed <= rules.highest else {
                    throw failure(.invalidStep, item, "step \(parsed) in '\(item)' is out of range 1–\(rules.highest)")
                }
                step = parsed
            }
            let base = parts[0]
            let lower: Int
            let upper: Int
            if base == "*" {
                lower = rules.lowest
                upper = rules.starHighest
            } else if base.contains("-") {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count == 2, !bounds[0].isEmpty, !bounds[1].isEmpty else {
                    throw failure(.malformed, item, "malformed range '\(base)' (write start-end, such as 1-5)")
                }
                lower = try value(bounds[0], rules: rules, failure: failure)
                var end = try value(bounds[1], rules: rules, failure: failure)
                // `FRI-SUN`: a range that ends on the name SUN ends on Sunday = 7.
                if rules.name == "day-of-week", end == 0, lower > 0, rules.value(named: String(bounds[1])) == 0 {
                    end = 7
                }
                guard lower <= end else {
                    throw failure(
                        .reversedRange, item,
                        "'\(base)' is a reversed range: \(lower) is after \(end) (ranges do not wrap; "
                            + "write \(end)-\(lower) or a list)")
                }
                upper = end
            } else {
                lower = try value(base, rules: rules, failure: failure)
                // `5/10` means `5-max/10`; a bare value is itself.
                upper = parts.count == 2 ? rules.starHighest : lower
            }
            for number in stride(from: lower, through: max(lower, upper), by: step) {
                let bit = rules.name == "day-of-week" && number == 7 ? 0 : number
                mask |= 1 << UInt64(bit)
            }
        }
        return mask
    }

    private static func value(
        _ text: Substring, rules: FieldRules, failure: (CronError.Code, Substring, String) -> CronError
    ) throws -> Int {
        if text.isEmpty {
            throw failure(.malformed, text, "missing value before '/'")
        }
        if text.allSatisfy(\.isASCIIDigit) {
            guard text.count <= 4, let number = Int(text), number >= rules.lowest, number <= rules.highest else {
                throw failure(.outOfRange, text, "\(text) is out of range \(rules.lowest)–\(rules.highest)")
            }
            return number
        }
        if text.allSatisfy(\.isASCIILetter) {
            if rules.names.isEmpty {
                throw failure(.unknownName, text, "'\(text)' is not a number (\(rules.noun)s are numbers)")
            }
            guard let number = rules.value(named: String(text)) else {
                throw failure(
                    .unknownName, text,
                    "unknown \(rules.noun) name '\(text)' (use \(rules.names.first!)–\(rules.names.last!))")
            }
            return number
        }
        throw failure(.malformed, text, "unexpected text '\(text)'")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
    fileprivate var isASCIILetter: Bool { isASCII && isLetter }
}
