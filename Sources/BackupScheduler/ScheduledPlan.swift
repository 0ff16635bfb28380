import ArchiveLifecycle
import BackupCatalog
public import BackupEngine
public import BackupModels
import BackupSources
import BackupSupport
public import Foundation

/// When one plan runs: its cron schedule, off-peak window, jitter and missed-run policy, checked and
/// ready for a ``BackupScheduler``.
///
/// ```swift
/// let scheduled = try ScheduledPlan(plan)          // from the plan's `schedule:` section
/// scheduled.nextRuns(5, after: now)                // what `backup schedule --next 5` prints
/// ```
public struct ScheduledPlan: Hashable, Sendable {
    /// The plan's name (the lease is `plan:<name>`, catalog records are looked up by it).
    public var name: String
    /// When automatic runs are due (`cron:` or `incremental:`).
    public var cron: CronSchedule
    /// When full backups are due (`full:`); `nil` when only ``cron`` runs.
    public var fullCron: CronSchedule?
    /// The off-peak window a run must start in; `nil` allows any time.
    public var window: RunWindow?
    /// The longest random delay added to each run; never pushes a start past the window's end.
    public var jitter: Duration
    /// What to do at start about a run missed while no scheduler ran.
    public var missed: ScheduleConfig.MissedRunPolicy

    /// Creates a scheduled plan from checked values.
    /// - Parameters:
    ///   - name: The plan's name.
    ///   - cron: When automatic runs are due.
    ///   - fullCron: When full backups are due, if ever.
    ///   - window: The off-peak window, if any (read in its own zone).
    ///   - jitter: The longest random delay; negative values count as zero.
    ///   - missed: The missed-run policy.
    public init(
        name: String, cron: CronSchedule, fullCron: CronSchedule? = nil, window: RunWindow? = nil, jitter: Duration = .zero,
        missed: ScheduleConfig.MissedRunPolicy = .skip
    ) {
        self.name = name
        self.cron = cron
        self.fullCron = fullCron
        self.window = window
        self.jitter = max(.zero, jitter)
        self.missed = missed
    }

    /// Checks a `schedule:` section.
    /// - Parameters:
    ///   - name: The plan's name, for errors and leases.
    ///   - config: The section as parsed from the plan.
    /// - Throws: ``ScheduleError`` naming `schedule.cron`, `schedule.time_zone`, `schedule.window` or
    ///   `schedule.jitter`; for a cron error, the ``CronError`` is in ``ScheduleError/underlying``.
    public init(name: String, config: ScheduleConfig) throws {
        guard let zone = TimeZone(identifier: config.timeZoneIdentifier) else {
            throw ScheduleError(
                code: .invalidTimeZone, field: "schedule.time_zone", plan: name,
                message: "'\(config.timeZoneIdentifier)' is not a known IANA time zone (such as Asia/Shanghai or UTC)")
        }
        let cron: CronSchedule
        do {
            cron = try CronSchedule(config.cron, timeZone: zone)
        } catch let error as CronError {
            throw ScheduleError(code: .invalidCron, field: "schedule.cron", plan: name, message: error.description, underlying: error)
        }
        var fullCron: CronSchedule?
        if let full = config.fullCron {
            do {
                fullCron = try CronSchedule(full, timeZone: zone)
            } catch let error as CronError {
                throw ScheduleError(code: .invalidCron, field: "schedule.full", plan: name, message: error.description, underlying: error)
            }
        }
        guard config.jitterSeconds.isFinite, config.jitterSeconds >= 0 else {
            throw ScheduleError(
                code: .invalidJitter, field: "schedule.jitter", plan: name,
                message: "\(config.jitterSeconds) seconds: a jitter must be zero or more")
        }
        let window = try config.window.map { try RunWindow($0, timeZone: zone, field: "schedule.window", plan: name) }
        self.init(
            name: name, cron: cron, fullCron: fullCron, window: window,
            jitter: .milliseconds(Int64((config.jitterSeconds * 1000).rounded())),
            missed: config.missed)
    }

    /// Checks the `schedule:` section of `plan`.
    /// - Parameter plan: A plan with a schedule.
    /// - Throws: ``ScheduleError`` with code ``ScheduleError/Code-swift.struct/missingSchedule`` when the
    ///   plan has no schedule, or as ``init(name:config:)``.
    public init(_ plan: BackupPlan) throws {
        guard let config = plan.schedule else {
            throw ScheduleError(
                code: .missingSchedule, field: "schedule", plan: plan.name,
                message: "the plan has no schedule section; add schedule: {cron: \"30 1 * * *\", time_zone: UTC}")
        }
        try self.init(name: plan.name, config: config)
    }

