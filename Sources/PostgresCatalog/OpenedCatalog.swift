public import BackupCatalog
public import BackupModels
public import Foundation

/// A catalog opened by its location: a SQLite file, or a PostgreSQL database that several hosts share.
///
/// ``open(_:passwordVariable:tls:environment:)`` decides by the location (`postgres://…` or a path), so that
/// a host (a plan, `es-archive --catalog`) takes either without knowing which. It lives in this module because
/// it is the one that knows both kinds; it needs neither plans nor the backup engine.
public struct OpenedCatalog: Sendable {
    /// The catalog.
    public let catalog: any Catalog & LeaseCatalog & DrillCatalog
    /// The file path, or the URL (never with a password).
    public let location: String
    /// `true` for PostgreSQL: there is no catalog file, and other hosts may use the same catalog.
    public let isShared: Bool
    /// The newest schema migration this library knows for this kind of catalog.
    public let schemaVersion: String
    private let versions: @Sendable () async throws -> [String]
    private let closer: @Sendable () async -> Void

    /// The applied schema migrations, oldest first.
    public func schemaVersions() async throws -> [String] { try await versions() }

    /// Closes the catalog's file or connections.
    public func close() async { await closer() }

    public init(sqlite: SQLiteCatalog) {
        catalog = sqlite
        location = sqlite.path
        isShared = false
        schemaVersion = SQLiteCatalog.schemaVersion
        versions = { try await sqlite.schemaVersions() }
        closer = { try? sqlite.close() }
    }

    public init(postgres: PostgresCatalog) {
        catalog = postgres
        location = postgres.location.description
        isShared = true
        schemaVersion = PostgresCatalog.schemaVersion
        versions = { try await postgres.schemaVersions() }
        closer = { await postgres.close() }
    }
}

extension OpenedCatalog {
    /// The variable a PostgreSQL catalog's password is read from when none is named.
    public static let defaultPasswordVariable = "PGPASSWORD"

    /// Opens the catalog at `location`, a file path or a PostgreSQL URL (`postgres://USER@HOST:PORT/DB`).
    ///
    /// - Parameters:
    ///   - location: The SQLite file, or the database's URL (never with a password).
    ///   - passwordVariable: The environment variable holding the PostgreSQL password;
    ///     ``defaultPasswordVariable`` when `nil`.
    ///   - tls: TLS to a PostgreSQL server; `disable` when `nil`.
    ///   - environment: Where the password variable is read (pass a dictionary; never modify the process's own).
    /// - Throws: ``CatalogError`` naming the file or URL, and the variable when it is unset (never the password).
    public static func open(
        _ location: String, passwordVariable: String? = nil, tls: CatalogTLS? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> OpenedCatalog {
        guard PostgresCatalogLocation.isURL(location) else { return OpenedCatalog(sqlite: try SQLiteCatalog(path: location)) }
        let postgres = try PostgresCatalogLocation(url: location)
        let variable = passwordVariable ?? defaultPasswordVariable
        let password = environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        do {
            return OpenedCatalog(postgres: try await PostgresCatalog.open(postgres, password: password, tls: tls ?? .disable))
        } catch var error as CatalogError where password == nil && error.code == .database {
            error.message += " (the password variable \(variable) is not set)"
            throw error
        }
    }
}
