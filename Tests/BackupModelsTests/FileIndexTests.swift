import BackupModels
import Foundation
import Testing

@Suite("File index: lines, reading, merging")
struct FileIndexTests {
    static let entries = [
        FileEntry(path: "conf", type: .directory, mtimeNanoseconds: 1_700_000_000_000_000_001, inode: 9, mode: 0o755),
        FileEntry(path: "conf/a \"quoted\"\\name\n.yaml", type: .file, size: 10, inode: 10, sha256: String(repeating: "a", count: 64)),
        FileEntry(path: "conf/link", type: .symlink, uid: 1000, gid: 1000, linkTarget: "../elsewhere/数据"),
        FileEntry(path: "conf/z-emoji-😀.log", type: .file, size: 1 << 40, mtimeNanoseconds: -1),
    ]

    static func text(deleted: [String] = [], _ entries: [FileEntry], size: Int = 1 << 20) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var next = 0
        while let chunk = FileIndex.lines(deleted: deleted, entries: entries, from: &next, size: size) { chunks.append(chunk) }
        return chunks
    }

    @Test("entries written as lines read back equal, whatever the escapes and however the text is cut")
    func roundTrip() throws {
        let bytes = Self.text(deleted: ["old/gone.txt"], Self.entries).flatMap { $0 }
        #expect(bytes.filter { $0 == 0x0A }.count == 5, "one line per deletion and per entry")
        for cut in [1, 7, 64, bytes.count] {
            var reader = FileIndexReader()
            var start = 0
            while start < bytes.count {
                try reader.read(Array(bytes[start..<min(start + cut, bytes.count)]))
                start += cut
            }
            #expect(try reader.finish() == Self.entries, "pieces of \(cut) bytes")
            #expect(reader.deleted == ["old/gone.txt"])
        }
        // Each line is the entry's Codable JSON.
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").dropFirst()
        let decoded = try lines.map { try JSONDecoder().decode(FileEntry.self, from: Data($0.utf8)) }
        #expect(decoded == Self.entries)
    }

    @Test("a long index comes in chunks of about the size asked, each ending with a whole line")
    func chunks() throws {
        let many = (0..<5_000).map { FileEntry(path: String(format: "f/%06d", $0), type: .file, size: Int64($0)) }
        let chunks = Self.text(many, size: 16 * 1024)
        #expect(chunks.count > 10)
        #expect(chunks.allSatisfy { $0.last == 0x0A && $0.count < 16 * 1024 + 200 })
        #expect(try FileIndexReader.entries(of: chunks.flatMap { $0 }) == many)
    }

    @Test("what JSON allows beyond what the writer writes is read: \\u escapes, surrogate pairs, spaces, unknown keys")
    func lenient() throws {
        let withScalarKey = #"{ "path" : "a\u00e9\ud83d\ude00\/b" , "type":"file","size":3,"future_key":true,"sha256":null }"#
        let entry = try #require(try FileIndexReader.entries(of: Array(withScalarKey.utf8)).first)
        #expect(entry.path == "aé😀/b")
        #expect(entry.size == 3 && entry.sha256 == nil)
    }

    @Test("a damaged line is refused, naming the line and what is wrong")
    func damaged() throws {
        let good = Self.text([Self.entries[0]]).flatMap { $0 }
        let cases: [(String, String)] = [
            (#"{"path":"x","type":"fifo"}"#, "unknown type 'fifo'"),
            (#"{"path":"x","type":"file","size":"ten"}"#, "'size' is not a whole number"),
            (#"{"path":"x","type":"file","mode":99999999999}"#, "'mode' is not a whole number in range"),
            (#"{"type":"file"}"#, "no path"),
            (#"{"path":"x"}"#, "no type"),
            (#"{"path":"x","type":"file"} trailing"#, "text after"),
            (#"{"path":"unterminated"#, "not closed"),
            (#"{"path":"bad\q","type":"file"}"#, "unknown escape"),
        ]
        for (line, reason) in cases {
            let error = #expect(throws: ModelError.self) { try FileIndexReader.entries(of: good + Array((line + "\n").utf8)) }
            let text = String(describing: try #require(error))
            #expect(text.contains("file index line 2") && text.contains(reason), "\(line): \(text)")
        }
    }

    @Test("a SHA-256 reads back as written: 64 lowercase hex digits (kept as bytes) and any other text alike")
    func contentHashes() throws {
        let hex = "0123456789abcdef" + String(repeating: "f0", count: 16) + "00000000000000a1"
        for text in [hex, hex.uppercased(), String(hex.dropLast()), hex + "0", "", "not a hash"] {
            let entry = FileEntry(path: "a", type: .file, sha256: text)
            #expect(entry.sha256 == text)
            let decoded = try JSONDecoder().decode(FileEntry.self, from: JSONEncoder().encode(entry))
            #expect(decoded == entry && decoded.sha256 == text)
        }
        #expect(FileEntry(path: "a", type: .file, sha256: hex) != FileEntry(path: "a", type: .file, sha256: hex.uppercased()))
        var entry = FileEntry(path: "a", type: .file, sha256: hex)
        entry.sha256 = nil
        #expect(entry == FileEntry(path: "a", type: .file))
    }

    @Test("merging applies deletions and changes in path order; what is not named is kept")
    func merging() {
        func entry(_ path: String, _ size: Int64 = 0) -> FileEntry { FileEntry(path: path, type: .file, size: size) }
        let base = [entry("a"), entry("b"), entry("b/c"), entry("d"), entry("f")]
        let merged = FileIndex.applying([entry("a0"), entry("b/c", 5), entry("e"), entry("g")], deleted: ["d", "zz"], to: base)
        #expect(merged.map(\.path) == ["a", "a0", "b", "b/c", "e", "f", "g"])
        #expect(merged.first { $0.path == "b/c" }?.size == 5)
        #expect(FileIndex.applying([], deleted: [], to: base) == base)
    }
}
