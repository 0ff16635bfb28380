import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
public import Foundation

extension ScheduledPlan {
    /// Checks plans meant for one scheduler: names are unique, and at no time of day are more plans'
    /// windows open than the scheduler may run at once.
    ///
    /// The rule: a scheduler runs at most `maxConcurrentRuns` plans at a time. If more windows than that
    /// are open together, a run that waits for a free slot can see its window close and be skipped,
    /// night after night, without anything being wrong with the plan itself. That is bad input, found
    /// before anything runs. Plans without a window run whenever they are due and are not counted.
    /// Windows in different zones are compared at the zones' offsets at `date`.
    ///
    /// - Parameters:
    ///   - plans: The plans of one scheduler.
    ///   - maxConcurrentRuns: How many runs the scheduler allows at once.
    ///   - date: The instant whose zone offsets are used.
    /// - Throws: ``ScheduleError`` with code ``ScheduleError/Code-swift.struct/duplicatePlan`` or
    ///   ``ScheduleError/Code-swift.struct/overlappingWindows`` naming the plans and their windows.
    public static func validate(_ plans: [ScheduledPlan], maxConcurrentRuns: Int, at date: Date) throws {
        var seen: Set<String> = []
        for plan in plans where !seen.insert(plan.name).inserted {
            throw ScheduleError(
                code: .duplicatePlan, field: "plan", plan: plan.name,
                message: "the plan is given to the scheduler twice; each plan may appear once")
        }
        var open = [[Int]](repeating: [], count: 1440)
        for (index, plan) in plans.enumerated() {
            guard let window = plan.window else { continue }
            for minute in window.utcMinutes(at: date) { open[minute].append(index) }
        }
        guard let minute = open.indices.first(where: { open[$0].count > maxConcurrentRuns }) else { return }
        let clashing = open[minute].map { plans[$0] }
        let names = clashing.map { plan in
            "'\(plan.name)' (\(plan.window.map { "\($0) \($0.timeZone.identifier)" } ?? ""))"
        }
        let listed =
            names.count == 2 ? names.joined(separator: " and ") : names.dropLast().joined(separator: ", ") + " and " + (names.last ?? "")
        throw ScheduleError(
            code: .overlappingWindows, field: "schedule.window",
            message: "the windows of plans \(listed) overlap at \(RunWindow.format(minute)) UTC, but max_concurrent_runs is "
                + "\(maxConcurrentRuns): a run waiting for a free slot could miss its window. Move a window or raise "
                + "max_concurrent_runs")
    }
}
