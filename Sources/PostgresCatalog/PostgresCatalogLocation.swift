import BackupCatalog
import Foundation

/// Where a ``PostgresCatalog`` lives: `postgres://USER@HOST:PORT/DATABASE`, never with a password.
///
/// The password is a separate value (a plan names the environment variable holding it with
/// `catalog_password_env`), so that the URL can be shown, logged and compared freely.
public struct PostgresCatalogLocation: Hashable, Sendable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String

    public init(user: String, host: String, port: Int = 5432, database: String) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
    }

    /// Whether `text` is meant as a PostgreSQL URL rather than a catalog file path.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `postgres://USER@HOST[:PORT]/DATABASE`.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the text is not such a URL, or if it holds a
    ///   password (the message points at `catalog_password_env`; the password itself is never repeated).
    public init(url text: String) throws {
        guard Self.isURL(text), let components = URLComponents(string: text) else {
            throw CatalogError(
                code: .database, message: "'\(Self.redacted(text))' is not a URL postgres://USER@HOST:PORT/DATABASE")
        }
        if components.password != nil {
            throw CatalogError(
                code: .database,
                message: "the catalog URL \(Self.redacted(text)) holds a password; remove it and name the environment "
                    + "variable holding it with catalog_password_env (default PGPASSWORD)")
        }
        guard let user = components.user, !user.isEmpty else {
            throw CatalogError(code: .database, message: "the catalog URL \(text) names no user (postgres://USER@HOST/DB)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw CatalogError(code: .database, message: "the catalog URL \(text) names no host")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw CatalogError(code: .database, message: "the catalog URL \(text) names no database (…/DATABASE)")
        }
        guard components.query == nil, components.fragment == nil else {
            throw CatalogError(
                code: .database, message: "the catalog URL \(Self.redacted(text)) has options; use catalog_tls for TLS")
        }
        self.init(
            user: user.removingPercentEncoding ?? user, host: host, port: components.port ?? 5432,
            database: database.removingPercentEncoding ?? database)
    }

    /// The URL, without password.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// `text` with anything between `://` and `@` reduced to the user name, for messages.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text.range(of: "@", range: scheme.upperBound..<text.endIndex)
        else { return text }
        let credentials = text[scheme.upperBound..<at.lowerBound]
        let user = credentials.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return text[..<scheme.upperBound] + user + ":***" + text[at.lowerBound...]
    }
}
