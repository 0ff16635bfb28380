import BackupModels
import Foundation
import RemoteStorage
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

@Suite("Restore refuses entries that would land outside the target")
struct RestoreSafetyTests {
    func archive(_ entries: [(TarHeader, String)]) -> ByteStream {
        var bytes: [UInt8] = []
        for (var header, content) in entries {
            header.size = header.type == .file ? Int64(content.utf8.count) : 0
            bytes += header.encoded()
            if header.type == .file {
                bytes += Array(content.utf8)
                bytes += [UInt8](repeating: 0, count: TarHeader.padding(header.size))
            }
        }
        return ByteStream(bytes: bytes + [UInt8](repeating: 0, count: 1024))
    }

    func file(_ path: String) -> TarHeader {
        TarHeader(path: path, type: .file, size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: "")
    }

    func link(_ path: String, to target: String) -> TarHeader {
        TarHeader(path: path, type: .symlink, size: 0, mode: 0o777, uid: 0, gid: 0, mtime: 0, linkTarget: target)
    }

    @Test("paths with .. or absolute paths are refused", arguments: ["../escape.txt", "a/../../escape.txt", "/tmp/escape.txt"])
    func traversal(_ path: String) async throws {
        let scratch = Scratch("safety")
        let extractor = TarExtractor(root: scratch.sub("target"), allowExternalLinks: false)
        try FileManager.default.createDirectory(atPath: scratch.sub("target"), withIntermediateDirectories: true)
        await #expect {
            try await extractor.extract(TarReader(archive([(file(path), "evil")])))
        } throws: { ($0 as? TarError)?.code == .unsafePath }
        #expect(!FileManager.default.fileExists(atPath: scratch.sub("escape.txt")))
    }

    @Test("nothing is written through a link planted by an earlier entry")
    func writeThroughLink() async throws {
        let scratch = Scratch("safety")
        try FileManager.default.createDirectory(atPath: scratch.sub("target"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch.sub("victim"), withIntermediateDirectories: true)
        // Even with external links allowed, a later entry must not write through the link.
        let extractor = TarExtractor(root: scratch.sub("target"), allowExternalLinks: true)
        await #expect(throws: TarError.self) {
            try await extractor.extract(TarReader(archive([(link("dir", to: scratch.sub("victim")), ""), (file("dir/passwd"), "owned")])))
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.sub("victim/passwd")))
    }

    @Test("links pointing outside are refused unless allowed", arguments: [("up", "../../outside"), ("abs", "/etc/passwd")])
    func externalLinks(_ name: String, _ target: String) async throws {
        let scratch = Scratch("safety")
        try FileManager.default.createDirectory(atPath: scratch.sub("target"), withIntermediateDirectories: true)
        let strict = TarExtractor(root: scratch.sub("target"), allowExternalLinks: false)
        await #expect { try await strict.extract(TarReader(archive([(link("sub/\(name)", to: target), "")]))) } throws: {
            ($0 as? TarError)?.code == .unsafePath
        }
        let lenient = TarExtractor(root: scratch.sub("target"), allowExternalLinks: true)
        try await lenient.extract(TarReader(archive([(link("sub/\(name)", to: target), "")])))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.sub("target/sub/\(name)")) == target)
    }

    @Test("links that stay inside are restored")
    func internalLink() async throws {
        let scratch = Scratch("safety")
        try FileManager.default.createDirectory(atPath: scratch.sub("target"), withIntermediateDirectories: true)
        let extractor = TarExtractor(root: scratch.sub("target"), allowExternalLinks: false)
        try await extractor.extract(TarReader(archive([(file("a/real.txt"), "real"), (link("a/b/alias", to: "../real.txt"), "")])))
        #expect(try String(contentsOfFile: scratch.sub("target/a/b/alias"), encoding: .utf8) == "real")
    }
}

@Suite("Restore checks every file's size and SHA-256 as written")
struct RestoreChecksumTests {
    @Test(
        "contents hashed while written (on the hashing thread) match the manifest; a differing file is named; the last write of a path counts",
        arguments: [509, 65_537, 1 << 20])
    func checksums(chunkSize: Int) async throws {
        let scratch = Scratch("checksum")
        try FileManager.default.createDirectory(atPath: scratch.sub("target"), withIntermediateDirectories: true)
        var big = [UInt8](repeating: 0, count: 3 << 20)
        for index in big.indices { big[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 11) }
        let entries: [(String, [UInt8])] = [
            ("a.txt", Array("first".utf8)), ("big.bin", big), ("empty", []), ("a.txt", Array("second, longer".utf8)),
        ]
        var bytes: [UInt8] = []
        for (path, content) in entries {
            let header = TarHeader(
                path: path, type: .file, size: Int64(content.count), mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: "")
            bytes += header.encoded() + content + [UInt8](repeating: 0, count: TarHeader.padding(header.size))
        }
        bytes += [UInt8](repeating: 0, count: 1024)
        let extractor = TarExtractor(root: scratch.sub("target"), allowExternalLinks: false)
        try await extractor.extract(TarReader(ByteStream(bytes: bytes, chunkSize: chunkSize)))

        func entry(_ path: String, _ content: [UInt8]) -> FileEntry {
            FileEntry(
                path: path, type: .file, size: Int64(content.count), mtimeNanoseconds: 0, inode: 0, mode: 0o644, uid: 0, gid: 0,
                sha256: HashingTransformer.hex(SHA256Hash.digest(content)))
        }
        let second = Array("second, longer".utf8)
        let manifest = [entry("a.txt", second), entry("big.bin", big), entry("empty", [])]
        #expect(extractor.check(against: manifest).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: scratch.sub("target/big.bin"))) == Data(big))

        var damaged = big
        damaged[2 << 20] ^= 1
        let problems = extractor.check(against: [entry("a.txt", Array("first".utf8)), entry("big.bin", damaged)])
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("'big.bin' has SHA-256 ") }, "\(problems)")
    }
}
