import ArtifactFormat
import BackupModels
import BackupSupport
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A piece of a table's rows as `INSERT` statements: one tar entry of a parallel dump.
package struct DumpSegment: Sendable {
    package var path: String
    package var content: [UInt8]
}

/// Turns the row lines a ``DumpTable/selectStatement`` prints into multi-row `INSERT` statements of
/// about `statementLimit` bytes, gathered into segments of about `segmentLimit` bytes.
///
/// Rows arrive as lines `(…),`; a statement is the table's insert prefix followed by whole lines,
/// and closing it turns the last line's `,` into `;`. Nothing is parsed: the line break is the row
/// boundary (the select never lets one into a value).
package struct InsertSegmenter {
    package let table: DumpTable
    package let statementLimit: Int
    package let segmentLimit: Int
    private let prefix: [UInt8]
    private var content: [UInt8] = []
    private var statementBytes = 0
    private var statementOpen = false
    private var sequence = 0
    /// Rows seen so far.
    private(set) var rows: Int64 = 0
    /// Segments handed out so far.
    private(set) var segments = 0

    package init(table: DumpTable, statementLimit: Int = 1 << 20, segmentLimit: Int = 4 << 20) {
        self.table = table
        self.statementLimit = max(1, statementLimit)
        self.segmentLimit = max(1, segmentLimit)
        prefix = table.insertPrefix
    }

    /// Adds whole row lines (`region` ends with a line break); returns the segments that filled up.
    package mutating func append(_ region: ArraySlice<UInt8>) -> [DumpSegment] {
        guard !region.isEmpty else { return [] }
        rows += Self.countLineBreaks(region)
        var filled: [DumpSegment] = []
        var start = region.startIndex
        while start < region.endIndex {
            if !statementOpen {
                if content.isEmpty { content.reserveCapacity(segmentLimit + statementLimit + prefix.count) }
                content += prefix
                statementBytes = prefix.count
                statementOpen = true
            }
            let room = max(statementLimit - statementBytes, 1)
            var cut = region.endIndex
            if region.endIndex - start > room, let lineBreak = Self.firstLineBreak(in: region, from: start + room - 1) {
                cut = lineBreak + 1
            }
            content.append(contentsOf: region[start..<cut])
            statementBytes += cut - start
            start = cut
            if statementBytes >= statementLimit {
                closeStatement()
                if content.count >= segmentLimit { filled.append(takeSegment()) }
            }
        }
        return filled
    }

    /// Closes the last statement; returns the last segment, if any rows are left.
    package mutating func finish() -> DumpSegment? {
        closeStatement()
        return content.isEmpty ? nil : takeSegment()
    }

    private mutating func closeStatement() {
        guard statementOpen else { return }
        statementOpen = false
        // Only the prefix, no row: nothing to insert.
        if statementBytes == prefix.count {
            content.removeLast(prefix.count)
            return
        }
        content[content.count - 2] = UInt8(ascii: ";")
    }

    private mutating func takeSegment() -> DumpSegment {
        sequence += 1
        segments += 1
        defer { content = [] }
        return DumpSegment(path: table.segmentPath(sequence), content: content)
    }

    package static func countLineBreaks(_ bytes: ArraySlice<UInt8>) -> Int64 {
        bytes.withUnsafeBufferPointer { buffer in
            var count = 0
            for byte in buffer where byte == 10 { count += 1 }
            return Int64(count)
        }
    }

    package static func firstLineBreak(in bytes: ArraySlice<UInt8>, from index: Int) -> Int? {
        guard index < bytes.endIndex else { return nil }
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            let offset = index - bytes.startIndex
            guard let found = memchr(base + offset, 10, buffer.count - offset) else { return nil }
            return bytes.startIndex + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
        }
    }
}
