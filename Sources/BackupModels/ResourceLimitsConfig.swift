/// How much of the host a plan's runs may use (`limits:` in plans).
///
/// ```yaml
/// limits: {max_concurrent_runs: 1, nice: 10, ionice: idle}
/// ```
///
/// Bandwidth caps live in the storage sections (`bandwidth_limit`) and compression threads in
/// `compression.threads`; see `Documentation/Automation.md` for every limit and where it is set.
public struct ResourceLimitsConfig: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case maxConcurrentRuns = "max_concurrent_runs"
        case niceness = "nice"
        case ioClass = "ionice"
        case ioLevel = "ionice_level"
    }

    /// How many plans a scheduler runs at once; the smallest value among a scheduler's plans applies.
    public var maxConcurrentRuns: Int?
    /// The `nice` increment (-20…19) of child processes such as `mysqldump`.
    public var niceness: Int?
    /// The `ionice` class of child processes: `idle`, `best_effort` or `realtime`.
    public var ioClass: String?
    /// The level within the `ionice` class (0…7).
    public var ioLevel: Int?

    /// Creates limits; `nil` leaves a limit unset.
    /// - Parameters:
    ///   - maxConcurrentRuns: How many plans a scheduler runs at once.
    ///   - niceness: The `nice` increment of child processes.
    ///   - ioClass: The `ionice` class of child processes.
    ///   - ioLevel: The level within the `ionice` class.
    public init(maxConcurrentRuns: Int? = nil, niceness: Int? = nil, ioClass: String? = nil, ioLevel: Int? = nil) {
        self.maxConcurrentRuns = maxConcurrentRuns
        self.niceness = niceness
        self.ioClass = ioClass
        self.ioLevel = ioLevel
    }
}
