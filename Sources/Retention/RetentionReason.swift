import BackupModels

/// The reason strings a ``RetentionDecision`` carries, in one place so that the wording stays stable.
enum RetentionReason {
    static let running = "running"
    static let noKeepRule = "no keep rule"
    static let noRuleKeepsIt = "no rule keeps it"
    static let minCount = "min-count"

    static func failedExpired(_ grace: RetentionDuration) -> String { "failed, older than \(grace)" }
    static func failedInGrace(_ grace: RetentionDuration) -> String { "failed, within grace \(grace)" }
    static func missingExpired(_ grace: RetentionDuration) -> String { "missing from storage, older than \(grace)" }
    static func missingInGrace(_ grace: RetentionDuration) -> String { "missing from storage, within grace \(grace)" }
    static func maxAge(days: Int) -> String { "older than max age \(days)d" }
    static func parent(of label: BackupLabel) -> String { "parent of \(label.rawValue)" }
    static func deletionCap(_ cap: Int) -> String { "deletion cap \(cap)" }
    static func within(_ duration: RetentionDuration) -> String { "within \(duration)" }

    /// A numbered bucket match such as `daily #3`, `oldest yearly #2` or `within-daily 7d #1`.
    static func bucket(_ name: String, number: Int, oldest: Bool) -> String {
        (oldest ? "oldest " : "") + name + " #" + String(number)
    }

    /// Why an incremental cannot be restored: its parent, or an ancestor further up, is unusable.
    static func orphan(_ link: OrphanLink) -> String {
        switch link {
        case .parent(let what): "orphan: parent \(what)"
        case .ancestor(let what): "orphan: ancestor \(what)"
        case .cycle: "orphan: parent chain loops"
        }
    }
}

/// Which link of an incremental's chain is broken.
enum OrphanLink: Hashable {
    /// The direct parent is unusable; the text says how (`0123… missing`, `2026…F missing (failed)`).
    case parent(String)
    /// An ancestor further up the chain is unusable.
    case ancestor(String)
    /// Following parents comes back to a record already visited.
    case cycle

    /// The same break as seen from a dependant one step further down.
    var inherited: OrphanLink {
        switch self {
        case .parent(let what), .ancestor(let what): .ancestor(what)
        case .cycle: .cycle
        }
    }
}
