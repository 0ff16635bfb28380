import BackupSupport

/// Remembers the latest attempt number of a retried step.
final class AttemptCounter: Sendable {
    private let value = Shared(0)

    func record(_ attempt: Int) { value.withLock { $0 = attempt } }

    var last: Int { value.withLock { $0 } }
}
