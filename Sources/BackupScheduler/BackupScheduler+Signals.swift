import ArchiveLifecycle
import BackupCatalog
import BackupEngine
import BackupModels
import BackupSources
import BackupSupport
import Logging
import ServiceLifecycle
import UnixSignals

extension BackupScheduler {
    /// Runs the scheduler in a service group that shuts down gracefully on SIGTERM or SIGINT, for
    /// programs that run nothing else (such as `backup schedule`). Hosts with other services add the
    /// scheduler to their own `ServiceGroup` instead.
    /// - Throws: What the service group throws.
    public func runUntilTerminated() async throws {
        let group = ServiceGroup(services: [self], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }

    /// Runs the scheduler in a service group that shuts down gracefully once the callback handed to
    /// `register` is called: for programs that handle signals themselves (`backup schedule` turns SIGTERM
    /// and SIGINT into that call).
    /// - Parameter register: Receives the function that starts the graceful shutdown; it may be called
    ///   from any thread, any number of times.
    /// - Throws: What the service group throws.
    public func runUntilShutdown(_ register: (@escaping @Sendable () -> Void) -> Void) async throws {
        let group = ServiceGroup(services: [self], logger: logger)
        register { Task { await group.triggerGracefulShutdown() } }
        try await group.run()
    }
}
