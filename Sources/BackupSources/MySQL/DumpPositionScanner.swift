import ArtifactFormat
import BackupModels
package import BackupSupport
import Foundation
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The replication coordinates a dump records: binary log file and position from the
/// `CHANGE MASTER TO` comment near its head, and the GTID state printed near its end.
package struct DumpCoordinates: Sendable, Hashable {
    package var binlogFile: String?
    package var binlogPosition: Int64?
    package var gtidSet: String?

    /// Reads one line of a dump; lines that hold no coordinates are ignored.
    package mutating func consider(line: String) {
        let upper = line.uppercased()
        if binlogFile == nil, upper.contains("CHANGE MASTER TO") || upper.contains("CHANGE REPLICATION SOURCE TO"),
            let file = Self.quoted(after: "_LOG_FILE=", in: line),
            let position = Self.number(after: "_LOG_POS=", in: line)
        {
            binlogFile = file
            binlogPosition = position
        } else if upper.contains("GTID_SLAVE_POS") || upper.contains("GTID_PURGED") || upper.contains("GTID_BINLOG_POS") {
            if upper.contains("SET "), let value = Self.lastQuoted(in: line) { gtidSet = value }
        }
    }

    private static func quoted(after marker: String, in line: String) -> String? {
        guard let range = line.range(of: marker, options: .caseInsensitive) else { return nil }
        let rest = line[range.upperBound...]
        guard rest.first == "'", let end = rest.dropFirst().firstIndex(of: "'") else { return nil }
        return String(rest[rest.index(after: rest.startIndex)..<end])
    }

    private static func number(after marker: String, in line: String) -> Int64? {
        guard let range = line.range(of: marker, options: .caseInsensitive) else { return nil }
        return Int64(line[range.upperBound...].prefix { $0.isNumber })
    }

    private static func lastQuoted(in line: String) -> String? {
        guard let end = line.lastIndex(of: "'") else { return nil }
        guard let start = line[..<end].lastIndex(of: "'") else { return nil }
        return String(line[line.index(after: start)..<end])
    }
}

/// Passes a dump through unchanged while picking up its coordinates: only lines that start with
/// `-`, `S`, `C` or `/` are looked at; long `INSERT` lines are skipped with `memchr`.
package final class DumpPositionScanner: ChunkTransformer {
    private let result: Shared<DumpCoordinates>
    private var coordinates = DumpCoordinates()
    /// A line of interest that continues in the next chunk.
    private var pending: [UInt8]?
    /// Inside a line of no interest that continues in the next chunk.
    private var skipping = false
    private static let maxLine = 4096

    package init(into result: Shared<DumpCoordinates>) { self.result = result }

    package func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        chunk.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var index = 0
            let count = buffer.count
            while index < count {
                let remaining = count - index
                let newline = memchr(base + index, 0x0A, remaining).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) - base }
                let lineEnd = newline ?? count
                if skipping {
                    // continue skipping below
                } else if var line = pending {
                    if line.count < Self.maxLine { line += buffer[index..<min(lineEnd, index + Self.maxLine - line.count)] }
                    pending = line
                } else {
                    let first = buffer[index]
                    if first == UInt8(ascii: "-") || first == UInt8(ascii: "S") || first == UInt8(ascii: "C")
                        || first == UInt8(ascii: "/")
                    {
                        pending = Array(buffer[index..<min(lineEnd, index + Self.maxLine)])
                    } else {
                        skipping = true
                    }
                }
                guard let newline else { return }
                if let line = pending { finish(line) }
                pending = nil
                skipping = false
                index = newline + 1
            }
        }
        return chunk
    }

    package func finish() throws -> [UInt8] {
        if let line = pending { finish(line) }
        pending = nil
        return []
    }

    private func finish(_ line: [UInt8]) {
        coordinates.consider(line: String(decoding: line, as: UTF8.self))
        let found = coordinates
        result.withLock { $0 = found }
    }
}
