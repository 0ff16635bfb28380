import BackupModels
import Foundation
import Testing

@testable import BackupPlans
@testable import BackupSources

/// The plan's `drill:` key.
@Suite("Plan loader: drill key")
struct DrillPlanTests {
    static let sources = """
        sources:
          - {name: config, type: files, paths: [config]}
          - {name: db, type: mysql, host: 10.0.0.5, port: 3306, user: backup, password_env: DB_PASSWORD}
        """

    static func load(_ drill: String) throws -> BackupPlan {
        try PlanLoader.parse(
            yaml: "plan: demo\ncatalog: ./catalog.sqlite\nstorage: {type: local, path: ./b}\n\(sources)\n\(drill)\n", origin: "plan.yaml",
            workingDirectory: "/srv/backup")
    }

    @Test("drill: is read, resolved, written back, and its scratch server built with the password from the environment")
    func reads() throws {
        let plan = try Self.load(
            #"drill: {cron: "0 5 * * 0", sample: 2, mysql_target: "mysql://drill@127.0.0.1:3307", password_env: DRILL_PW, scratch_dir: ./scratch}"#
        )
        let drill = try #require(plan.drill)
        #expect(
            drill
                == DrillConfig(
                    cron: "0 5 * * 0", sample: 2, mysqlTarget: "mysql://drill@127.0.0.1:3307", passwordEnvironmentVariable: "DRILL_PW",
                    scratchDirectory: "/srv/backup/scratch"))
        let reread = try PlanLoader.parse(yaml: PlanLoader.yaml(for: plan), origin: "rendered.yaml", workingDirectory: "/srv/backup")
        #expect(reread == plan)
        let target = try #require(try drill.scratchMySQLServer(environment: ["DRILL_PW": "s3cret"]))
        #expect(target.address == "127.0.0.1:3307")
        #expect(target.user == "drill")
        #expect(target.password == "s3cret")
        #expect(!target.force)
        let missing = #expect(throws: MySQLError.self) { _ = try drill.scratchMySQLServer(environment: [:]) }
        #expect(missing?.description.contains("DRILL_PW") == true)
        #expect(try Self.load("drill: {}").drill == DrillConfig())
    }

    @Test(
        "bad drill settings name the key at fault",
        arguments: [
            ("drill: {mysql_target: \"mysql://drill@10.0.0.5:3306\"}", "drill.mysql_target", "server of source 'db'"),
            ("drill: {mysql_target: \"mysql://drill:pw@10.0.0.9:3306\"}", "drill.mysql_target", "holds a password"),
            ("drill: {cron: \"61 * * * *\"}", "drill.cron", "minute"),
            ("drill: {sample: -1}", "drill.sample", "0 or more"),
            ("drill: {password_env: \"not a name\"}", "drill.password_env", "environment variable"),
            ("drill: {every: 1d}", "drill.every", "unknown key"),
        ])
    func refuses(yaml: String, keyPath: String, message: String) {
        do {
            _ = try Self.load(yaml)
            Issue.record("accepted \(yaml)")
        } catch let error as PlanError {
            #expect(error.keyPath == keyPath, "\(error)")
            #expect(error.description.contains(message), "\(error)")
            #expect(!error.description.contains(":pw@"))
        } catch {
            Issue.record("\(error)")
        }
    }
}
