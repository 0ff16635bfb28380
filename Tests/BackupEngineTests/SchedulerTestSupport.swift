import BackupCatalog
import BackupModels
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// A clock whose time moves only when the test says so; `sleep` returns once the time reaches the deadline.
final class ManualClock: Sendable {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [UUID: Sleeper] = [:]
    }

    private let state: Mutex<State>

    init(_ iso: String) { state = Mutex(State(now: ISO8601.date(from: iso) ?? Date(timeIntervalSince1970: 0))) }

    var now: Date { state.withLock { $0.now } }
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }
    var earliestDeadline: Date? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    var schedulerClock: SchedulerClock {
        SchedulerClock(now: { self.now }, sleep: { try await self.sleep(until: $0) })
    }

    func sleep(until deadline: Date) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the time to `date` (never backwards) and wakes the sleepers whose deadline has come.
    func advance(to date: Date) {
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = max(state.now, date)
            let ready = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in ready.keys { state.sleepers.removeValue(forKey: id) }
            return ready.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    func advance(by seconds: TimeInterval) { advance(to: now.addingTimeInterval(seconds)) }
}

/// Polls `condition` every millisecond, at most `bound` times; returns whether it became true.
func eventually(bound: Int = 5_000, _ condition: () async throws -> Bool) async rethrows -> Bool {
    for _ in 0..<bound {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return try await condition()
}

/// What the test run closures saw: the instants runs started at, per plan, and the most runs at once.
actor RunLog {
    private(set) var starts: [String: [Date]] = [:]
    private(set) var active = 0
    private(set) var maxActive = 0
    private(set) var activePerPlan: [String: Int] = [:]
    private(set) var maxActivePerPlan = 0
    private(set) var cancelled = 0

    func begin(_ plan: String, at date: Date) {
        starts[plan, default: []].append(date)
        active += 1
        maxActive = max(maxActive, active)
        activePerPlan[plan, default: 0] += 1
        maxActivePerPlan = max(maxActivePerPlan, activePerPlan[plan, default: 0])
    }

    func end(_ plan: String, cancelled wasCancelled: Bool = false) {
        active -= 1
        activePerPlan[plan, default: 0] -= 1
        if wasCancelled { cancelled += 1 }
    }

    func count(_ plan: String) -> Int { starts[plan]?.count ?? 0 }
    var total: Int { starts.values.reduce(0) { $0 + $1.count } }
}

/// A gate that run closures wait on until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resume = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resume { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Keeps every event it receives.
final class EventRecorder: Notifier {
    private let events = Mutex<[BackupEvent]>([])

    var received: [BackupEvent] { events.withLock { $0 } }

    func notify(_ event: BackupEvent) async throws { events.withLock { $0.append(event) } }
}

enum SchedulerFixture {
    static let logger = Logger(label: "scheduler-test")
    static let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? .utc

    static func date(_ iso: String) -> Date { ISO8601.date(from: iso) ?? Date(timeIntervalSince1970: 0) }

    static func plan(
        _ name: String = "nightly", cron: String = "30 1 * * *", zone: String = "Asia/Shanghai", window: String? = nil,
        jitterSeconds: Double = 0, missed: ScheduleConfig.MissedRunPolicy = .skip
    ) throws -> ScheduledPlan {
        try ScheduledPlan(
            name: name,
            config: ScheduleConfig(
                cron: cron, timeZoneIdentifier: zone, window: window, jitterSeconds: jitterSeconds, missed: missed))
    }

    /// A run closure that logs the run, inserts a committed record as a real run would, and returns.
    static func recordingRun(
        _ log: RunLog, clock: ManualClock, catalog: SQLiteCatalog, gate: Gate? = nil
    ) -> @Sendable (ScheduledPlan) async throws -> ScheduledRunResult {
        { plan in
            let now = clock.now
            await log.begin(plan.name, at: now)
            if let gate { await gate.wait() }
            if Task.isCancelled {
                await log.end(plan.name, cancelled: true)
                throw CancellationError()
            }
            let record = BackupRecord(
                plan: plan.name, source: "config", kind: .full, label: BackupLabel.full(at: now, in: shanghai), startedAt: now,
                host: "test")
            try await catalog.insert(record)
            let artifact = ArtifactDescriptor(
                key: "\(plan.name)/\(record.label).tar", sizeBytes: 1, sha256: String(repeating: "0", count: 64), compression: .none)
            try await catalog.commit(record.id, artifacts: [artifact], position: nil, finishedAt: now)
            await log.end(plan.name)
            return ScheduledRunResult(succeeded: true, summary: "1 committed")
        }
    }

    /// Moves the clock from deadline to deadline until `date`, each time only once every scheduler is
    /// idle: all its plan loops wait for their next due instant (one clock sleeper each).
    static func drive(_ clock: ManualClock, to date: Date, schedulers: [BackupScheduler]) async {
        let loops = schedulers.reduce(0) { $0 + $1.plans.count }
        func idle() -> Bool { schedulers.allSatisfy { $0.busyLoops.value == 0 } && clock.sleeperCount >= loops }
        while true {
            _ = await eventually { idle() }
            guard let next = clock.earliestDeadline, next <= date else { break }
            clock.advance(to: next)
        }
        clock.advance(to: date)
        _ = await eventually { idle() }
    }

    /// Runs `scheduler` in a service group for the duration of `body`, then shuts it down gracefully.
    static func running(
        _ schedulers: BackupScheduler..., body: (ServiceGroup) async throws -> Void
    ) async throws {
        let group = ServiceGroup(services: schedulers, logger: logger)
        let task = Task { try await group.run() }
        do {
            try await body(group)
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await task.value
    }
}
