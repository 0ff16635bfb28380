import BackupModels
import Foundation
import RemoteStorage
import Testing

@testable import BackupSources
@testable import BackupSupport

/// A full backup's walk and index kept in a temporary file rather than in memory.
@Suite("File index spool")
struct IndexSpoolTests {
    static func entries(_ count: Int) -> [FileEntry] {
        (0..<count).map { number in
            var entry = FileEntry(
                path: "tree/\(number / 1000)/file-\(number) \u{e9}\"\\", type: .file, size: Int64(number), mtimeNanoseconds: 1,
                inode: UInt64(number), mode: 0o644, uid: 0, gid: 0)
            entry.sha256 = String(repeating: "ab", count: 32)
            return entry
        }
    }

    @Test("entries read back as appended across batches and chunks; the lines are FileIndex's lines; no file is left")
    func roundTrip() async throws {
        let scratch = Scratch("spool")
        let written = Self.entries(20_000)
        let spool = try IndexSpool(directory: scratch.path, source: "s")
        for entry in written { try spool.append(entry) }
        try spool.flush()
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty, "unlinked at once")
        #expect(spool.count == written.count)

        var read: [FileEntry] = []
        while let entry = try spool.next() { read.append(entry) }
        #expect(read == written)
        #expect(try spool.next() == nil)

        var bytes: [UInt8] = []
        for try await chunk in spool.lines() { bytes += chunk }
        var next = 0
        var expected: [UInt8] = []
        while let lines = FileIndex.lines(entries: written, from: &next) { expected += lines }
        #expect(bytes == expected)
        // Read twice: each reading starts from the beginning.
        var again = 0
        for try await chunk in spool.lines() { again += chunk.count }
        #expect(again == expected.count)
    }

    @Test("a folder where no file can be made is an error naming it")
    func unwritableFolder() throws {
        let error = #expect(throws: SourceError.self) { try IndexSpool(directory: "/nonexistent-folder", source: "files") }
        #expect(error?.path == "/nonexistent-folder" && error?.source == "files")
    }

    @Test("a full backup hands its index over as spooled lines, an incremental lists its changes in memory")
    func fullBackupSpools() async throws {
        let scratch = Scratch("spool-full")
        for path in ["src/a/z.txt", "src/a.txt", "src/b"] { try scratch.write(path, path) }
        let source = FileTreeSource(FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")]))
        let prepared = try await source.prepare(SourceRequest(kind: .full, logger: Fixture.logger), progress: { _ in })
        for try await _ in prepared.stream {}
        let outcome = try prepared.outcome()
        #expect(outcome.index == nil && outcome.indexLines != nil)
        let index = try #require(try await outcome.indexEntries())
        #expect(index.map(\.path) == ["src", "src/a", "src/a/z.txt", "src/a.txt", "src/b"])
        #expect(index.filter { $0.type == .file }.allSatisfy { $0.sha256?.count == 64 })
        prepared.cleanup()
    }
}
