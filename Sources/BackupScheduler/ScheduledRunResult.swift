import ArchiveLifecycle
import BackupCatalog
public import BackupEngine
import BackupModels
import BackupSources
import BackupSupport

/// What one scheduled run of a plan achieved, as the scheduler's run closure reports it.
public struct ScheduledRunResult: Sendable, Hashable {
    /// Whether every source committed (and retention, if it ran, removed what it planned).
    public var succeeded: Bool
    /// One line for logs, such as `2 committed, 0 failed`.
    public var summary: String

    /// Creates a result.
    /// - Parameters:
    ///   - succeeded: Whether the run fully succeeded.
    ///   - summary: One line for logs.
    public init(succeeded: Bool, summary: String = "") {
        self.succeeded = succeeded
        self.summary = summary
    }

    /// The result of an engine backup run.
    /// - Parameter report: The engine's report.
    public init(_ report: BackupRunReport) {
        let committed = report.outcomes.filter(\.succeeded).count
        self.init(
            succeeded: report.succeeded, summary: "\(committed) committed, \(report.outcomes.count - committed) failed")
    }
}
