/// When the built-in scheduler runs a plan (`schedule:` in plans).
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
        case jitterSeconds = "jitter_seconds"
        case timeZoneIdentifier = "time_zone"
    }

    /// A five-field cron expression or a macro (`@daily`).
    public var cron: String
    /// The IANA zone the expression and window are read in.
    public var timeZoneIdentifier: String
    /// An off-peak window `HH:MM-HH:MM` (may wrap midnight) a run must start in; `nil` allows any time.
    public var window: String?
    /// The longest random delay added to each run, in seconds.
    public var jitterSeconds: Double
    public var missed: MissedRunPolicy

    public init(
        cron: String, timeZoneIdentifier: String = "UTC", window: String? = nil, jitterSeconds: Double = 0,
        missed: MissedRunPolicy = .runOnce
    ) {
        self.cron = cron
        self.timeZoneIdentifier = timeZoneIdentifier
        self.window = window
        self.jitterSeconds = jitterSeconds
        self.missed = missed
    }
}
