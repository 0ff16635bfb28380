import BackupCatalog
import BackupModels
import Foundation
import Logging

/// The plans whose run the current task holds, so that a retention pass inside a backup run does not
/// take the plan's lock and lease a second time.
private enum PlanLeaseScope {
    @TaskLocal static var held: Set<String> = []
}

/// What happens first while a run holds its lease: the run ends, or the lease is lost.
private enum RunLeaseEvent<Value: Sendable>: Sendable {
    case finished(Value)
    case lost(String)
    case stopped
}

extension Engine {
    /// Runs `body` as the only run of the plan, on this host and on every host sharing the catalog.
    ///
    /// Takes the plan's lock file on this host (``lockPath``, released by the kernel if the process dies)
    /// and the plan's run lease in the catalog (``BackupCatalog/Lease/name(forRun:)``), renewed every third of
    /// ``runLeaseDuration`` while `body` works. A lease left by a process of this host that died is taken
    /// over at once; one left by another host, once it expires. If the lease is lost (another host took it
    /// over after this process stalled past its expiry), `body` is cancelled and the run throws `locked`:
    /// a run must never go on working beside another. Calls nested in `body` hold it already.
    ///
    /// - Throws: ``EngineError`` `locked` when another run of the plan holds the lock or the lease, or lost
    ///   the lease; what `body` throws.
    package func withPlanLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if PlanLeaseScope.held.contains(plan.name) { return try await body() }
        let lock = lockPath.map(PlanLock.init(path:))
        try lock?.acquire(plan: plan.name)
        defer { lock?.release() }
        let lease = try await acquireRunLease()
        do {
            let value = try await PlanLeaseScope.$held.withValue(PlanLeaseScope.held.union([plan.name])) {
                try await holding(lease, body)
            }
            await releaseRunLease(lease)
            return value
        } catch {
            await releaseRunLease(lease)
            throw error
        }
    }

    private func acquireRunLease() async throws -> Lease {
        let name = Lease.name(forRun: plan.name)
        switch try await catalog.acquireLeaseReclaimingDeadHolder(
            name, owner: LeaseOwner.current(), duration: runLeaseDuration, now: Date())
        {
        case .acquired(let lease, let previous):
            if let previous {
                logger.warning(
                    "took over the run lease of a run that ended without releasing it",
                    metadata: ["plan": "\(plan.name)", "previous_holder": "\(previous.owner)"])
            }
            return lease
        case .held(let holder):
            throw EngineError(
                code: .locked,
                message:
                    "plan '\(plan.name)' is already running on \(holder.owner.host) (pid \(holder.owner.pid), since \(ISO8601.string(from: holder.acquiredAt)); its run lease expires \(ISO8601.string(from: holder.expiresAt)) unless renewed)"
            )
        }
    }

    private func releaseRunLease(_ lease: Lease) async {
        do {
            try await catalog.releaseLease(lease)
        } catch {
            // The lease then ends at its expiry; nothing is lost but time.
            logger.warning(
                "cannot release the run lease; it ends at its expiry",
                metadata: ["plan": "\(plan.name)", "expires": "\(ISO8601.string(from: lease.expiresAt))", "error": "\(error)"])
        }
    }

    /// Runs `body` while a heartbeat renews `lease`; cancels `body` when the lease is lost.
    private func holding<T: Sendable>(_ lease: Lease, _ body: @Sendable () async throws -> T) async throws -> T {
        try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: RunLeaseEvent<T>.self) { group in
                group.addTask { .finished(try await body()) }
                group.addTask { await renewing(lease).map { .lost($0) } ?? .stopped }
                while let event = try await group.next() {
                    switch event {
                    case .finished(let value):
                        group.cancelAll()
                        return value
                    case .lost(let reason):
                        group.cancelAll()
                        logger.error("lost the run lease; cancelling the run", metadata: ["plan": "\(plan.name)", "reason": "\(reason)"])
                        throw EngineError(
                            code: .locked,
                            message: "plan '\(plan.name)' lost its run lease (\(reason)); the run was cancelled")
                    case .stopped:
                        continue
                    }
                }
                throw CancellationError()
            }
        }
    }

    /// Renews `lease` every third of ``runLeaseDuration`` until cancelled (`nil`) or lost (why).
    private func renewing(_ lease: Lease) async -> String? {
        var current = lease
        while true {
            do {
                try await Task.sleep(for: runLeaseDuration / 3)
            } catch {
                return nil
            }
            do {
                current = try await catalog.renewLease(current, duration: runLeaseDuration, now: Date())
            } catch let error as CatalogError where error.code == .conflict {
                return "another process holds it: \(error)"
            } catch {
                // A transient catalog error: try again at the next beat, while the lease lasts.
                if current.isExpired(at: Date()) { return "not renewed before it expired: \(error)" }
            }
        }
    }
}
