public import BackupEngine
public import BackupModels
import BackupScheduler
public import BackupSources
public import Foundation
package import Yams

extension PlanLoader.Keys {
    /// The keys of `drill:`.
    package static let drill = ["cron", "sample", "mysql_target", "password_env", "scratch_dir"]
}

extension PlanLoader.Reader {
    /// `drill:`: when the scheduler drills the plan, how many older backups are sampled, the scratch MySQL
    /// server (never one of the plan's MySQL sources) and its password's environment variable.
    package func drill(_ node: Node, at keyPath: String, sources: [SourceConfig], timeZone: String) throws -> DrillConfig {
        let fields = try mapping(node, at: keyPath)
        try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.drill)
        let cron = try fields.optional("cron").map { cronNode in
            let text = try string(cronNode, at: fields.path("cron"))
            do {
                _ = try CronSchedule(text, timeZone: TimeZone(identifier: timeZone) ?? .gmt)
            } catch {
                throw self.error(.invalidValue, at: fields.path("cron"), cronNode, String(describing: error))
            }
            return text
        }
        var sample = 1
        if let sampleNode = fields.optional("sample") {
            sample = try int(sampleNode, at: fields.path("sample"))
            guard sample >= 0 else {
                throw error(.invalidValue, at: fields.path("sample"), sampleNode, "must be 0 or more (older backups sampled per drill)")
            }
        }
        let target = try fields.optional("mysql_target").map { targetNode in
            let text = try string(targetNode, at: fields.path("mysql_target"))
            let parsed: MySQLTarget
            do {
                parsed = try MySQLTarget(url: text)
            } catch {
                throw self.error(.invalidValue, at: fields.path("mysql_target"), targetNode, String(describing: error))
            }
            for case .mysql(let source) in sources where parsed.isSameServer(host: source.host, port: source.port) {
                throw self.error(
                    .invalidValue, at: fields.path("mysql_target"), targetNode,
                    "\(parsed.address) is the server of source '\(source.name)'; a drill restores into a scratch server, never a source")
            }
            return text
        }
        let passwordVariable = try environmentVariable("password_env", in: fields)
        let scratch = try fields.optional("scratch_dir").map { try path($0, at: fields.path("scratch_dir")) }
        return DrillConfig(
            cron: cron, sample: sample, mysqlTarget: target, passwordEnvironmentVariable: passwordVariable, scratchDirectory: scratch)
    }
}

extension DrillConfig {
    /// The scratch MySQL server of `mysql_target`, with the password read from `password_env` in
    /// `environment`; `nil` when the plan names no scratch server.
    ///
    /// - Throws: ``BackupSources/MySQLError`` `invalidConfiguration` when `password_env` names a variable that
    ///   is not set, or for a malformed URL.
    public func scratchMySQLServer(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MySQLTarget? {
        guard let mysqlTarget else { return nil }
        var password: String? = nil
        if let variable = passwordEnvironmentVariable {
            guard let value = environment[variable], !value.isEmpty else {
                throw MySQLError(
                    code: .invalidConfiguration, subject: "drill.password_env",
                    message:
                        "the environment variable '\(variable)' named by drill.password_env is not set (the scratch MySQL server's password)"
                )
            }
            password = value
        }
        return try MySQLTarget(url: mysqlTarget, password: password)
    }

    /// The drill request of `plan`: `sample` older backups besides the newest of each source, the scratch
    /// folder, and the scratch MySQL server (its password read from `environment`) when the plan has a MySQL
    /// source among `source` (all sources when `nil`).
    ///
    /// - Throws: ``BackupSources/MySQLError`` `invalidConfiguration` when the scratch server's password
    ///   variable is not set.
    public func request(
        for plan: BackupPlan, source: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> DrillRequest {
        let drillsMySQL = plan.sources.contains { $0.typeName == "mysql" && (source == nil || $0.name == source) }
        return DrillRequest(
            source: source, sample: .newest(plusOlder: sample),
            mysqlTarget: drillsMySQL ? try scratchMySQLServer(environment: environment) : nil, scratchDirectory: scratchDirectory)
    }
}
