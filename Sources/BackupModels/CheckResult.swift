import Foundation

/// The outcome of one preflight check (`backup check`, `es-archive check`): what was checked, what was
/// seen, and, when it is not ``Status-swift.enum/ok``, the fix in one sentence.
///
/// Encodes to `{"component": "storage", "check": "write", "status": "failed", "detail": "…", "fix": "…"}`
/// with `fix` `null` when there is nothing to fix. Neither `detail` nor `fix` ever holds a secret.
public struct CheckResult: Hashable, Codable, Sendable {
    /// How a check came out.
    public enum Status: String, Hashable, Codable, Sendable, Comparable {
        /// Nothing to do.
        case ok
        /// The next run works, but something deserves a look (a risk, a setting off the recommendation).
        case warning
        /// The next run fails (or its backup cannot be restored) until this is fixed.
        case failed

        private var rank: Int {
            switch self {
            case .ok: 0
            case .warning: 1
            case .failed: 2
            }
        }

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }
    }

    /// What was checked: `catalog`, `storage`, `encryption`, `source meta`, `schedule`, `notify`, `cluster`,
    /// `table 2_bklog.nginx_access`.
    public var component: String
    /// The check's name within its component, such as `write` or `binlog_retention`.
    public var check: String
    /// How it came out.
    public var status: Status
    /// What was seen.
    public var detail: String
    /// What to do, in one sentence; `nil` when ``status`` is ``Status-swift.enum/ok``.
    public var fix: String?

    /// Creates a result.
    /// - Parameters:
    ///   - component: What was checked.
    ///   - check: The check's name within its component.
    ///   - status: How it came out.
    ///   - detail: What was seen (never a secret).
    ///   - fix: What to do, when it is not ok.
    public init(component: String, check: String, status: Status, detail: String, fix: String? = nil) {
        self.component = component
        self.check = check
        self.status = status
        self.detail = detail
        self.fix = fix
    }

    private enum CodingKeys: String, CodingKey {
        case component, check, status, detail, fix
    }

    /// Writes `fix` as `null` when absent, so every result has every key.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(component, forKey: .component)
        try container.encode(check, forKey: .check)
        try container.encode(status, forKey: .status)
        try container.encode(detail, forKey: .detail)
        try container.encode(fix, forKey: .fix)
    }
}

extension Array where Element == CheckResult {
    /// Whether any check failed (the check commands then exit 1).
    public var hasFailures: Bool { contains { $0.status == .failed } }

    /// The result of `check` in `component`, if it ran.
    public func result(_ component: String, _ check: String) -> CheckResult? {
        first { $0.component == component && $0.check == check }
    }
}

extension CheckResult {
    /// The results as aligned text, one line per check (`FAILED  storage  write  …`) with its fix on the
    /// next line, and a closing count.
    /// - Parameter results: The results, in the order they ran.
    /// - Returns: The text, ending without a newline.
    public static func text(_ results: [CheckResult]) -> String {
        let componentWidth = results.map(\.component.count).max() ?? 0
        let checkWidth = results.map(\.check.count).max() ?? 0
        var lines: [String] = []
        for result in results {
            let status = result.status.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)
            let component = result.component.padding(toLength: componentWidth, withPad: " ", startingAt: 0)
            let check = result.check.padding(toLength: checkWidth, withPad: " ", startingAt: 0)
            lines.append("\(status)\(component)  \(check)  \(result.detail)")
            if let fix = result.fix { lines.append(String(repeating: " ", count: 8) + "fix: \(fix)") }
        }
        let count = { (status: Status) in results.count { $0.status == status } }
        lines.append("\(count(.ok)) ok, \(count(.warning)) warning(s), \(count(.failed)) failed")
        return lines.joined(separator: "\n")
    }
}
