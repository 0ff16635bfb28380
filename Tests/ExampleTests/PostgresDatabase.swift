import Foundation
import Testing

/// Where a test's catalog lives: a SQLite file, or a database of its own on the PostgreSQL server the test
/// command starts.
enum CatalogBackend: String, CustomTestStringConvertible, CaseIterable, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// The PostgreSQL server scripts/services/postgresql.sh starts, as its env file describes it.
struct PostgresDatabase {
    /// `postgres://USER@HOST:PORT/DB`, without a password.
    var url: String
    var password: String

    static func fromEnvironment() -> PostgresDatabase? {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["BACKUPKIT_PG_URL"], let password = environment["BACKUPKIT_PG_PASSWORD"] else { return nil }
        return PostgresDatabase(url: url, password: password)
    }

    /// Creates a database of its own for one test and returns its URL (the password goes to psql in its
    /// environment, never in its arguments).
    func createDatabase() async throws -> String {
        let name = "bk_test_" + UUID().uuidString.prefix(8).lowercased()
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        let created = try await runExample(
            "/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"], in: NSTemporaryDirectory(),
            environment: environment)
        guard created.status == 0 else { throw PostgresDatabaseError(message: "psql: \(created.stderr)") }
        guard let slash = url.lastIndex(of: "/") else { throw PostgresDatabaseError(message: "BACKUPKIT_PG_URL has no database") }
        return url[..<slash] + "/" + name
    }

    /// Drops a database ``createDatabase()`` made, closing its connections.
    func dropDatabase(_ databaseURL: String) async throws {
        guard let name = databaseURL.split(separator: "/").last, name.hasPrefix("bk_test_") else {
            throw PostgresDatabaseError(message: "\(databaseURL) is not a test database")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        let dropped = try await runExample(
            "/usr/bin/psql", [url, "-v", "ON_ERROR_STOP=1", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"],
            in: NSTemporaryDirectory(), environment: environment)
        guard dropped.status == 0 else { throw PostgresDatabaseError(message: "psql: \(dropped.stderr)") }
    }

    /// Runs `body` with a new database's URL, dropping the database afterwards, also when `body` throws.
    func withDatabase(_ body: (String) async throws -> Void) async throws {
        let database = try await createDatabase()
        do {
            try await body(database)
        } catch {
            try? await dropDatabase(database)
            throw error
        }
        try await dropDatabase(database)
    }
}

private struct PostgresDatabaseError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
