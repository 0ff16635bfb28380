import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
public import Foundation

/// The time source of a ``BackupScheduler``: the current instant and a way to wait until an instant.
///
/// Tests pass a manual clock whose `sleep` returns when the test moves time on, so that a week of
/// schedules runs in milliseconds.
public struct SchedulerClock: Sendable {
    /// The current instant.
    public var now: @Sendable () -> Date
    /// Waits until `deadline`; throws `CancellationError` when the task is cancelled.
    public var sleep: @Sendable (_ deadline: Date) async throws -> Void

    /// Creates a clock.
    /// - Parameters:
    ///   - now: The current instant.
    ///   - sleep: Waits until the given instant; must throw on cancellation.
    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (_ deadline: Date) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The system clock. Long waits are cut into steps of at most a minute and measured again against
    /// `Date()`, so a wall-clock change (NTP, suspend) delays a run by a minute at most.
    public static let system = SchedulerClock(
        now: { Date() },
        sleep: { deadline in
            while true {
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else { return }
                try await Task.sleep(for: .milliseconds(Int64(min(remaining, 60) * 1000) + 1))
            }
        })
}
