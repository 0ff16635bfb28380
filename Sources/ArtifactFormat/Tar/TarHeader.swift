import BackupSupport

/// One tar entry's metadata, as written to and read from POSIX (pax) tar streams.
package struct TarHeader: Hashable, Sendable {
    package enum EntryType: UInt8, Sendable {
        case file = 48  // '0'
        case hardLink = 49  // '1'
        case symlink = 50  // '2'
        case directory = 53  // '5'
        case paxExtended = 120  // 'x'
        case paxGlobal = 103  // 'g'
        case gnuLongName = 76  // 'L'
        case gnuLongLink = 75  // 'K'
    }

    package var path: String
    package var type: EntryType
    package var size: Int64
    package var mode: UInt32
    package var uid: UInt32
    package var gid: UInt32
    /// Seconds since 1970.
    package var mtime: Int64
    package var linkTarget: String

    package init(
        path: String, type: EntryType, size: Int64, mode: UInt32, uid: UInt32, gid: UInt32, mtime: Int64, linkTarget: String
    ) {
        self.path = path
        self.type = type
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtime = mtime
        self.linkTarget = linkTarget
    }

    package static let blockSize = 512
    /// The largest size the classic 11-digit octal field holds (8 GiB − 1).
    package static let maxOctalSize: Int64 = 0o77777777777
    package static let maxOctalID: UInt32 = 0o7777777

    /// The 512-byte blocks for this entry's header: a pax extended header first when the name, link,
    /// size or ids do not fit the ustar fields.
    package func encoded() -> [UInt8] {
        var records: [(String, String)] = []
        let pathBytes = Array(path.utf8)
        let (prefix, name) = Self.splitUstarPath(pathBytes)
        if name == nil || !path.utf8.allSatisfy({ $0 < 0x80 }) { records.append(("path", path)) }
        if linkTarget.utf8.count > 100 || !linkTarget.utf8.allSatisfy({ $0 < 0x80 }) { records.append(("linkpath", linkTarget)) }
        if size > Self.maxOctalSize { records.append(("size", String(size))) }
        if uid > Self.maxOctalID { records.append(("uid", String(uid))) }
        if gid > Self.maxOctalID { records.append(("gid", String(gid))) }
        if mtime < 0 || mtime > 0o77777777777 { records.append(("mtime", String(mtime))) }

        var output: [UInt8] = []
        if !records.isEmpty {
            let body = Self.paxBody(records)
            let paxName = "PaxHeaders/" + String(Self.lastComponent(path).prefix(80))
            output += Self.ustarBlock(
                prefix: [], name: Array(paxName.utf8.prefix(100)), type: .paxExtended, size: Int64(body.count),
                mode: 0o644, uid: 0, gid: 0, mtime: 0, link: [])
            output += body
            output += [UInt8](repeating: 0, count: Self.padding(Int64(body.count)))
        }
        output += Self.ustarBlock(
            prefix: name == nil ? [] : prefix,
            name: name ?? Array(pathBytes.suffix(100)),
            type: type, size: min(size, Self.maxOctalSize), mode: mode,
            uid: min(uid, Self.maxOctalID), gid: min(gid, Self.maxOctalID),
            mtime: max(0, min(mtime, 0o77777777777)),
            link: Array(linkTarget.utf8.prefix(100)))
        return output
    }

    /// Zero bytes needed after `size` content bytes to reach a block boundary.
    package static func padding(_ size: Int64) -> Int {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    /// Splits a path into ustar's 155-byte prefix and 100-byte name at a `/`, or returns a nil name.
    private static func splitUstarPath(_ bytes: [UInt8]) -> ([UInt8], [UInt8]?) {
        if bytes.count <= 100 { return ([], bytes) }
        guard bytes.count <= 256 else { return ([], nil) }
        for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/") {
            let name = Array(bytes[(index + 1)...])
            if name.count <= 100, !name.isEmpty { return (Array(bytes[..<index]), name) }
        }
        return ([], nil)
    }

    private static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// pax records: `"<length> <key>=<value>\n"` where the length counts the whole record.
    private static func paxBody(_ records: [(String, String)]) -> [UInt8] {
        var body: [UInt8] = []
        for (key, value) in records {
            let payload = " \(key)=\(value)\n"
            var length = payload.utf8.count + 1
            while String(length).utf8.count + payload.utf8.count != length {
                length = String(length).utf8.count + payload.utf8.count
            }
            body += Array((String(length) + payload).utf8)
        }
        return body
    }

    private static func ustarBlock(
        prefix: [UInt8], name: [UInt8], type: EntryType, size: Int64, mode: UInt32, uid: UInt32, gid: UInt32,
        mtime: Int64, link: [UInt8]
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], at offset: Int, width: Int) {
            for (i, byte) in bytes.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            let padded = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            put(Array(padded.utf8), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(mode & 0o7777), at: 100, width: 8)
        octal(Int64(uid), at: 108, width: 8)
        octal(Int64(gid), at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        block[156] = type.rawValue
        put(link, at: 157, width: 100)
        put(Array("ustar\u{0}00".utf8), at: 257, width: 8)
        put(prefix, at: 345, width: 155)
        // The checksum is computed with its own field read as spaces.
        put([UInt8](repeating: 0x20, count: 8), at: 148, width: 8)
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: max(0, 6 - digits.count)) + digits).utf8), at: 148, width: 6)
        block[154] = 0
        block[155] = 0x20
        return block
    }
}

