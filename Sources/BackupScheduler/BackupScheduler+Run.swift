import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
package import Foundation
import Logging
import ServiceLifecycle

extension BackupScheduler {
    /// Runs every plan on its schedule until graceful shutdown or cancellation.
    ///
    /// Returns once every plan's loop has stopped: waits end at once, runs in progress finish or are
    /// cancelled according to ``Configuration-swift.struct/shutdown``, and their leases are released.
    public func run() async throws {
        let shutdown = ShutdownSignal()
        logger.info("scheduler started", metadata: ["plans": "\(plans.map(\.name).joined(separator: ","))"])
        busyLoops.withLock { $0 += jobs.count }
        await withTaskCancellationOrGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for job in jobs {
                    group.addTask { await loop(job, shutdown: shutdown) }
                }
            }
        } onCancelOrGracefulShutdown: {
            shutdown.trigger()
        }
        logger.info("scheduler stopped")
    }

    /// A due run: the cron instant it stands for and when it may start (later for a catch-up run).
    package struct Due {
        package var instant: Date
        package var start: Date
        package var isCatchUp: Bool
    }

    /// One plan's loop: wait, jitter, run, repeat.
    private func loop(_ job: Job, shutdown: ShutdownSignal) async {
        var due = await firstDue(job)
        defer { busyLoops.withLock { $0 -= 1 } }
        while let current = due, !shutdown.isTriggered {
            guard await wait(until: current.start, unless: shutdown) else { return }
            let delay = current.isCatchUp ? .zero : job.plan.jitterDelay(for: current.instant, fraction: randomFraction())
            if delay > .zero {
                guard await wait(until: current.start.addingTimeInterval(Self.seconds(delay)), unless: shutdown) else { return }
            }
            await attempt(job, due: current, shutdown: shutdown)
            let now = clock.now()
            let next = job.plan.next(after: max(current.instant, now))
            if let next, let skipped = job.plan.next(after: current.instant), skipped < next, !current.isCatchUp {
                logger.warning(
                    "runs due while the previous run lasted were dropped",
                    metadata: ["plan": "\(job.plan.name)", "first_dropped": "\(ISO8601.string(from: skipped))"])
            }
            due = next.map { Due(instant: $0, start: $0, isCatchUp: false) }
        }
    }

    /// Waits for a due instant or a jitter, counted as idle in ``busyLoops``.
    private func wait(until deadline: Date, unless shutdown: ShutdownSignal) async -> Bool {
        busyLoops.withLock { $0 -= 1 }
        defer { busyLoops.withLock { $0 += 1 } }
        return await sleep(until: deadline, unless: shutdown)
    }

    /// The first run: a catch-up run now when the policy is `run_once` and the plan's latest record is
    /// older than the latest due instant, otherwise the next due instant.
    package func firstDue(_ job: Job) async -> Due? {
        let now = clock.now()
        if job.plan.missed == .runOnce, let previous = job.plan.previousRun(atOrBefore: now) {
            do {
                let latest = try await job.catalog.latestRecord(of: job.plan.name)
                if latest.map({ $0.startedAt < previous }) ?? true {
                    logger.info(
                        "a scheduled run was missed; running once now",
                        metadata: ["plan": "\(job.plan.name)", "missed": "\(ISO8601.string(from: previous))"])
                    return Due(instant: previous, start: now, isCatchUp: true)
                }
            } catch {
                logger.error(
                    "cannot read the latest record; not catching up", metadata: ["plan": "\(job.plan.name)", "error": "\(error)"])
            }
        }
        return job.plan.next(after: now).map { Due(instant: $0, start: $0, isCatchUp: false) }
    }

    /// Takes a slot and the lease, checks the window and the catalog, and runs the plan.
    private func attempt(_ job: Job, due: Due, shutdown: ShutdownSignal) async {
        let name = job.plan.name
        var logger = self.logger
        logger[metadataKey: "plan"] = "\(name)"
        logger[metadataKey: "scheduled_at"] = "\(ISO8601.string(from: due.instant))"

        guard await acquireSlot(unless: shutdown) else { return }
        defer { slots.release() }

        let now = clock.now()
        if let window = job.plan.window, !window.contains(now) {
            let reason =
                "could not start inside its window \(window) \(window.timeZone.identifier) (now \(ISO8601.string(from: now, in: window.timeZone)))"
            logger.warning("scheduled run skipped", metadata: ["reason": "\(reason)"])
            await deliver(.runSkipped(plan: name, scheduledAt: due.instant, reason: reason, at: now))
            return
        }

        let lease: Lease
        do {
            switch try await job.catalog.acquireLeaseReclaimingDeadHolder(
                Lease.name(forPlan: name), owner: leaseOwner(), duration: configuration.leaseDuration, now: now)
            {
            case .held(let holder):
                logger.info("plan is running elsewhere; not running it here", metadata: ["holder": "\(holder.owner)"])
                return
            case .acquired(let acquired, let previous):
                if let previous {
                    logger.warning("took over an expired lease", metadata: ["previous_holder": "\(previous.owner)"])
                }
                lease = acquired
            }
        } catch {
            logger.error("cannot take the plan's lease; not running", metadata: ["error": "\(error)"])
            await deliver(.backupFailed(plan: name, source: "*", reason: "cannot take the plan's lease: \(error)", at: now))
            return
        }

        do {
            if let latest = try await job.catalog.latestRecord(of: name), latest.startedAt >= due.instant {
                logger.info(
                    "this instant already ran", metadata: ["host": "\(latest.host)", "label": "\(latest.label)"])
                await release(lease, catalog: job.catalog, logger: logger)
                return
            }
        } catch {
            logger.error("cannot read the latest record; not running", metadata: ["error": "\(error)"])
            await release(lease, catalog: job.catalog, logger: logger)
            return
        }

        logger.info("scheduled run started")
        let outcome = await runHoldingLease(job, instant: due.instant, lease: lease, shutdown: shutdown)
        switch outcome.result {
        case .success(let result)?:
            if result.succeeded {
                logger.info("scheduled run finished", metadata: ["summary": "\(result.summary)"])
            } else {
                logger.error("scheduled run finished with failures", metadata: ["summary": "\(result.summary)"])
            }
        case .failure(let error)?:
            let reason = outcome.leaseLost.map { "lease lost: \($0)" } ?? (error is CancellationError ? "cancelled" : "\(error)")
            logger.error("scheduled run failed", metadata: ["error": "\(reason)"])
            await deliver(.backupFailed(plan: name, source: "*", reason: reason, at: clock.now()))
        case nil:
            break
        }
        if outcome.leaseLost == nil { await release(outcome.lease, catalog: job.catalog, logger: logger) }
    }

    private struct RunOutcome {
        var result: Result<ScheduledRunResult, any Error>?
        var lease: Lease
        var leaseLost: String?
    }

    private enum RunEvent: Sendable {
        case finished(Result<ScheduledRunResult, any Error>)
        case renewed(Lease)
        case leaseLost(String)
        case shutdown
        case stopped
    }

    /// Runs the plan with a heartbeat that renews the lease every third of its duration; cancels the run
    /// when the lease is lost, or on shutdown when configured to.
    private func runHoldingLease(_ job: Job, instant: Date, lease: Lease, shutdown: ShutdownSignal) async -> RunOutcome {
        let plan = job.plan
        let catalog = job.catalog
        let duration = configuration.leaseDuration
        let interval = Self.seconds(duration / 3)
        let clock = self.clock
        let runPlan = self.runPlan
        var outcome = RunOutcome(result: nil, lease: lease, leaseLost: nil)
        await withTaskGroup(of: RunEvent.self) { group in
            group.addTask {
                do {
                    return .finished(.success(try await runPlan(plan, instant)))
                } catch {
                    return .finished(.failure(error))
                }
            }
            group.addTask {
                var current = lease
                while true {
                    do {
                        try await clock.sleep(clock.now().addingTimeInterval(interval))
                    } catch {
                        return .renewed(current)
                    }
                    do {
                        current = try await catalog.renewLease(current, duration: duration, now: clock.now())
                    } catch let error as CatalogError where error.code == .conflict {
                        return .leaseLost("\(error)")
                    } catch {
                        // A transient catalog error: try again at the next beat, while the lease lasts.
                        if current.isExpired(at: clock.now()) { return .leaseLost("not renewed in time: \(error)") }
                    }
                }
            }
            if configuration.shutdown == .cancelRunning {
                group.addTask {
                    await shutdown.wait()
                    return shutdown.isTriggered ? .shutdown : .stopped
                }
            }
            while let event = await group.next() {
                switch event {
                case .finished(let result):
                    outcome.result = result
                    group.cancelAll()
                case .renewed(let renewed):
                    outcome.lease = renewed
                case .leaseLost(let reason):
                    outcome.leaseLost = reason
                    group.cancelAll()
                case .shutdown:
                    group.cancelAll()
                case .stopped:
                    break
                }
            }
        }
        return outcome
    }

    private func release(_ lease: Lease, catalog: any SchedulerCatalog, logger: Logger) async {
        do {
            try await catalog.releaseLease(lease)
        } catch {
            logger.warning("cannot release the plan's lease; it expires by itself", metadata: ["error": "\(error)"])
        }
    }

    private func acquireSlot(unless shutdown: ShutdownSignal) async -> Bool {
        await withTaskGroup(of: Bool?.self) { group in
            group.addTask { await slots.acquire() }
            group.addTask {
                await shutdown.wait()
                return nil
            }
            while let result = await group.next() {
                guard let acquired = result else {
                    group.cancelAll()
                    continue
                }
                group.cancelAll()
                // A slot granted just as shutdown began is given back.
                if acquired, shutdown.isTriggered {
                    slots.release()
                    return false
                }
                return acquired
            }
            return false
        }
    }

    /// Waits until `deadline`; `false` when shutdown began or the task was cancelled first.
    private func sleep(until deadline: Date, unless shutdown: ShutdownSignal) async -> Bool {
        guard !shutdown.isTriggered else { return false }
        let clock = self.clock
        let reached = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await clock.sleep(deadline)
                    return true
                } catch {
                    return false
                }
            }
            group.addTask {
                await shutdown.wait()
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        return reached && !shutdown.isTriggered && !Task.isCancelled
    }

    private func deliver(_ event: BackupEvent) async {
        guard let notifier else { return }
        do {
            try await notifier.notify(event)
        } catch {
            logger.warning("notification not delivered", metadata: ["event": "\(event.kind)", "error": "\(error)"])
        }
    }

    package static func seconds(_ duration: Duration) -> TimeInterval {
        let (whole, atto) = duration.components
        return TimeInterval(whole) + TimeInterval(atto) / 1e18
    }
}
