import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The size of the largest statement a binary log becomes when `mariadb-binlog` prints it for the client.
///
/// Row events are printed as one `BINLOG '…'` statement per SQL statement: the table map and every rows
/// event up to the statement's end, base64-encoded. A statement of the source that changed 100 MB of rows
/// becomes a statement of about 135 MB, which the server refuses unless its `max_allowed_packet` is at
/// least that large (`ERROR 1153`). Other events (a query) are printed about as large as they are.
package enum BinlogStatementSize {
    /// Row-based events: table map, write/update/delete rows (v1, v2, MariaDB's compressed ones).
    static let rowEventTypes: Set<UInt8> = [19, 23, 24, 25, 30, 31, 32, 166, 167, 168, 169, 170, 171]

    /// The bytes the largest printed statement of the binary log at `path` needs as `max_allowed_packet`,
    /// or `nil` when the file is not a binary log this scanner reads (then no requirement is derived).
    package static func largestStatement(inBinlogAt path: String) -> Int64? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let magic = try? handle.read(upToCount: 4), magic == Data([0xFE, 0x62, 0x69, 0x6E]) else { return nil }
        var offset: UInt64 = 4
        var group: Int64 = 0
        var largest: Int64 = 0
        while true {
            guard (try? handle.seek(toOffset: offset)) != nil, let header = try? handle.read(upToCount: 19), header.count == 19 else {
                break
            }
            let bytes = [UInt8](header)
            let type = bytes[4]
            let size = UInt32(bytes[9]) | UInt32(bytes[10]) << 8 | UInt32(bytes[11]) << 16 | UInt32(bytes[12]) << 24
            guard size >= 19 else { return nil }
            if rowEventTypes.contains(type) {
                group += Int64(size)
                largest = max(largest, group)
            } else {
                group = 0
                largest = max(largest, Int64(size))
            }
            offset += UInt64(size)
        }
        return printedSize(ofEventBytes: largest)
    }

    /// `BINLOG '…'` around the base64 of `bytes` (4 characters per 3 bytes, a line break every 76), plus room
    /// for the statement's text.
    package static func printedSize(ofEventBytes bytes: Int64) -> Int64 {
        let base64 = (bytes + 2) / 3 * 4
        return base64 + base64 / 76 + 64 * 1024
    }
}
