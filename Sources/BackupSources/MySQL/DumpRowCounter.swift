package import BackupSupport
import Foundation
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Passes a `mariadb-dump`/`mysqldump` stream through unchanged while counting the rows it holds per
/// table (`database.table`): the `(…)` tuples of each `INSERT INTO … VALUES` line, skipping quoted
/// strings. Tables announced by a `-- Dumping data for table` comment without any insert count 0.
///
/// An insert ends at the first `;` outside a string and outside a tuple. Older dump tools print a whole
/// insert on one line, newer MariaDB tools one row per line: both are counted the same. Lines of no
/// interest are skipped with `memchr`.
package final class DumpRowCounter: ChunkTransformer {
    private enum Mode {
        /// At the first byte of a line.
        case lineStart
        /// Collecting a line that may name a database or a table, up to its end.
        case note
        /// Collecting `INSERT INTO `t` VALUES ` up to the first `(` (possibly on the next line).
        case insertHead
        /// Inside the tuples of an insert, up to its `;`.
        case values
        /// Inside a line of no interest.
        case skip
    }

    private let result: Shared<[String: Int64]>
    private var counts: [String: Int64] = [:]
    private var mode = Mode.lineStart
    private var line: [UInt8] = []
    private var database = ""
    private var table: String?
    private var inString = false
    private var escaped = false
    private var depth = 0
    private var backticks = 0
    private static let maxLine = 4096

    /// Creates a counter that publishes its counts into `result` as they grow.
    package init(into result: Shared<[String: Int64]>) { self.result = result }

    package func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        chunk.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var index = 0
            let count = buffer.count
            while index < count {
                switch mode {
                case .skip:
                    guard let newline = memchr(base + index, 0x0A, count - index) else { return }
                    index = UnsafePointer(newline.assumingMemoryBound(to: UInt8.self)) - base + 1
                    mode = .lineStart
                case .lineStart:
                    let first = buffer[index]
                    if first == UInt8(ascii: "I") {
                        mode = .insertHead
                        backticks = 0
                        line.removeAll(keepingCapacity: true)
                    } else if first == UInt8(ascii: "U") || first == UInt8(ascii: "-") {
                        mode = .note
                        line.removeAll(keepingCapacity: true)
                    } else if first == 0x0A {
                        index += 1
                    } else {
                        mode = .skip
                    }
                case .note:
                    let byte = buffer[index]
                    index += 1
                    if byte == 0x0A {
                        considerNote()
                        mode = .lineStart
                    } else if line.count < Self.maxLine {
                        line.append(byte)
                    }
                case .insertHead:
                    let byte = buffer[index]
                    index += 1
                    if byte == UInt8(ascii: "`") { backticks += 1 }
                    if line.count == 12, !line.elementsEqual("INSERT INTO ".utf8) {
                        mode = byte == 0x0A ? .lineStart : .skip
                    } else if byte == 0x0A, line.count < 12 {
                        mode = .lineStart
                    } else if byte == UInt8(ascii: "("), backticks % 2 == 0 {
                        startValues()
                        if table != nil {
                            countTuple()
                        } else {
                            mode = .skip
                        }
                    } else if line.count >= Self.maxLine {
                        mode = .skip
                    } else {
                        line.append(byte)
                    }
                case .values:
                    index = scanValues(buffer, from: index)
                }
            }
        }
        return chunk
    }

    package func finish() throws -> [UInt8] {
        if case .note = mode { considerNote() }
        publish()
        return []
    }

    /// Scans tuple bytes until the line ends or the chunk does; returns where it stopped.
    private func scanValues(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        while index < buffer.count {
            let byte = buffer[index]
            index += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "'") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "'"): inString = true
            case UInt8(ascii: "("):
                if depth == 0 { countTuple() } else { depth += 1 }
            case UInt8(ascii: ")"): depth = max(0, depth - 1)
            case UInt8(ascii: ";") where depth == 0:
                mode = .skip
                publish()
                return index
            default: break
            }
        }
        return index
    }

    /// The insert head is complete (`INSERT INTO `t` VALUES `): note its table.
    private func startValues() {
        let head = String(decoding: line, as: UTF8.self)
        table = nil
        if head.hasPrefix("INSERT INTO "), let name = Self.quotedName(in: head) {
            table = name
            counts[key(name), default: 0] += 0
        }
        mode = .values
        inString = false
        escaped = false
        depth = 0
    }

    private func countTuple() {
        depth = 1
        mode = .values
        if let table { counts[key(table), default: 0] += 1 }
    }

    /// `USE `db`;` changes the database; `-- Dumping data for table `t`` announces a table.
    private func considerNote() {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("USE "), let name = Self.quotedName(in: text) {
            database = name
        } else if text.hasPrefix("-- Dumping data for table "), let name = Self.quotedName(in: text) {
            counts[key(name), default: 0] += 0
        }
    }

    private func key(_ table: String) -> String { database.isEmpty ? table : "\(database).\(table)" }

    private func publish() {
        let snapshot = counts
        result.withLock { $0 = snapshot }
    }

    /// The first backquoted name in `text` (` `` ` inside it is one backquote).
    static func quotedName(in text: String) -> String? {
        guard let open = text.firstIndex(of: "`") else { return nil }
        var name = ""
        var index = text.index(after: open)
        while index < text.endIndex {
            let character = text[index]
            if character == "`" {
                let next = text.index(after: index)
                if next < text.endIndex, text[next] == "`" {
                    name.append("`")
                    index = text.index(after: next)
                    continue
                }
                return name
            }
            name.append(character)
            index = text.index(after: index)
        }
        return nil
    }
}
