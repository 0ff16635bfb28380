/// The file index of a file-tree backup as it is stored: the backup's artifact of role ``role``, one JSON
/// object per line with the keys of ``FileEntry``'s `Codable` form, sorted by path, compressed (and
/// encrypted when the backup is) like any artifact.
///
/// A full backup's index lists every entry of the tree; an incremental's lists the paths deleted since its
/// parent (lines `{"deleted":"path"}`, first, also in the manifest's `deleted_paths`) and the entries that are
/// new or differ from its parent's, so what a backup stores beside its data grows with what changed, not with
/// the size of the tree. The whole tree as of a backup is its full backup's index with each incremental's
/// deletions and changes applied in order (``applying(_:deleted:to:)``). Manifests of format 1 held the
/// whole index inline (`files`).
public enum FileIndex {
    /// The artifact role of a file index.
    public static let role = "index"
    /// The payload extension of a file index, before compression and encryption.
    public static let payloadExtension = "index.jsonl"

    /// The index lines of `deleted` paths, then of `entries`, from line `next` on: about `size` bytes of
    /// whole lines, moving `next` past them; `nil` once every line is written.
    public static func lines(
        deleted: [String] = [], entries: [FileEntry], from next: inout Int, size: Int = 1 << 20
    ) -> [UInt8]? {
        guard next < deleted.count + entries.count else { return nil }
        var writer = JSONWriter()
        writer.bytes.reserveCapacity(size + 1024)
        while next < deleted.count + entries.count, writer.bytes.count < size {
            if next < deleted.count {
                writer.raw("{")
                writer.key("deleted")
                writer.string(deleted[next])
                writer.raw("}")
            } else {
                entries[next - deleted.count].write(to: &writer)
            }
            writer.bytes.append(0x0A)
            next += 1
        }
        return writer.bytes
    }

    /// `base` (sorted by path) with the paths in `deleted` removed and `changes` (sorted by path) put in
    /// place of the entries of the same path or added; the result is sorted by path.
    public static func applying(_ changes: [FileEntry], deleted: [String], to base: [FileEntry]) -> [FileEntry] {
        let gone = Set(deleted)
        var merged: [FileEntry] = []
        merged.reserveCapacity(base.count + changes.count)
        var next = changes.startIndex
        for entry in base where !gone.contains(entry.path) {
            while next < changes.endIndex, pathPrecedes(changes[next].path, entry.path) {
                merged.append(changes[next])
                next += 1
            }
            if next < changes.endIndex, changes[next].path == entry.path {
                merged.append(changes[next])
                next += 1
            } else {
                merged.append(entry)
            }
        }
        merged.append(contentsOf: changes[next...])
        return merged
    }

    /// `entries` in index order: as they are when they already are (a linear check), sorted otherwise.
    public static func inOrder(_ entries: [FileEntry]) -> [FileEntry] {
        let ordered = entries.indices.dropFirst().allSatisfy { pathPrecedes(entries[$0 - 1].path, entries[$0].path) }
        return ordered ? entries : entries.sorted { pathPrecedes($0.path, $1.path) }
    }

    /// The order of an index: by the path's UTF-8 bytes, `/` before any other byte — a folder's entries
    /// come right after it, before a sibling whose name extends the folder's (`a`, `a/z`, `a-b`): the order of
    /// a walk that visits each folder's names in byte order.
    public static func pathPrecedes(_ first: String, _ second: String) -> Bool {
        var first = first
        var second = second
        return first.withUTF8 { left in
            second.withUTF8 { right in
                let common = min(left.count, right.count)
                var index = 0
                while index < common, left[index] == right[index] { index += 1 }
                guard index < common else { return left.count < right.count }
                return (left[index] == 0x2F ? 0 : left[index]) < (right[index] == 0x2F ? 0 : right[index])
            }
        }
    }
}

/// Reads a file index (``FileIndex``) from the chunks of its decoded artifact, one line at a time, without
/// holding more than a line of text.
public struct FileIndexReader: Sendable {
    /// The entries read so far, in the order of the lines.
    public private(set) var entries: [FileEntry] = []
    /// The deleted paths read so far (an incremental's index).
    public private(set) var deleted: [String] = []
    private var partial: [UInt8] = []
    private var lineNumber = 0

    public init() {}

