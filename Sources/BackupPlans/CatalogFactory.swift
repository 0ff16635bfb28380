import BackupCatalog
public import BackupModels
public import Foundation
public import PostgresCatalog

/// A plan's catalog, opened: a SQLite file or a PostgreSQL database that several hosts share.
public typealias PlanCatalog = OpenedCatalog

/// Opens the catalog a plan names: `catalog: /path/catalog.sqlite` or `catalog: postgres://USER@HOST:PORT/DB`
/// (with `catalog_password_env` and `catalog_tls`).
public enum CatalogFactory {
    /// The variable a PostgreSQL catalog's password is read from when the plan names none.
    public static let defaultPasswordVariable = OpenedCatalog.defaultPasswordVariable

    /// Opens the plan's catalog.
    ///
    /// - Parameters:
    ///   - plan: The plan.
    ///   - environment: Where the password variable is read (never the process's own environment
    ///     modified: pass a dictionary).
    /// - Throws: ``CatalogError`` naming the file or URL (never the password).
    public static func open(_ plan: BackupPlan, environment: [String: String] = ProcessInfo.processInfo.environment)
        async throws -> PlanCatalog
    {
        try await open(
            plan.catalogPath, passwordVariable: plan.catalogPasswordEnvironmentVariable, tls: plan.catalogTLS,
            environment: environment)
    }

    /// Opens the catalog at `location`, a file path or a PostgreSQL URL (see ``OpenedCatalog``).
    public static func open(
        _ location: String, passwordVariable: String? = nil, tls: CatalogTLS? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> PlanCatalog {
        try await OpenedCatalog.open(location, passwordVariable: passwordVariable, tls: tls, environment: environment)
    }

    /// Whether `location` names a PostgreSQL catalog rather than a file.
    public static func isURL(_ location: String) -> Bool { PostgresCatalogLocation.isURL(location) }

    /// The per-host lock file of a plan's runs: beside a SQLite catalog, or in the temporary folder for a
    /// PostgreSQL catalog (`backupkit-<plan>-<hash of the URL>.lock`).
    public static func lockPath(for plan: BackupPlan) -> String {
        guard isURL(plan.catalogPath) else { return plan.catalogPath + ".\(plan.name).lock" }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in plan.catalogPath.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let short = String(String(hash, radix: 16).suffix(12))
        return (NSTemporaryDirectory() as NSString).appendingPathComponent("backupkit-\(plan.name)-\(short).lock")
    }
}
