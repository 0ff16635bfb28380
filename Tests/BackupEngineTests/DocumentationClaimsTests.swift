import BackupCatalog
import BackupModels
import Foundation
import Logging
import RemoteStorage
import Testing

@testable import BackupEngine
@testable import BackupPlans

/// What the operator documentation claims about plans, the catalog and exports, checked against the code.
@Suite("Documentation claims")
struct DocumentationClaimsTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func document(_ name: String) throws -> String {
        try String(contentsOfFile: repository + "/Documentation/" + name, encoding: .utf8)
    }

    @Test("PlanReference.md documents every key of schedule, notify (webhooks, commands) and limits")
    func planReferenceKeys() throws {
        let text = try Self.document("PlanReference.md")
        let keys =
            PlanLoader.Keys.schedule + PlanLoader.Keys.notify + PlanLoader.Keys.webhook + PlanLoader.Keys.command
            + PlanLoader.Keys.limits
        for key in keys {
            #expect(text.contains("`\(key)`"), "PlanReference.md does not mention `\(key)`")
        }
        #expect(text.contains("## `notify`"))
        #expect(text.contains("## `limits`"))
    }

    @Test("Catalog.md lists every migration the SQLite catalog applies")
    func catalogMigrations() async throws {
        let text = try Self.document("Catalog.md")
        let applied = try await SQLiteCatalog.inMemory().schemaVersions()
        #expect(applied.last == SQLiteCatalog.schemaVersion)
        for version in applied {
            #expect(text.contains("| `\(version)` |"), "Catalog.md's migration table lacks \(version)")
        }
    }

    @Test("provider: cos, as PlanReference.md documents it, is accepted with type s3")
    func providerCOS() throws {
        let text = try Self.document("PlanReference.md")
        #expect(text.contains("`aws`, `minio` or `cos`"))
        let plan = try PlanLoader.parse(
            yaml: """
                plan: p
                catalog: ./c.sqlite
                storage: {type: s3, provider: cos, region: ap-guangzhou, bucket: backups-1250000000, access_key_env: A, secret_key_env: B}
                sources: [{name: s, type: files, paths: [./src]}]
                """, origin: "p.yaml", workingDirectory: NSTemporaryDirectory())
        guard case .s3(let s3) = plan.storage else {
            Issue.record("not an S3 storage: \(plan.storage)")
            return
        }
        #expect(s3.provider == .tencentCOS)
    }

    @Test("Exports.md: a storage without link settings exports all the same and returns no link")
    func exportWithoutLinks() async throws {
        let text = try Self.document("Exports.md")
        #expect(text.contains("exports all the same"))
        let scratch = Scratch("export-claims")
        try scratch.write("data/report.csv", "a,b\n1,2\n")
        let storage = try LocalStorage(root: scratch.sub("store"))
        let exporter = try Exporter(storage: storage, workFolder: scratch.sub("work"))
        let result = try await exporter.export(ExportRequest(paths: [scratch.sub("data")], app: "report"))
        #expect(result.link == nil)
        #expect(try await storage.head(result.key) != nil, "the archive is stored")
    }

    @Test("no plan document claims an Elasticsearch source or a catalog rebuilt from storage")
    func noFalseClaims() throws {
        for name in ["Automation.md", "PlanReference.md", "GettingStarted.md", "Schedules.md", "Catalog.md"] {
            let text = try Self.document(name)
            #expect(!text.contains("--plan es-archive.yaml"), "\(name) runs an Elasticsearch archive as a plan")
            #expect(!text.contains("/etc/backupkit/es-archive.yaml"), "\(name) runs an Elasticsearch archive as a plan")
            #expect(!text.contains("object store as the truth"), "\(name) implies the catalog can be rebuilt from storage")
        }
    }
}
