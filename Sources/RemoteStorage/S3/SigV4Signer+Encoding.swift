import Foundation

extension SigV4Signer {
    /// Whether `byte` is in the RFC 3986 unreserved set (`A-Z a-z 0-9 - . _ ~`), the only bytes
    /// SigV4 leaves unencoded.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
    private static let lowerHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Percent-encodes every byte outside the unreserved set, with upper-case hex digits.
    static func percentEncode(bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 3)
        for byte in bytes {
            if isUnreserved(byte) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Percent-encodes the UTF-8 bytes of `text`.
    static func percentEncode(_ text: some StringProtocol) -> String {
        percentEncode(bytes: text.utf8)
    }

    /// Percent-encodes each `/`-separated segment of `path`, keeping the slashes.
    static func percentEncodePath(_ path: some StringProtocol) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { percentEncode($0) }
            .joined(separator: "/")
    }

    /// The bytes `text` stands for once its `%XX` escapes are decoded. A `%` that does not start a
    /// valid escape, and `+`, are kept literally.
    static func percentDecodedBytes(_ text: some StringProtocol) -> [UInt8] {
        let input = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "%"), index + 2 < input.count,
                let high = hexValue(input[index + 1]), let low = hexValue(input[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(input[index])
                index += 1
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Lower-case hexadecimal of `bytes`.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        for byte in bytes {
            output.append(lowerHexDigits[Int(byte >> 4)])
            output.append(lowerHexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension SigV4Signer {
    /// The wire parts of a URL: percent-encoded path and query, and the `Host` header value.
    struct URLParts {
        var scheme: String
        var host: String
        var port: Int?
        var path: String
        var query: String?

        init(_ url: URL) {
            let components = URLComponents(url: url, resolvingAgainstBaseURL: true)
            scheme = components?.scheme?.lowercased() ?? ""
            host = components?.host ?? ""
            port = components?.port
            path = components?.percentEncodedPath ?? ""
            query = components?.percentEncodedQuery
        }

        /// `host` or `host:port` when the port is not the scheme's default.
        var hostHeader: String {
            let name = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
            guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return name }
            return "\(name):\(port)"
        }
    }
}
