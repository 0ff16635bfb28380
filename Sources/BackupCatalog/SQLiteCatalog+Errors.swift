import GRDB

extension SQLiteCatalog {
    /// Turns any error into a ``CatalogError`` naming the file.
    ///
    /// Catalog errors keep their code; SQLite constraint failures become the code a caller can act on
    /// (`duplicate`, `conflict`, `notFound`, `invalidTransition`); everything else is `database`.
    /// Statement arguments never appear (GRDB hides them unless told otherwise).
    static func wrap(_ error: any Error, _ operation: String, path: String?) -> any Error {
        if var error = error as? CatalogError {
            if error.path == nil, let path { error.path = path }
            return error
        }
        if error is CancellationError { return error }
        guard let error = error as? DatabaseError else {
            return CatalogError(code: .database, message: operation, path: path, underlying: "\(error)")
        }
        let reason = error.message ?? "\(error.resultCode)"
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_UNIQUE where reason.contains("archive_configs.table_id"):
            return CatalogError(
                code: .conflict, message: "\(operation): another enabled archive configuration exists for this table",
                path: path, underlying: reason)
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            return CatalogError(code: .duplicate, message: "\(operation): \(reason)", path: path, underlying: "\(error)")
        case .SQLITE_CONSTRAINT_FOREIGNKEY:
            return CatalogError(
                code: .notFound, message: "\(operation): a parent backup is not in the catalog", path: path,
                underlying: "\(error)")
        case .SQLITE_CONSTRAINT_TRIGGER:
            return CatalogError(code: .invalidTransition, message: "\(operation): \(reason)", path: path, underlying: "\(error)")
        default:
            return CatalogError(code: .database, message: operation, path: path, underlying: "\(error)")
        }
    }
}
