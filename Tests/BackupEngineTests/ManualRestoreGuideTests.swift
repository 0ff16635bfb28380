import BackupCatalog
import BackupModels
import Foundation
import Testing

@testable import BackupEngine

/// Follows "Without the library" in Documentation/RestoreGuide.md with standard tools.
@Suite(
    "RestoreGuide.md's manual procedure",
    .enabled(
        if: ["/usr/bin/zstd", "/usr/bin/tar", "/usr/bin/sha256sum", "/usr/bin/jq"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: $0)
        }, "needs zstd, tar, sha256sum and jq"))
struct ManualRestoreGuideTests {
    static let guidePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Documentation/RestoreGuide.md").path

    /// A step's commands as the guide prints them: the fenced block after `marker` in the guide's text.
    static func command(after marker: String, in guide: String) throws -> String {
        let lines = guide.components(separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.contains(marker) }, "the guide has a step '\(marker)'")
        let start = try #require(lines[(index + 1)...].firstIndex { $0.hasPrefix("```") })
        let end = try #require(lines[(start + 1)...].firstIndex { $0.hasPrefix("```") })
        return lines[(start + 1)..<end].joined(separator: "\n")
    }

    static func run(_ command: String, input: String? = nil, in folder: String) throws -> String {
        let feed = input.map { "<<'LINES'\n\($0)LINES" } ?? ""
        let result = try Fixture.shell("set -e; cd '\(folder)'\n\(command) \(feed)")
        #expect(result.status == 0, "\(command): \(result.output)")
        return result.output
    }

    @Test("a chain with a delete and a re-create comes back whole by following the guide step by step")
    func deleteThenRecreate() async throws {
        let scratch = Scratch("guide")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        try scratch.write("src/notes.txt", "first version")
        try scratch.write("src/keep/kept.txt", "always here")
        try scratch.write("src/gone/old.txt", "removed for good")
        _ = try #require(try await engine.backup(BackupRequest(kind: .full)).outcomes.first?.record)
        clock.advance(3600)
        try FileManager.default.removeItem(atPath: scratch.sub("src/notes.txt"))
        try FileManager.default.removeItem(atPath: scratch.sub("src/gone"))
        let deleted = try #require(try await engine.backup(BackupRequest(kind: .incremental)).outcomes.first?.record)
        #expect(try await engine.readManifest(of: deleted).deletedPaths?.contains("src/notes.txt") == true)
        clock.advance(3600)
        try scratch.write("src/notes.txt", "re-created")
        let newest = try #require(try await engine.backup(BackupRequest(kind: .incremental)).outcomes.first?.record)

        let guide = try String(contentsOfFile: Self.guidePath, encoding: .utf8)
        let store = scratch.sub("store")
        let target = scratch.sub("manual")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)

        // 1. The newest manifest names its parent; follow parents to the full.
        var chain: [BackupRecord] = []
        var current: BackupRecord? = newest
        while let record = current {
            chain.insert(record, at: 0)
            let key = try #require(record.artifacts.first).key
            let parent = try Self.run("jq -r '.parent_label // empty' '\(store)/\(Engine.manifestKey(forArtifact: key))'", in: store)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            current = parent.isEmpty ? nil : try await engine.catalog.record(matching: parent, plan: "test")
        }
        #expect(chain.count == 3)

        for record in chain {
            let key = try #require(record.artifacts.first).key
            let manifest = "'\(store)/\(Engine.manifestKey(forArtifact: key))'"
            // 2. sha256sum prints the manifest's sha256.
            let expected = try Self.run("jq -r '.artifacts[0].sha256' \(manifest)", in: store)
            let actual = try Self.run("sha256sum '\(store)/\(key)'", in: store)
            #expect(actual.hasPrefix(expected.trimmingCharacters(in: .whitespacesAndNewlines) + " "))
            // 3. Unpack, full first.
            let unpack = try Self.command(after: "<!-- step 3: unpack -->", in: guide)
            #expect(unpack.hasPrefix("zstd -dc X.tar.zst | tar -x"))
            _ = try Self.run("zstd -dc '\(store)/\(key)' | tar -x", in: target)
            // 4. Remove what this backup records as deleted, right after its own unpack.
            let deletions = try Self.command(after: "<!-- step 4: apply the deletions -->", in: guide)
            _ = try Self.run(deletions.replacingOccurrences(of: "X.manifest.json", with: manifest), in: target)
        }
        // 5. The newest backup's index lists each file it changed with its SHA-256; sha256sum agrees.
        let list = try Self.command(after: "<!-- step 5: list the index -->", in: guide)
        let index = try #require(newest.artifacts.first { $0.role == "index" }).key
        let listed = try Self.run(list.replacingOccurrences(of: "X.tar.zst.index.jsonl.zst", with: "'\(store)/\(index)'"), in: target)
        #expect(listed.contains("  src/notes.txt"))
        #expect(try Self.run("sha256sum -c", input: listed, in: target).contains("src/notes.txt: OK"))

        #expect(try FileManager.default.contentsOfDirectory(atPath: target) == ["src"])
        #expect(try Fixture.tree(target + "/src") == Fixture.tree(scratch.sub("src")))
        #expect(try String(contentsOfFile: target + "/src/notes.txt", encoding: .utf8) == "re-created")
        #expect(!FileManager.default.fileExists(atPath: target + "/src/gone"))
    }
}
