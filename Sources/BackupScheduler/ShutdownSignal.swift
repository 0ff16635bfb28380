import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
import Foundation

/// A one-way flag that tasks can wait on: set once by graceful shutdown, never reset.
package final class ShutdownSignal: Sendable {
    private struct State {
        var triggered = false
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Shared(State())

    package var isTriggered: Bool { state.value.triggered }

    /// Sets the flag and wakes every waiter.
    package func trigger() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.triggered = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the flag is set, or when the calling task is cancelled.
    package func wait() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.triggered || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
