import ArgumentParser
import BackupCatalog
import BackupModels
import BackupPlans
import Foundation
import PostgresCatalog

extension BackupCommand {
    /// `backup catalog …`: work on a plan's catalog itself. Each action is a subcommand of its own.
    struct CatalogGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catalog", abstract: "Work on the plan's catalog.", subcommands: [Migrate.self, CatalogRebuild.self])
    }
}

extension BackupCommand.CatalogGroup {
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the plan's SQLite catalog into PostgreSQL and check the copy.",
            discussion: """
                Copies every record (with its artifacts), drill, verification time and archive row; leases are not \
                copied. Refuses a target that already holds records of the plan. Afterwards point the plan's \
                catalog: at the URL (see Documentation/PostgresCatalog.md).
                """)

        @OptionGroup var options: PlanOptions

        @Option(name: .long, help: "The PostgreSQL catalog: postgres://USER@HOST:PORT/DATABASE (no password).")
        var to: String

        @Option(name: .long, help: "The environment variable holding the password (default PGPASSWORD).")
        var passwordEnv: String = CatalogFactory.defaultPasswordVariable

        @Option(name: .long, help: "TLS: disable, require or verify-full.")
        var tls: String = CatalogTLS.disable.rawValue

        @Flag(name: .long, help: "Print the report as JSON.")
        var json = false

        func run() async throws {
            try await reportingErrors {
                guard let tlsMode = CatalogTLS(rawValue: tls) else {
                    throw ValidationError("--tls must be disable, require or verify-full")
                }
                let plan = try PlanLoader.load(contentsOf: options.plan)
                guard !CatalogFactory.isURL(plan.catalogPath) else {
                    throw ValidationError("the plan's catalog is already \(plan.catalogPath); migrate copies a SQLite catalog")
                }
                let source = try SQLiteCatalog(path: plan.catalogPath)
                let opened = try await CatalogFactory.open(to, passwordVariable: passwordEnv, tls: tlsMode)
                defer { try? source.close() }
                guard let target = opened.catalog as? PostgresCatalog else {
                    throw ValidationError("--to must be a postgres:// URL")
                }
                let report: CatalogMigrationReport
                do {
                    report = try await CatalogMigration.copy(plan: plan.name, from: source, to: target)
                } catch {
                    await opened.close()
                    throw error
                }
                await opened.close()
                if json {
                    print(String(decoding: try JSONCoding.encoder().encode(report), as: UTF8.self))
                } else {
                    print(
                        "copied \(report.records) records (\(report.artifacts) artifacts), \(report.drills) drills, "
                            + "\(report.verified) verification times, \(report.archiveConfigs) archive configurations, "
                            + "\(report.archiveSnapshots) archive snapshots (\(report.archivedIndices) indices), "
                            + "\(report.restores) restores of plan \(report.plan) to \(report.target); the copy reads back equal")
                    print("next: set catalog: \(report.target) in the plan (and catalog_password_env if not PGPASSWORD)")
                }
            }
        }
    }
}
