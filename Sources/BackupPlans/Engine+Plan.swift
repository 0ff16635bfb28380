import ArtifactFormat
import BackupCatalog
public import BackupEngine
public import BackupModels
public import BackupSources
public import Foundation
public import Logging
import PostgresCatalog
import RemoteStorage

extension Engine {
    /// Opens the plan's catalog (SQLite or PostgreSQL, see ``CatalogFactory``) and storage, loads its encryption key and builds its notifiers;
    /// the tools its sources start run with the priority its `limits:` ask for.
    ///
    /// - Throws: ``CatalogError``, ``StorageError`` or an encryption-key error naming the file or variable.
    public static func open(
        _ plan: BackupPlan, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        sources: SourceRegistry = .standard, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> Engine {
        let storage = try makeStorage(plan.storage, logger: logger)
        let catalog = try await CatalogFactory.open(plan, environment: environment).catalog
        var key: EncryptionKey? = nil
        if let encryption = plan.encryption {
            if let file = encryption.keyFile {
                key = try EncryptionKey(fileAt: file)
            } else if let variable = encryption.keyEnvironmentVariable {
                key = try EncryptionKey(environmentVariable: variable)
            }
        }
        var engine = Engine(
            plan: plan, catalog: catalog, storage: storage, logger: logger, now: now, encryptionKey: key,
            lockPath: CatalogFactory.lockPath(for: plan), sources: sources,
            childPriority: try plan.limits.map { try ChildProcessPriority($0) } ?? .normal)
        if let notify = plan.notify {
            engine.notifier = try makeNotifier(notify, logger: logger)
        }
        return engine
    }

}
