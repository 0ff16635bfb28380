import ArtifactFormat
import BackupCatalog
import BackupEngine
package import BackupModels
import BackupScheduler
import BackupSources
import Foundation
import RemoteStorage
import Yams

extension PlanLoader.Reader {
    /// The keys of a `type: mysql` source.
    package func mysqlSource(name: String, _ fields: PlanLoader.Fields) throws -> MySQLSourceConfig {
        let host = try fields.optional("host").map { try string($0, at: fields.path("host")) } ?? "127.0.0.1"
        var port = 3306
        if let node = fields.optional("port") {
            port = try int(node, at: fields.path("port"))
            guard (1...65535).contains(port) else {
                throw error(.invalidValue, at: fields.path("port"), node, "\(port) is not a TCP port (1–65535)")
            }
        }
        let user = try string(fields.required("user"), at: fields.path("user"))
        let passwordVariable = try environmentVariable("password_env", in: fields)
        let optionFile = try fields.optional("option_file").map { try path($0, at: fields.path("option_file")) }
        if passwordVariable != nil, optionFile != nil {
            throw error(
                .invalidValue, at: fields.path("option_file"), fields.value("option_file"),
                "use either password_env or option_file, not both")
        }
        let databases = try fields.optional("databases").map {
            try strings($0, at: fields.path("databases"), nonEmpty: false)
        }
        var excluded: [String] = []
        if let node = fields.optional("exclude_tables") {
            for (item, itemPath) in try items(node, at: fields.path("exclude_tables"), nonEmpty: false, expected: "a list of tables") {
                let table = try string(item, at: itemPath)
                let parts = table.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw error(.invalidValue, at: itemPath, item, "'\(table)' is not database.table")
                }
                excluded.append(table)
            }
        }
        var incremental = MySQLSourceConfig.IncrementalMode.none
        if let node = fields.optional("incremental") {
            let text = try string(node, at: fields.path("incremental"))
            guard let mode = MySQLSourceConfig.IncrementalMode(rawValue: text) else {
                throw error(.invalidValue, at: fields.path("incremental"), node, "'\(text)' is not none or binlog")
            }
            incremental = mode
        }
        var onBrokenChain = MySQLSourceConfig.BrokenChainPolicy.fail
        if let node = fields.optional("on_broken_chain") {
            let text = try string(node, at: fields.path("on_broken_chain"))
            guard let policy = MySQLSourceConfig.BrokenChainPolicy(rawValue: text) else {
                throw error(.invalidValue, at: fields.path("on_broken_chain"), node, "'\(text)' is not fail or full")
            }
            onBrokenChain = policy
        }
        let schemaDirectory = try fields.optional("schema_dir").map { try path($0, at: fields.path("schema_dir")) }
        let requireCoverage = try fields.optional("require_coverage").map {
            try bool($0, at: fields.path("require_coverage"))
        }
        var parallel = 1
        if let node = fields.optional("parallel") {
            parallel = try int(node, at: fields.path("parallel"))
            guard (1...64).contains(parallel) else {
                throw error(.invalidValue, at: fields.path("parallel"), node, "must be between 1 and 64")
            }
        }
        return MySQLSourceConfig(
            name: name, host: host, port: port, user: user, passwordEnvironmentVariable: passwordVariable,
            optionFile: optionFile, databases: databases ?? [], excludeTables: excluded, incremental: incremental,
            schemaDirectory: schemaDirectory, requireCoverage: requireCoverage ?? false, parallel: parallel,
            onBrokenChain: onBrokenChain)
    }
}