    /// The drill schedule of `plan` (`drill.cron`, read in the schedule's time zone, else the plan's), run as
    /// a plan of its own named `<plan>.drill`, or `nil` when the plan sets no drill cron.
    ///
    /// - Throws: ``ScheduleError`` `invalidCron` naming `drill.cron`, or `invalidTimeZone`.
    public static func drill(of plan: BackupPlan) throws -> ScheduledPlan? {
        guard let expression = plan.drill?.cron else { return nil }
        let zoneName = plan.schedule?.timeZoneIdentifier ?? plan.timeZoneIdentifier
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ScheduleError(
                code: .invalidTimeZone, field: "schedule.time_zone", plan: plan.name, message: "'\(zoneName)' is not a known IANA time zone"
            )
        }
        do {
            return ScheduledPlan(name: plan.name + ".drill", cron: try CronSchedule(expression, timeZone: zone), missed: .skip)
        } catch let error as CronError {
            throw ScheduleError(code: .invalidCron, field: "drill.cron", plan: plan.name, message: error.description, underlying: error)
        }
    }

    /// The next `count` due instants after `date`, without jitter and whether or not they fall in the
    /// window (a run due outside the window is skipped when it comes).
    /// - Parameters:
    ///   - count: How many instants.
    ///   - date: The instant to start after.
    /// - Returns: Increasing instants; fewer than `count` when the expression stops matching.
    public func nextRuns(_ count: Int, after date: Date) -> [Date] {
        var result: [Date] = []
        var cursor = date
        while result.count < count, let run = next(after: cursor) {
            result.append(run)
            cursor = run
        }
        return result
    }

    /// The first due instant strictly after `date`, of ``cron`` or ``fullCron`` whichever comes first.
    /// - Parameter date: The instant to start after.
    /// - Returns: The instant, or `nil` when neither expression matches in the next nine years.
    public func next(after date: Date) -> Date? {
        let instants = [cron.next(after: date), fullCron?.next(after: date)].compactMap { $0 }
        return instants.min()
    }

    /// Whether the run due at `instant` is a full backup: `true` when ``fullCron`` matches the instant.
    /// - Parameter instant: A due instant.
    /// - Returns: Whether ``fullCron`` is due at exactly that instant.
    public func isFullRun(at instant: Date) -> Bool {
        guard let fullCron else { return false }
        return fullCron.next(after: instant.addingTimeInterval(-1)) == instant
    }

    /// The kind of backup a run due at `instant` takes: `.full` when ``fullCron`` is due then, else
    /// `.auto` (an incremental when the source can and the chain may grow).
    /// - Parameter instant: A due instant.
    /// - Returns: The kind of the run.
    public func backupKind(at instant: Date) -> BackupRequest.Kind { isFullRun(at: instant) ? .full : .auto }

    /// The latest due instant at or before `date`, or `nil` if there was none in the last nine years.
    /// - Parameter date: The instant to look back from.
    /// - Returns: The previous due instant.
    public func previousRun(atOrBefore date: Date) -> Date? {
        // Look back an hour, a day, a month, a year, then nine years; the first span holding a run
        // gives the latest one by walking forward.
        for span: TimeInterval in [3_600, 86_400, 32 * 86_400, 367 * 86_400, 9 * 367 * 86_400] {
            var cursor = date.addingTimeInterval(-span)
            var latest: Date?
            while let run = next(after: cursor), run <= date {
                latest = run
                cursor = run
            }
            if let latest { return latest }
        }
        return nil
    }

    /// Whether a run due at `date` may start then: `true` without a window.
    /// - Parameter date: The instant to judge.
    /// - Returns: Whether `date` lies in the window.
    public func mayStart(at date: Date) -> Bool { window?.contains(date) ?? true }

    /// The random delay before a run due at `instant`: `fraction × jitter`, shortened so that the run
    /// still starts before the window closes (a minute before its end, or at the instant itself when
    /// the window closes sooner).
    /// - Parameters:
    ///   - instant: The due instant.
    ///   - fraction: A random number in `0..<1`.
    /// - Returns: The delay, zero when there is no jitter or the instant is outside the window.
    public func jitterDelay(for instant: Date, fraction: Double) -> Duration {
        guard jitter > .zero else { return .zero }
        let (seconds, attoseconds) = jitter.components
        var bound = Double(seconds) * 1000 + Double(attoseconds / 1_000_000_000_000_000)
        if let window {
            guard let closing = window.closing(after: instant) else { return .zero }
            bound = min(bound, max(0, (closing.timeIntervalSince(instant) - 60) * 1000))
        }
        let clamped = min(max(fraction, 0), 1)
        return .milliseconds(Int64((bound * clamped).rounded(.down)))
    }
}
