import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport

/// An error in a schedule setting: a cron expression, a time zone, a window, a jitter, or plans whose
/// windows overlap.
///
/// The ``description`` names the setting at fault and, for overlaps, both plans:
///
/// ```
/// schedule.window of plan 'nightly': '25:00-05:00': hour 25 in '25:00' is out of range 0–23
/// schedule.window: the windows of plans 'es-archive' (01:00-05:00 Asia/Shanghai) and 'mysql' (04:00-06:00 Asia/Shanghai) overlap at 20:00 UTC, but max_concurrent_runs is 1: …
/// ```
///
/// The ``code`` is extensible: adding a code never breaks a `switch` in user code.
public struct ScheduleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem occurred.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The cron expression does not parse; ``ScheduleError/underlying`` holds the ``CronError``.
        public static let invalidCron = Code("invalid cron expression")
        /// The time zone is not a known IANA identifier.
        public static let invalidTimeZone = Code("unknown time zone")
        /// The window is not `HH:MM-HH:MM`, or its start equals its end.
        public static let invalidWindow = Code("invalid window")
        /// The jitter is negative or not finite.
        public static let invalidJitter = Code("invalid jitter")
        /// More plans' windows are open at one time than the scheduler may run at once.
        public static let overlappingWindows = Code("overlapping windows")
        /// Two plans given to one scheduler have the same name.
        public static let duplicatePlan = Code("duplicate plan")
        /// A plan given to the scheduler has no `schedule:` section.
        public static let missingSchedule = Code("missing schedule")
        /// A resource limit is out of range (`max_concurrent_runs` below 1, a lease shorter than 3 s).
        public static let invalidLimit = Code("invalid limit")
    }

    /// What kind of problem occurred.
    public var code: Code
    /// The setting at fault, such as `schedule.window`.
    public var field: String
    /// The plan concerned, when there is one.
    public var plan: String?
    /// A human-readable explanation that quotes the offending text.
    public var message: String
    /// The cron parser's error, for ``Code-swift.struct/invalidCron``.
    public var underlying: CronError?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of problem occurred.
    ///   - field: The setting at fault (`schedule.cron`, `schedule.time_zone`, `schedule.window`, …).
    ///   - plan: The plan concerned, if any.
    ///   - message: A human-readable explanation.
    ///   - underlying: The cron parser's error, if that is the cause.
    public init(code: Code, field: String, plan: String? = nil, message: String, underlying: CronError? = nil) {
        self.code = code
        self.field = field
        self.plan = plan
        self.message = message
        self.underlying = underlying
    }

    /// `field of plan 'name': message`; the plan is left out when the error concerns several plans.
    public var description: String {
        var text = field
        if let plan { text += " of plan '\(plan)'" }
        return text + ": " + message
    }
}
