/// When the built-in scheduler runs a plan, and when a run starts a new chain with a full backup
/// (`schedule:` in plans).
///
/// ```yaml
/// schedule: {full: "30 1 * * *", incremental: "*/15 * * * *", time_zone: UTC}
/// schedule: {cron: "0 * * * *", full_every: 1d, max_chain_length: 48}
/// ```
public struct ScheduleConfig: Hashable, Codable, Sendable {
    /// What to do about a run that was due while no scheduler was running.
    public enum MissedRunPolicy: String, Hashable, Codable, Sendable {
        /// Run once at start, then follow the schedule.
        case runOnce = "run_once"
        /// Wait for the next scheduled instant.
        case skip
    }

    enum CodingKeys: String, CodingKey {
        case cron, window, missed
        case fullCron = "full"
        case jitterSeconds = "jitter_seconds"
        case timeZoneIdentifier = "time_zone"
        case fullEverySeconds = "full_every_seconds"
        case maxChainLength = "max_chain_length"
    }

    /// A five-field cron expression or a macro (`@daily`): when automatic runs are due (`cron:` or
    /// `incremental:` in plans). An automatic run takes an incremental backup when the source can and the
    /// chain may grow (see ``fullEverySeconds`` and ``maxChainLength``), else a full one.
    public var cron: String
    /// When full backups are due (`full:` in plans); `nil` when only ``cron`` runs. An instant both
    /// expressions match runs once, as a full backup.
    public var fullCron: String?
    /// The IANA zone the expressions and window are read in.
    public var timeZoneIdentifier: String
    /// An off-peak window `HH:MM-HH:MM` (may wrap midnight) a run must start in; `nil` allows any time.
    public var window: String?
    /// The longest random delay added to each run, in seconds.
    public var jitterSeconds: Double
    /// What to do about a run missed while no scheduler ran.
    public var missed: MissedRunPolicy
    /// An automatic run takes a full backup when the chain's full backup is at least this old, in
    /// seconds (`full_every: 7d`); `nil` sets no age limit. Applies to `backup run` without `--full` or
    /// `--incremental` as well as to scheduled runs.
    public var fullEverySeconds: Double?
    /// An automatic run takes a full backup when the chain already holds this many backups, the full
    /// one included (`max_chain_length: 24`); `nil` sets no length limit.
    public var maxChainLength: Int?

    /// Creates a schedule.
    /// - Parameters:
    ///   - cron: When automatic runs are due.
    ///   - fullCron: When full backups are due, if at other instants or on a different cadence.
    ///   - timeZoneIdentifier: The IANA zone of the expressions and the window.
    ///   - window: The off-peak window, if any.
    ///   - jitterSeconds: The longest random delay.
    ///   - missed: The missed-run policy.
    ///   - fullEverySeconds: The age of a chain's full backup after which an automatic run takes a full one.
    ///   - maxChainLength: The chain length after which an automatic run takes a full backup.
    public init(
        cron: String, fullCron: String? = nil, timeZoneIdentifier: String = "UTC", window: String? = nil,
        jitterSeconds: Double = 0, missed: MissedRunPolicy = .runOnce, fullEverySeconds: Double? = nil,
        maxChainLength: Int? = nil
    ) {
        self.cron = cron
        self.fullCron = fullCron
        self.timeZoneIdentifier = timeZoneIdentifier
        self.window = window
        self.jitterSeconds = jitterSeconds
        self.missed = missed
        self.fullEverySeconds = fullEverySeconds
        self.maxChainLength = maxChainLength
    }
}
