import BackupModels
import Foundation
import Logging
import RemoteStorage
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

@Suite("POSIX tar writing and reading")
struct TarTests {
    @Test("headers round-trip, with pax records for long names, big sizes and big ids")
    func headerRoundTrip() async throws {
        let long = String(repeating: "deep/", count: 60) + "file.txt"
        let headers = [
            TarHeader(path: "short.txt", type: .file, size: 0, mode: 0o640, uid: 1000, gid: 1000, mtime: 1_764_000_000, linkTarget: ""),
            TarHeader(path: long, type: .file, size: 0, mode: 0o600, uid: 0, gid: 0, mtime: 1, linkTarget: ""),
            TarHeader(
                path: "ünïcødé/ファイル.txt", type: .file, size: 0, mode: 0o644, uid: 3_000_000, gid: 4_000_000, mtime: 2, linkTarget: ""),
            TarHeader(
                path: "link", type: .symlink, size: 0, mode: 0o777, uid: 0, gid: 0, mtime: 3, linkTarget: String(repeating: "t/", count: 70)
            ),
            TarHeader(path: "dir/", type: .directory, size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 4, linkTarget: ""),
        ]
        var bytes: [UInt8] = []
        for header in headers { bytes += header.encoded() }
        bytes += [UInt8](repeating: 0, count: 1024)
        let reader = TarReader(ByteStream(bytes: bytes, chunkSize: 700))
        var decoded: [TarHeader] = []
        while let header = try await reader.nextEntry() { decoded.append(header) }
        #expect(decoded == headers)
    }

    @Test("a size beyond 8 GiB is carried by a pax record")
    func hugeSize() async throws {
        let header = TarHeader(path: "huge.img", type: .file, size: 9 << 30, mode: 0o600, uid: 0, gid: 0, mtime: 0, linkTarget: "")
        let encoded = header.encoded()
        #expect(String(decoding: encoded, as: UTF8.self).contains("size=9663676416"))
        let reader = TarReader(ByteStream(bytes: encoded))
        let decoded = try #require(try await reader.nextEntry())
        #expect(decoded.size == 9 << 30)
    }

    @Test("archives written by GNU tar in pax and gnu formats are read")
    func readsGNUTar() async throws {
        let scratch = Scratch("tar")
        let longDir = String(repeating: "a", count: 120)
        try scratch.write("in/\(longDir)/file.txt", "content\n")
        try scratch.write("in/small.txt", "small\n")
        for format in ["pax", "gnu", "ustar"] where format != "ustar" {
            let archive = scratch.sub("out-\(format).tar")
            try Fixture.shell("tar --format=\(format) -C '\(scratch.sub("in"))' -cf '\(archive)' .")
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: archive)))
            let reader = TarReader(ByteStream(bytes: bytes, chunkSize: 333))
            var files: [String: String] = [:]
            while let header = try await reader.nextEntry() {
                guard header.type == .file else { continue }
                var content: [UInt8] = []
                while let chunk = try await reader.readContent() { content += chunk }
                files[try TarExtractor.safeRelativePath(header.path)] = String(decoding: content, as: UTF8.self)
            }
            #expect(files == ["\(longDir)/file.txt": "content\n", "small.txt": "small\n"], "format \(format)")
        }
    }

    @Test("a truncated archive is an error, not a silent success")
    func truncated() async throws {
        let header = TarHeader(path: "a.txt", type: .file, size: 1000, mode: 0o600, uid: 0, gid: 0, mtime: 0, linkTarget: "")
        let bytes = header.encoded() + [UInt8](repeating: 65, count: 400)
        let reader = TarReader(ByteStream(bytes: bytes))
        _ = try await reader.nextEntry()
        await #expect(throws: TarError.self) { try await reader.drain() }
    }

    @Test("a corrupted header checksum is detected")
    func corruptHeader() async throws {
        var bytes = TarHeader(path: "a.txt", type: .file, size: 0, mode: 0o600, uid: 0, gid: 0, mtime: 0, linkTarget: "").encoded()
        bytes[3] ^= 0x20
        let reader = TarReader(ByteStream(bytes: bytes + [UInt8](repeating: 0, count: 1024)))
        await #expect { try await reader.nextEntry() } throws: { ($0 as? TarError)?.code == .corrupt }
    }
}

