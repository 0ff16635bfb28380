import BackupCatalog
import Foundation
import Logging
import PostgresCatalog
import PostgresNIO

/// The PostgreSQL cluster `scripts/services/postgresql.sh` starts, read from its environment variables.
struct PostgresTestServer: Sendable {
    var location: PostgresCatalogLocation
    var password: String

    static let environment = ProcessInfo.processInfo.environment

    static let skipReason = "set BACKUPKIT_PG_URL and BACKUPKIT_PG_PASSWORD (scripts/services/postgresql.sh starts a server)"

    static var shared: PostgresTestServer? {
        guard let url = environment["BACKUPKIT_PG_URL"], let password = environment["BACKUPKIT_PG_PASSWORD"],
            let location = try? PostgresCatalogLocation(url: url)
        else { return nil }
        return PostgresTestServer(location: location, password: password)
    }

    /// The second cluster, which the restart test may restart, and the command that restarts it.
    static var restartable: (server: PostgresTestServer, command: String)? {
        guard let url = environment["BACKUPKIT_PG_RESTART_URL"], let password = environment["BACKUPKIT_PG_PASSWORD"],
            let command = environment["BACKUPKIT_PG_RESTART_COMMAND"], let location = try? PostgresCatalogLocation(url: url)
        else { return nil }
        return (PostgresTestServer(location: location, password: password), command)
    }

    static var isAvailable: Bool {
        if shared != nil { return true }
        print("PostgresCatalogTests: skipped: \(skipReason)")
        return false
    }

    static var isRestartable: Bool {
        if restartable != nil { return true }
        print("PostgresCatalogTests: restart test skipped: set BACKUPKIT_PG_RESTART_URL and BACKUPKIT_PG_RESTART_COMMAND")
        return false
    }

    static let logger = Logger(label: "PostgresCatalogTests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` on a plain connection to `database` (the server's default one when `nil`).
    @discardableResult
    func withConnection<T: Sendable>(database: String? = nil, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password,
            database: database ?? location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Self.logger)
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A new empty database `bk_test_<random>`.
    func createDatabase() async throws -> PostgresCatalogLocation {
        let name = "bk_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Self.logger)
        }
        var database = location
        database.database = String(name)
        return database
    }

    /// Drops a database made by ``createDatabase()``, closing its remaining connections.
    func dropDatabase(_ database: PostgresCatalogLocation) async throws {
        precondition(database.database.hasPrefix("bk_test_"))
        try await withConnection { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(database.database) WITH (FORCE)"), logger: Self.logger)
        }
    }

    /// Runs `body` with a catalog in a fresh database, then closes it and drops the database.
    func withCatalog<T: Sendable>(_ body: (PostgresCatalog, PostgresCatalogLocation) async throws -> T) async throws -> T {
        let database = try await createDatabase()
        do {
            let catalog = try await PostgresCatalog.open(database, password: password)
            let value: T
            do {
                value = try await body(catalog, database)
            } catch {
                await catalog.close()
                throw error
            }
            await catalog.close()
            try await dropDatabase(database)
            return value
        } catch {
            try? await dropDatabase(database)
            throw error
        }
    }
}

/// Makes catalogs in fresh databases for the conformance suite and drops them all at the end.
final class PostgresCatalogMaker: @unchecked Sendable {
    let server: PostgresTestServer
    private let lock = NSLock()
    private var made: [(PostgresCatalog, PostgresCatalogLocation)] = []

    init(server: PostgresTestServer) { self.server = server }

    func make() async throws -> PostgresCatalog {
        let database = try await server.createDatabase()
        let catalog = try await PostgresCatalog.open(database, password: server.password)
        lock.withLock { made.append((catalog, database)) }
        return catalog
    }

    func dropAll() async {
        let all = lock.withLock { made }
        for (catalog, database) in all {
            await catalog.close()
            try? await server.dropDatabase(database)
        }
    }
}
