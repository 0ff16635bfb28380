import BackupModels

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
            let built = makeSource(.mysql(config))
            let mysql = built as? MySQLSource ?? MySQLSource(config)
            reports.append(try await mysql.coverage())
        }
        return reports
    }
}