extension TarHeader {
    /// Parses one 512-byte header block; `nil` for an all-zero (end-of-archive) block.
    package static func decodeBlock(_ block: ArraySlice<UInt8>) throws -> TarHeader? {
        let bytes = Array(block)
        precondition(bytes.count == blockSize)
        if bytes.allSatisfy({ $0 == 0 }) { return nil }

        var stored = 0
        var computed = 0
        for (i, byte) in bytes.enumerated() { computed += (148..<156).contains(i) ? 0x20 : Int(byte) }
        stored = Int(try parseNumber(bytes[148..<156], field: "chksum"))
        guard stored == computed else {
            throw TarError(code: .corrupt, message: "header checksum mismatch (stored \(stored), computed \(computed))")
        }

        func string(_ range: Range<Int>) -> String {
            let slice = bytes[range]
            let end = slice.firstIndex(of: 0) ?? slice.endIndex
            return String(decoding: slice[slice.startIndex..<end], as: UTF8.self)
        }
        var path = string(0..<100)
        let magic = string(257..<263)
        if magic.hasPrefix("ustar") {
            let prefix = string(345..<500)
            if !prefix.isEmpty { path = prefix + "/" + path }
        }
        let typeByte = bytes[156] == 0 ? UInt8(ascii: "0") : bytes[156]
        guard let type = EntryType(rawValue: typeByte) else {
            throw TarError(code: .unsupported, message: "entry '\(path)' has unsupported type '\(Character(UnicodeScalar(typeByte)))'")
        }
        return TarHeader(
            path: path, type: type,
            size: try parseNumber(bytes[124..<136], field: "size"),
            mode: UInt32(truncatingIfNeeded: try parseNumber(bytes[100..<108], field: "mode")),
            uid: UInt32(truncatingIfNeeded: try parseNumber(bytes[108..<116], field: "uid")),
            gid: UInt32(truncatingIfNeeded: try parseNumber(bytes[116..<124], field: "gid")),
            mtime: try parseNumber(bytes[136..<148], field: "mtime"),
            linkTarget: string(157..<257))
    }

    /// Reads an octal field (NUL/space terminated), or GNU's base-256 form for large values.
    private static func parseNumber(_ field: ArraySlice<UInt8>, field name: String) throws -> Int64 {
        if let first = field.first, first & 0x80 != 0 {
            var value: Int64 = Int64(first & 0x7f)
            for byte in field.dropFirst() { value = value << 8 | Int64(byte) }
            return value
        }
        var value: Int64 = 0
        var seenDigit = false
        for byte in field {
            if byte == 0 || byte == 0x20 {
                if seenDigit { break } else { continue }
            }
            guard (48...55).contains(byte) else {
                throw TarError(code: .corrupt, message: "header field \(name) is not octal")
            }
            seenDigit = true
            value = value * 8 + Int64(byte - 48)
        }
        return value
    }

    /// Parses a pax extended header body into key/value pairs.
    package static func parsePax(_ body: [UInt8]) throws -> [String: String] {
        var result: [String: String] = [:]
        var index = 0
        while index < body.count {
            guard let space = body[index...].firstIndex(of: 0x20),
                let length = Int(String(decoding: body[index..<space], as: UTF8.self)), length > 0,
                length <= body.count - index, body[index + length - 1] == 0x0a
            else {
                if body[index...].allSatisfy({ $0 == 0 }) { break }
                throw TarError(code: .corrupt, message: "malformed pax record")
            }
            let record = body[(space + 1)..<(index + length - 1)]
            if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
                let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
                let value = String(decoding: record[(equals + 1)...], as: UTF8.self)
                result[key] = value
            }
            index += length
        }
        return result
    }
}

/// An error reading a tar stream.
public struct TarError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }
        /// A header or record is malformed.
        public static let corrupt = Code("corrupt")
        /// The stream ended inside an entry.
        public static let truncated = Code("truncated")
        /// An entry type this library does not restore (devices, hard links).
        public static let unsupported = Code("unsupported")
        /// An entry would land outside the restore target.
        public static let unsafePath = Code("unsafe path")
    }

    public var code: Code
    public var message: String

    /// The error that caused this one, when another error did; like the message, it never holds secrets.
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.underlying = underlying
        self.code = code
        self.message = message
    }

    public var description: String { "tar: \(code): \(message)" }
}