    /// Reads the complete lines of `chunk`; a line cut at the chunk's end is kept for the next call.
    ///
    /// - Throws: ``ModelError`` `invalidValue` naming the line that is not an index entry.
    public mutating func read(_ chunk: [UInt8]) throws {
        try chunk.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count, let newline = buffer[start...].firstIndex(of: 0x0A) {
                if partial.isEmpty {
                    try readLine(UnsafeBufferPointer(rebasing: buffer[start..<newline]))
                } else {
                    partial.append(contentsOf: buffer[start..<newline])
                    try readPartial()
                }
                start = newline + 1
            }
            partial.append(contentsOf: buffer[start...])
        }
    }

    /// Ends the index: the last line needs no newline.
    ///
    /// - Returns: every entry read.
    public mutating func finish() throws -> [FileEntry] {
        if !partial.isEmpty { try readPartial() }
        return entries
    }

    /// Moves out the entries read so far (a reader of a long index hands them on as it goes).
    public mutating func takeEntries() -> [FileEntry] {
        var taken: [FileEntry] = []
        swap(&taken, &entries)
        return taken
    }

    /// The entries of a whole index held in memory.
    public static func entries(of bytes: [UInt8]) throws -> [FileEntry] {
        var reader = FileIndexReader()
        try reader.read(bytes)
        return try reader.finish()
    }

    private mutating func readPartial() throws {
        let line = partial
        partial.removeAll(keepingCapacity: true)
        try line.withUnsafeBufferPointer { try readLine($0) }
    }

    private mutating func readLine(_ line: UnsafeBufferPointer<UInt8>) throws {
        lineNumber += 1
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return }
        do {
            var parser = EntryParser(line)
            switch try parser.line() {
            case .entry(let entry): entries.append(entry)
            case .deleted(let path): deleted.append(path)
            }
        } catch let reason as EntryParser.Failure {
            throw ModelError(code: .invalidValue, subject: "file index line \(lineNumber)", message: reason.text)
        }
    }
}

/// Parses one index line: a flat JSON object whose values are strings, integers or `null`.
private struct EntryParser {
    struct Failure: Error {
        var text: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    enum Line {
        case entry(FileEntry)
        case deleted(String)
    }

    mutating func line() throws -> Line {
        var path: String?
        var deleted: String?
        var type: FileEntry.EntryType?
        var entry = FileEntry(path: "", type: .file)
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipSpace()
                let key = try string()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                switch key {
                case "path": path = try string()
                case "deleted": deleted = try string()
                case "type":
                    let name = try string()
                    guard let known = FileEntry.EntryType(rawValue: name) else { throw Failure(text: "unknown type '\(name)'") }
                    type = known
                case "size": entry.size = try integer(key)
                case "mtime_ns": entry.mtimeNanoseconds = try integer(key)
                case "inode": entry.inode = try integer(key)
                case "mode": entry.mode = try integer(key)
                case "uid": entry.uid = try integer(key)
                case "gid": entry.gid = try integer(key)
                case "link_target": entry.linkTarget = try optionalString()
                case "sha256": entry.sha256 = try optionalString()
                default: try skipValue(key)
                }
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                break
            }
        }
        skipSpace()
        guard position == bytes.count else { throw Failure(text: "text after the entry's closing brace") }
        if let deleted {
            guard !deleted.isEmpty, path == nil else { throw Failure(text: "a deletion names no path, or an entry too") }
            return .deleted(deleted)
        }
        guard let path, !path.isEmpty else { throw Failure(text: "the entry has no path") }
        guard let type else { throw Failure(text: "entry '\(path)' has no type") }
        entry.path = path
        entry.type = type
        return .entry(entry)
    }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0D { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard peek() == byte else {
            throw Failure(text: "expected '\(Character(Unicode.Scalar(byte)))' at byte \(position + 1)")
        }
        position += 1
    }

    private mutating func optionalString() throws -> String? {
        if bytes[position...].starts(with: "null".utf8) {
            position += 4
            return nil
        }
        return try string()
    }

    private mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        // Most strings hold no escape: made straight from the line's bytes.
        let start = position
        while let byte = peek(), byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 { position += 1 }
        if peek() == UInt8(ascii: "\"") {
            position += 1
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position - 1]), as: UTF8.self)
        }
        var text = Array(bytes[start..<position])
        while let byte = peek() {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = peek() else { break }
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), bytes[position...].starts(with: "\\u".utf8) {
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Failure(text: "a lone surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw Failure(text: "a lone surrogate in a string") }
                    text.append(contentsOf: String(Character(unicode)).utf8)
                default:
                    throw Failure(text: "unknown escape '\\\(Character(Unicode.Scalar(escaped)))' in a string")
                }
            case 0..<0x20:
                throw Failure(text: "a control character in a string")
            default:
                text.append(byte)
            }
        }
        throw Failure(text: "a string is not closed")
    }

    private mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw Failure(text: "a \\u escape is cut short") }
        var value: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Failure(text: "a \\u escape holds a non-hex digit")
            }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }

    private mutating func integer<Value: FixedWidthInteger>(_ key: String) throws -> Value {
        let negative = peek() == UInt8(ascii: "-")
        if negative { position += 1 }
        let start = position
        var value: Value = 0
        var overflow = false
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            let digit = Value(byte - UInt8(ascii: "0"))
            let (times, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (sum, carried) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            overflow = overflow || overflowed || carried
            value = sum
            position += 1
        }
        guard position > start, !overflow else { throw Failure(text: "'\(key)' is not a whole number in range") }
        return value
    }

    /// Skips the value of a key this version does not know (written by a newer one): a string, a number,
    /// `true`, `false` or `null`.
    private mutating func skipValue(_ key: String) throws {
        if peek() == UInt8(ascii: "\"") {
            _ = try string()
            return
        }
        let start = position
        while let byte = peek(), byte != UInt8(ascii: ","), byte != UInt8(ascii: "}") { position += 1 }
        guard position > start else { throw Failure(text: "'\(key)' has no value") }
    }
}
