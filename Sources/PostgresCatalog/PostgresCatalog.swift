public import BackupCatalog
public import BackupModels
import Foundation
public import Logging
import NIOSSL
import PostgresNIO

/// A ``BackupRecordCatalog``, ``ArchiveCatalog``, ``LeaseCatalog`` and ``DrillCatalog`` kept in a PostgreSQL database that
/// several backup hosts share.
///
/// It keeps the promises of ``SQLiteCatalog`` (the same conformance suite runs on both): forward-only
/// migrations recorded in `backupkit_migrations` and applied under an advisory lock, a database written by
/// a newer library refused untouched, the record life cycle enforced by a trigger, leases decided by a
/// row lock in one transaction, and dates stored as `double precision` seconds so that they read back
/// exactly as SQLite's REAL columns do.
///
/// ```swift
/// let location = try PostgresCatalogLocation(url: "postgres://backupkit@db.internal:5432/backups")
/// let catalog = try await PostgresCatalog.open(location, password: secret, tls: .verifyFull)
/// defer { Task { await catalog.close() } }
/// ```
///
/// Connections come from a pool (postgres-nio's `PostgresClient`) that reconnects after a server restart.
/// The pool runs in a task the catalog owns: cancelling the task that opened the catalog does not stop it;
/// ``close()`` does. The password is held by the pool only; it never appears in errors, descriptions or logs.
public final class PostgresCatalog: BackupRecordCatalog, LeaseCatalog, DrillCatalog, CustomStringConvertible {
    /// The identifier of the newest schema migration this library knows.
    public static let schemaVersion: String = Migration.all.last!.id

    /// Where the catalog lives (no password).
    public let location: PostgresCatalogLocation

    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    private init(location: PostgresCatalogLocation, client: PostgresClient, logger: Logger) {
        self.location = location
        self.client = client
        self.logger = logger
        // Unstructured on purpose: the pool lives as long as the catalog, not as long as the opener's task.
        self.runner = Task.detached { await client.run() }
    }

    deinit { runner.cancel() }

    public var description: String { "PostgresCatalog(\(location))" }

    /// Connects, brings the schema up to date and starts the connection pool.
    ///
    /// One connection is made first, outside the pool, so that a wrong password, an unreachable server or a
    /// TLS mismatch fails here with a clear error instead of a pool that retries forever.
    ///
    /// - Parameters:
    ///   - location: The database.
    ///   - password: The role's password, or `nil` for a server that asks none.
    ///   - tls: ``CatalogTLS/disable``, `require` or `verify-full`.
    ///   - maximumConnections: The pool's size.
    ///   - logger: Where postgres-nio logs (never the password).
    /// - Throws: ``CatalogError/Code-swift.struct/newerSchema`` if a newer library migrated the database
    ///   (nothing is changed); ``CatalogError/Code-swift.struct/database`` if it cannot connect or migrate.
    public static func open(
        _ location: PostgresCatalogLocation, password: String?, tls: CatalogTLS = .disable,
        maximumConnections: Int = 8, logger: Logger = Logger(label: "PostgresCatalog", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> PostgresCatalog {
        let tlsConfiguration = try Self.tlsConfiguration(tls, location: location)
        let probeConfiguration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password,
            database: location.database,
            tls: try tlsConfiguration.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: probeConfiguration, id: 0, logger: logger)
        } catch {
            throw wrap(error, "cannot connect to \(location) (tls \(tls.rawValue))", location: location, tls: tls)
        }
        do {
            try await migrate(connection, location: location, logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw wrap(error, "cannot migrate the catalog to \(schemaVersion)", location: location)
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: password,
            database: location.database, tls: tlsConfiguration.map { .require($0) } ?? .disable)
        configuration.options.maximumConnections = max(1, maximumConnections)
        configuration.options.connectTimeout = .seconds(10)
        return PostgresCatalog(
            location: location, client: PostgresClient(configuration: configuration, backgroundLogger: logger), logger: logger)
    }

    /// Stops the pool and closes its connections; later calls fail with
    /// ``CatalogError/Code-swift.struct/database``.
    public func close() async {
        runner.cancel()
        await runner.value
    }

    /// The applied schema migrations, oldest first.
    public func schemaVersions() async throws -> [String] {
        try await run("cannot read the schema versions") { connection in
            try await Self.appliedMigrations(connection, logger: self.logger)
        }
    }

    // MARK: Access

    /// Runs `body` on a pooled connection, wrapping errors.
    @discardableResult
    func run<T: Sendable>(_ operation: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw Self.wrap(error, operation, location: location)
        }
    }

    /// Runs `body` in one transaction on a pooled connection, rolled back if it throws, wrapping errors.
    @discardableResult
    func transaction<T: Sendable>(_ operation: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await run(operation) { connection in
            try await connection.query("BEGIN", logger: self.logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: self.logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger)
                throw error
            }
        }
    }

    // MARK: TLS

    private static func tlsConfiguration(_ mode: CatalogTLS, location: PostgresCatalogLocation) throws
        -> TLSConfiguration?
    {
        switch mode {
        case .disable:
            return nil
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return configuration
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            return configuration
        }
    }
}
