import BackupCatalog
import BackupEngine
import BackupModels
import BackupPlans
import BackupSources
import Foundation
import Logging
import RemoteStorage
import RemoteStorageTesting
import Testing

// A host's own source type, written against the public API only (no `@testable`): a folder of
// settings files, one `key=value` line each, backed up as one text payload. Registering it is the only
// step; the plan names it, and the engine backs it up, verifies and restores it like a built-in type.

/// Backs up every `*.setting` file of a folder as lines `name=value`.
struct SettingsSource: BackupSource {
    let name: String
    let folder: String

    var typeName: String { "settings" }
    var supportsIncremental: Bool { false }
    var payloadExtensions: [String] { ["settings"] }

    func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw SourceError(code: .missingPath, source: name, path: folder, message: "the folder does not exist")
        }
        var text = ""
        var count = 0
        for file in names.sorted() where file.hasSuffix(".setting") {
            let value = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            text += "\(file.dropLast(".setting".count))=\(value.trimmingCharacters(in: .newlines))\n"
            count += 1
        }
        let bytes = Array(text.utf8)
        let entries = count
        progress(SourceProgress(bytes: Int64(bytes.count), files: entries))
        return PreparedBackup(
            stream: ByteStream(bytes: bytes), fileExtension: "settings", expectedBytes: Int64(bytes.count), expectedFiles: entries,
            outcome: { SourceOutcome(filesTotal: entries, filesStored: entries, bytesRead: Int64(bytes.count)) })
    }

    /// Every line must be `name=value`.
    func verifyPayload(_ payload: ByteStream, of link: RestoreChain.Link) async throws {
        let text = String(decoding: try await payload.collect(), as: UTF8.self)
        for line in text.split(separator: "\n") where !line.contains("=") {
            throw SourceError(code: .damaged, source: name, message: "line '\(line)' is not name=value")
        }
    }

    /// Writes each line back as `<name>.setting`.
    func restore(_ chain: RestoreChain, into directory: String, options: FolderRestoreOptions, logger: Logger) async throws
        -> RestoredFiles
    {
        var files = 0
        var bytes: Int64 = 0
        try await chain.withPayload(of: chain.newest.record) { stream in
            let text = String(decoding: try await stream.collect(), as: UTF8.self)
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                let value = parts.count > 1 ? String(parts[1]) : ""
                try Data((value + "\n").utf8).write(to: URL(fileURLWithPath: directory + "/" + parts[0] + ".setting"))
                files += 1
                bytes += Int64(value.utf8.count + 1)
            }
        }
        return RestoredFiles(filesWritten: files, bytesWritten: bytes, backupsApplied: 1)
    }
}

extension SourceRegistry {
    /// The standard types plus `settings`.
    static var withSettings: SourceRegistry {
        var registry = SourceRegistry.standard
        registry.register("settings") { config, _ in
            guard case .custom(let custom) = config, let folder = custom.settings["folder"] else {
                throw SourceError(code: .invalidConfiguration, source: config.name, message: "a settings source needs folder:")
            }
            return SettingsSource(name: custom.name, folder: folder)
        }
        return registry
    }
}

@Suite("A source type registered by a host runs through the engine unchanged")
struct CustomSourceTests {
    let root = NSTemporaryDirectory() + "backupkit-custom-\(UUID().uuidString.prefix(8))"

    func makeFolder() throws -> String {
        let folder = root + "/settings"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("8080\n".utf8).write(to: URL(fileURLWithPath: folder + "/port.setting"))
        try Data("debug\n".utf8).write(to: URL(fileURLWithPath: folder + "/log_level.setting"))
        return folder
    }

    func plan(folder: String) throws -> BackupPlan {
        let yaml = """
            plan: host
            catalog: \(root)/catalog.sqlite
            storage:
              type: local
              path: \(root)/store
            sources:
              - name: app-settings
                type: settings
                folder: \(folder)
            """
        return try PlanLoader.parse(yaml: yaml, origin: "host.yaml", workingDirectory: root, sources: .withSettings)
    }

    @Test("a plan names the registered type; backup, verify and restore go through the engine")
    func roundTrip() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try makeFolder()
        let plan = try plan(folder: folder)
        #expect(plan.sources == [.custom(CustomSourceConfig(name: "app-settings", type: "settings", settings: ["folder": folder]))])

        let engine = try await Engine.open(plan, logger: Logger(label: "test"), sources: .withSettings)
        let report = try await engine.backup()
        let record = try #require(report.outcomes.first?.record, "\(report.outcomes.first?.error.map { "\($0)" } ?? "")")
        #expect(record.artifacts.first?.key.hasSuffix(".settings.zst") == true)
        #expect(try await engine.verify(record.id).isSound)

        let target = root + "/restored"
        let restored = try await engine.restore(record.id, to: target)
        #expect(restored.filesWritten == 2)
        #expect(try String(contentsOfFile: target + "/port.setting", encoding: .utf8) == "8080\n")
        #expect(try String(contentsOfFile: target + "/log_level.setting", encoding: .utf8) == "debug\n")
    }

    @Test("verify runs the type's own payload check")
    func verifyUsesTheSource() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try makeFolder()
        let plan = try plan(folder: folder)
        let storage = MemoryStorage()
        var engine = Engine(
            plan: plan, catalog: try SQLiteCatalog(path: root + "/catalog.sqlite"), storage: storage,
            logger: Logger(label: "test"), sources: .withSettings)
        engine.host = "test-host"
        // A value with a newline makes a line without `=`: the source's check must see it.
        try Data("first\nsecond".utf8).write(to: URL(fileURLWithPath: folder + "/multi.setting"))
        let record = try #require(try await engine.backup().outcomes.first?.record)
        let result = try await engine.verify(record.id)
        #expect(!result.isSound)
        #expect(result.problems.contains { $0.contains("is not name=value") })
    }

    @Test("an unregistered type is refused at load time, naming the key and the known types")
    func unknownType() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = try makeFolder()
        let yaml = """
            plan: host
            catalog: c.sqlite
            storage: {type: local, path: store}
            sources:
              - {name: s, type: settings, folder: \(folder)}
            """
        let error = try #require(throws: PlanError.self) {
            _ = try PlanLoader.parse(yaml: yaml, origin: "host.yaml", workingDirectory: root)
        }
        #expect("\(error)".contains("sources[0].type"))
        #expect("\(error)".contains("unsupported source type 'settings'"))
    }
}
