import BackupCatalog
import BackupModels
import PostgresNIO

extension PostgresCatalog {
    /// SQLSTATE of the trigger refusing a state change the life cycle does not allow.
    static let invalidTransitionState = "BK001"
    /// SQLSTATE of the trigger refusing a `committed` record without artifacts.
    static let missingArtifactsState = "BK002"

    /// A ``CatalogError`` for `error`, naming the operation and the location, never the password: only the
    /// server's SQLSTATE and message, or postgres-nio's error code, are kept (postgres-nio's own description
    /// is generic on purpose, and its debug description holds the query and its values).
    static func wrap(
        _ error: any Error, _ operation: String, location: PostgresCatalogLocation, tls: CatalogTLS? = nil
    ) -> CatalogError {
        if var error = error as? CatalogError {
            if error.path == nil { error.path = location.description }
            return error
        }
        guard let error = error as? PSQLError else {
            return CatalogError(
                code: .database, message: operation, path: location.description, underlying: "\(type(of: error))")
        }
        let state = error.serverInfo?[.sqlState]
        let message = error.serverInfo?[.message]
        let code: CatalogError.Code
        switch state {
        case "23505": code = .duplicate
        case "23503": code = .notFound
        case invalidTransitionState: code = .invalidTransition
        case missingArtifactsState: code = .incompleteArtifact
        default: code = .database
        }
        var underlying: String
        if let state, let message {
            underlying = "SQLSTATE \(state): \(message)"
        } else {
            underlying = "\(error.code)"
        }
        if error.code == .sslUnsupported {
            underlying = "the server does not offer TLS; catalog_tls is \(tls?.rawValue ?? "require")"
        }
        return CatalogError(code: code, message: operation, path: location.description, underlying: underlying)
    }
}