@Suite("File tree source")
struct FileTreeSourceTests {
    func outcome(_ source: FileTreeSource, kind: BackupKind = .full, parent: Manifest? = nil) async throws -> (
        entries: [String], outcome: SourceOutcome, tar: [UInt8]
    ) {
        let prepared = try await source.prepare(SourceRequest(kind: kind, parent: parent, logger: Fixture.logger), progress: { _ in })
        var tar: [UInt8] = []
        for try await chunk in prepared.stream { tar += chunk }
        let reader = TarReader(ByteStream(bytes: tar))
        var entries: [String] = []
        while let header = try await reader.nextEntry() { entries.append(header.path) }
        var outcome = try prepared.outcome()
        outcome.index = try await outcome.indexEntries()
        return (entries, outcome, tar)
    }

    func manifest(_ outcome: SourceOutcome) -> Manifest {
        Manifest(
            backupID: .random(), plan: "p", source: "s", sourceType: "files", kind: .full, label: try! BackupLabel("20261125-013000F"),
            startedAt: Date(), finishedAt: Date(), host: "h", artifacts: [], files: outcome.index)
    }

    @Test("excludes and includes: names at any depth, paths, folders only")
    func globs() async throws {
        let scratch = Scratch("globs")
        for path in ["src/a.conf", "src/a.tmp", "src/cache/x.conf", "src/sub/b.conf", "src/sub/b.log", "src/sub/cache.conf"] {
            try scratch.write(path, "x")
        }
        let source = FileTreeSource(
            FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")], include: ["*.conf"], exclude: ["*.tmp", "cache/"]))
        let files = try await outcome(source).entries.filter { !$0.hasSuffix("/") }
        #expect(files == ["src/a.conf", "src/sub/b.conf", "src/sub/cache.conf"])
        let byPath = FileTreeSource(FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")], exclude: ["sub/*.log"]))
        #expect(!(try await outcome(byPath).entries.contains("src/sub/b.log")))
    }

    @Test("symlinks are stored as links, never followed; fifos are skipped with a note")
    func specialEntries() async throws {
        let scratch = Scratch("special")
        try scratch.write("outside/secret.txt", "secret")
        try scratch.write("src/a.txt", "a")
        try FileManager.default.createSymbolicLink(atPath: scratch.sub("src/out"), withDestinationPath: scratch.sub("outside"))
        try Fixture.shell("mkfifo '\(scratch.sub("src/pipe"))'")
        let result = try await outcome(FileTreeSource(FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")])))
        #expect(result.entries.contains("src/out"))
        #expect(!result.entries.contains { $0.contains("secret") })
        #expect(!result.entries.contains("src/pipe"))
        #expect(result.outcome.notes.contains { $0.contains("fifo") && $0.contains("src/pipe") })
        #expect(result.outcome.index?.first { $0.path == "src/out" }?.linkTarget == scratch.sub("outside"))
    }

    @Test("an incremental stores changed and new files and records deletions")
    func incremental() async throws {
        let scratch = Scratch("incr")
        try scratch.write("src/same.txt", "same")
        try scratch.write("src/changed.txt", "v1")
        try scratch.write("src/deleted.txt", "bye")
        let source = FileTreeSource(FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")]))
        let full = try await outcome(source)
        try scratch.write("src/changed.txt", "v2 longer")
        try scratch.write("src/new.txt", "new")
        try FileManager.default.removeItem(atPath: scratch.sub("src/deleted.txt"))
        let incremental = try await outcome(source, kind: .incremental, parent: manifest(full.outcome))
        let stored = incremental.entries.filter { !$0.hasSuffix("/") }
        #expect(stored == ["src/changed.txt", "src/new.txt"])
        #expect(incremental.outcome.deletedPaths == ["src/deleted.txt"])
        // The incremental's index lists what changed (the folder's mtime moved); merged into the full's, the whole tree.
        let changes = try #require(incremental.outcome.index)
        #expect(changes.map(\.path) == ["src", "src/changed.txt", "src/new.txt"])
        let merged = FileIndex.applying(changes, deleted: ["src/deleted.txt"], to: try #require(full.outcome.index))
        #expect(merged.map(\.path) == ["src", "src/changed.txt", "src/new.txt", "src/same.txt"])
        #expect(merged.first { $0.path == "src/changed.txt" }?.size == 9)
    }

    @Test("names that sort around '/' (a, a/z, a-b, a.txt): an unchanged tree stores no file and lists nothing")
    func indexOrder() async throws {
        let scratch = Scratch("order")
        for path in ["src/a/z.txt", "src/a-b.txt", "src/a.txt", "src/a0/y.txt", "src/b"] { try scratch.write(path, path) }
        let source = FileTreeSource(FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")]))
        let full = try await outcome(source)
        let index = try #require(full.outcome.index).map(\.path)
        #expect(index == ["src", "src/a", "src/a/z.txt", "src/a-b.txt", "src/a.txt", "src/a0", "src/a0/y.txt", "src/b"])
        #expect(index == index.sorted(by: FileIndex.pathPrecedes))
        let unchanged = try await outcome(source, kind: .incremental, parent: manifest(full.outcome))
        #expect(unchanged.entries.filter { !$0.hasSuffix("/") }.isEmpty, "no file stored")
        #expect(unchanged.outcome.index == [] && unchanged.outcome.deletedPaths == [])
        try FileManager.default.removeItem(atPath: scratch.sub("src/a-b.txt"))
        try FileManager.default.removeItem(atPath: scratch.sub("src/a"))
        let removed = try await outcome(source, kind: .incremental, parent: manifest(full.outcome))
        #expect(removed.outcome.deletedPaths == ["src/a", "src/a/z.txt", "src/a-b.txt"])
        #expect(removed.outcome.index?.map(\.path) == ["src"], "the folder's mtime moved")
    }

    @Test("with hash_contents, a rewrite keeping size and mtime is still seen")
    func hashContents() async throws {
        let scratch = Scratch("hash")
        try scratch.write("src/a.txt", "AAAA")
        let path = scratch.sub("src/a.txt")
        try Fixture.shell("touch -r '\(path)' '\(scratch.sub("reference"))'")
        let source = FileTreeSource(FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")], hashContents: true))
        let full = try await outcome(source)
        #expect(full.outcome.index?.first { $0.path == "src/a.txt" }?.sha256?.count == 64)
        // Rewrite in place (same inode) and restore the mtime.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data("BBBB".utf8))
        try handle.close()
        try Fixture.shell("touch -r '\(scratch.sub("reference"))' '\(path)'")
        let plain = FileTreeSource(FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")], hashContents: false))
        #expect(
            try await outcome(plain, kind: .incremental, parent: manifest(full.outcome)).entries.filter { !$0.hasSuffix("/") }.isEmpty,
            "without hashing the rewrite is invisible")
        let hashed = try await outcome(source, kind: .incremental, parent: manifest(full.outcome))
        #expect(hashed.entries.filter { !$0.hasSuffix("/") } == ["src/a.txt"])
    }

    @Test("a file that changes while it is read is reported and re-stored next time")
    func changedWhileRead() async throws {
        let scratch = Scratch("live")
        let path = scratch.sub("src/growing.log")
        try scratch.write("src/growing.log", String(repeating: "line\n", count: 200_000))
        let appended = FileTreeSource.Flag()
        let source = FileTreeSource(FileTreeSourceConfig(name: "s", paths: [scratch.sub("src")]), chunkSize: 64 * 1024)
        let prepared = try await source.prepare(SourceRequest(kind: .full, logger: Fixture.logger)) { delta in
            // Append once the file's first bytes were read.
            if delta.bytes > 0, !appended.isSet {
                appended.set()
                let handle = try! FileHandle(forWritingTo: URL(fileURLWithPath: path))
                handle.seekToEndOfFile()
                handle.write(Data("more\n".utf8))
                try! handle.close()
            }
        }
        var tar: [UInt8] = []
        for try await chunk in prepared.stream { tar += chunk }
        let result = try prepared.outcome()
        #expect(result.notes.contains { $0.contains("changed while it was read") && $0.contains("growing.log") })
        let entry = try #require(try await result.indexEntries()?.first { $0.path == "src/growing.log" })
        #expect(entry.mtimeNanoseconds == -1, "marked so the next incremental stores it again")
        // The archive stays well-formed.
        let reader = TarReader(ByteStream(bytes: tar))
        try await reader.drain()
    }

    @Test("a missing path is an error naming it")
    func missingPath() async throws {
        let source = FileTreeSource(FileTreeSourceConfig(name: "config", paths: ["/nonexistent/backupkit-test"]))
        await #expect {
            _ = try await source.prepare(SourceRequest(kind: .full, logger: Fixture.logger), progress: { _ in })
        } throws: { error in
            guard let error = error as? SourceError else { return false }
            return error.code == .missingPath && error.path == "/nonexistent/backupkit-test" && error.source == "config"
        }
    }
}

extension FileTreeSource {
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.withLock { value } }
        func set() { lock.withLock { value = true } }
    }
}
