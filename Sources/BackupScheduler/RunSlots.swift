import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
import Foundation

/// A counting semaphore for ``BackupScheduler/Configuration-swift.struct/maxConcurrentRuns``: runs
/// take a slot before they start and give it back when they end; waiters are served in order.
package final class RunSlots: Sendable {
    private struct State {
        var free: Int
        var queue: [(id: UUID, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    private let state: Shared<State>

    package init(_ count: Int) { state = Shared(State(free: max(1, count))) }

    /// How many runs wait for a slot (for tests and status).
    package var waitingCount: Int { state.value.queue.count }

    /// Takes a slot, waiting for one; `false` when the task was cancelled while waiting.
    package func acquire() async -> Bool {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate = state.withLock { state -> Bool? in
                    if Task.isCancelled { return false }
                    if state.free > 0, state.queue.isEmpty {
                        state.free -= 1
                        return true
                    }
                    state.queue.append((id, continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return nil }
                return state.queue.remove(at: index).continuation
            }
            waiter?.resume(returning: false)
        }
    }

    /// Gives a slot back, handing it to the first waiter if any.
    package func release() {
        let next = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if state.queue.isEmpty {
                state.free += 1
                return nil
            }
            return state.queue.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
