/// Writes JSON text directly, for documents too large for `JSONEncoder`'s intermediate tree.
struct JSONWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// A JSON string literal, escaped as RFC 8259 requires.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most names need no escape: copied whole, not byte by byte.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: text.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }
}

extension FileEntry {
    /// Writes this entry as a JSON object with the same keys as its `Codable` form.
    func write(to writer: inout JSONWriter) {
        writer.raw("{")
        writer.key("gid")
        writer.raw(String(gid))
        writer.raw(",")
        writer.key("inode")
        writer.raw(String(inode))
        if let linkTarget {
            writer.raw(",")
            writer.key("link_target")
            writer.string(linkTarget)
        }
        writer.raw(",")
        writer.key("mode")
        writer.raw(String(mode))
        writer.raw(",")
        writer.key("mtime_ns")
        writer.raw(String(mtimeNanoseconds))
        writer.raw(",")
        writer.key("path")
        writer.string(path)
        if let sha256 {
            writer.raw(",")
            writer.key("sha256")
            writer.string(sha256)
        }
        writer.raw(",")
        writer.key("size")
        writer.raw(String(size))
        writer.raw(",")
        writer.key("type")
        writer.string(type.rawValue)
        writer.raw(",")
        writer.key("uid")
        writer.raw(String(uid))
        writer.raw("}")
    }
}
