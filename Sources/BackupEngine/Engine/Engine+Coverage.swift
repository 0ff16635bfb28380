import ArtifactFormat
public import BackupModels
public import BackupSources
import BackupSupport
import Logging
import RemoteStorage

extension Engine {
    /// The schema coverage of the plan's MySQL sources (or of `source` alone): every table of the
    /// schema files and of the live server, covered, excluded or missing.
    ///
    /// - Throws: ``EngineError`` `unknownSource` for a name the plan lacks or that is not a MySQL source;
    ///   ``MySQLError`` when a `schema_dir` cannot be read.
    public func mysqlCoverage(source: String? = nil) async throws -> [MySQLCoverageReport] {
        let configs = plan.sources.compactMap { config -> MySQLSourceConfig? in
            guard case .mysql(let mysql) = config, source == nil || mysql.name == source else { return nil }
            return mysql
        }
        if let source, configs.isEmpty {
            let known = plan.sources.compactMap { config -> String? in
                if case .mysql(let mysql) = config { return mysql.name }
                return nil
            }
            throw EngineError(
                code: .unknownSource,
                message:
                    "plan '\(plan.name)' has no MySQL source '\(source)' (MySQL sources: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
            )
        }
        var reports: [MySQLCoverageReport] = []
        for config in configs {
            let built = try self.source(for: .mysql(config))
            let mysql = built as? MySQLSource ?? MySQLSource(config)
            reports.append(try await mysql.coverage())
        }
        return reports
    }
}

extension Engine {
    /// Restores a MySQL backup into a server: the chain's full dump, then the binary logs of its
    /// incrementals up to `until` (see ``MySQLSource/restore(_:to:until:logger:)``).
    ///
    /// - Throws: ``EngineError`` `notRestorable` or `unknownSource`, or what the MySQL source throws.
    public func restoreMySQL(_ id: BackupID, to target: MySQLTarget, until: MySQLRestorePoint? = nil) async throws
        -> MySQLRestoreReport
    {
        let chain = try await restoreChain(for: id)
        let record = chain.newest.record
        guard let mysql = try source(of: record) as? MySQLSource else {
            throw EngineError(
                code: .notRestorable, message: "backup \(record.label) of source '\(record.source)' is not a MySQL backup",
                backupID: id)
        }
        logger.info("mysql restore started", metadata: ["backup": "\(record.id)", "target": "\(target.address)"])
        return try await mysql.restore(chain, to: target, until: until, logger: logger)
    }
}
