/// Delivers ``BackupEvent``s to people or systems: a log, a command, a webhook.
///
/// Implementations must be safe to call concurrently and must never put secrets in the errors they throw.
public protocol Notifier: Sendable {
    /// Delivers one event.
    /// - Parameter event: The event to deliver.
    /// - Throws: ``NotifyError`` when the event could not be delivered.
    func notify(_ event: BackupEvent) async throws
}
