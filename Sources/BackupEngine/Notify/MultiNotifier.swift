import ArtifactFormat
public import BackupModels
import BackupSources
import BackupSupport
import RemoteStorage

/// Delivers each event to several notifiers at once; one failing never stops the others.
public struct MultiNotifier: Notifier {
    /// One notifier that could not deliver an event.
    public struct Failure: Sendable, Hashable, CustomStringConvertible {
        /// The notifier's position in ``MultiNotifier/notifiers``.
        public var index: Int
        /// The notifier's type name (`WebhookNotifier`, `CommandNotifier`, …).
        public var notifier: String
        /// The error's description.
        public var message: String

        public var description: String { "#\(index) \(notifier): \(message)" }
    }

    /// The notifiers, in order.
    public var notifiers: [any Notifier]

    /// Creates a notifier that fans out to `notifiers`.
    /// - Parameter notifiers: The notifiers that receive every event.
    public init(_ notifiers: [any Notifier]) { self.notifiers = notifiers }

    /// Delivers `event` to every notifier concurrently and reports the ones that failed.
    /// - Parameter event: The event to deliver.
    /// - Returns: The failures, ordered by index; empty when all succeeded.
    public func deliver(_ event: BackupEvent) async -> [Failure] {
        await withTaskGroup(of: Failure?.self) { group in
            for (index, notifier) in notifiers.enumerated() {
                group.addTask {
                    do {
                        try await notifier.notify(event)
                        return nil
                    } catch {
                        return Failure(index: index, notifier: "\(type(of: notifier))", message: "\(error)")
                    }
                }
            }
            var failures: [Failure] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return failures.sorted { $0.index < $1.index }
        }
    }

    /// Delivers `event` to every notifier.
    /// - Throws: ``NotifyError`` with code ``NotifyError/Code-swift.struct/partialDelivery`` naming each
    ///   notifier that failed, after all the others have been tried.
    public func notify(_ event: BackupEvent) async throws {
        let failures = await deliver(event)
        guard !failures.isEmpty else { return }
        throw NotifyError(
            code: .partialDelivery, subject: "\(failures.count) of \(notifiers.count) notifiers",
            message: failures.map(\.description).joined(separator: "; "))
    }
}
