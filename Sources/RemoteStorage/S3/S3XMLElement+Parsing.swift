extension S3XMLElement {
    /// Why a document could not be read.
    package struct ParseError: Error, Hashable, CustomStringConvertible {
        package var offset: Int
        package var reason: String
        package var description: String { "malformed S3 XML at byte \(offset): \(reason)" }
    }

    /// Parses an S3 response document and returns its root element.
    ///
    /// A deliberately small reader for the XML that S3 servers send: a declaration, comments,
    /// elements with attributes, character data with the five named entities and numeric character
    /// references, and CDATA sections. DTDs are refused. No external library (libxml2) is needed.
    ///
    /// - Parameter bytes: The UTF-8 document.
    /// - Throws: ``ParseError`` for malformed input.
    package static func parse(_ bytes: [UInt8]) throws -> S3XMLElement {
        var reader = S3XMLReader(bytes: bytes)
        return try reader.document()
    }
}

/// A cursor over the document bytes.
private struct S3XMLReader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ reason: String) -> S3XMLElement.ParseError {
        S3XMLElement.ParseError(offset: index, reason: reason)
    }

    func starts(with text: String) -> Bool {
        let pattern = Array(text.utf8)
        guard index + pattern.count <= bytes.count else { return false }
        return bytes[index..<index + pattern.count].elementsEqual(pattern)
    }

    mutating func skip(past text: String) throws {
        let pattern = Array(text.utf8)
        while index + pattern.count <= bytes.count {
            if bytes[index..<index + pattern.count].elementsEqual(pattern) {
                index += pattern.count
                return
            }
            index += 1
        }
        throw fail("missing '\(text)'")
    }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// Skips the prolog (declaration, comments, processing instructions, whitespace).
    mutating func skipMisc() throws {
        while true {
            skipWhitespace()
            if starts(with: "<?") {
                try skip(past: "?>")
            } else if starts(with: "<!--") {
                try skip(past: "-->")
            } else if starts(with: "<!") {
                throw fail("document type declarations are not accepted")
            } else {
                return
            }
        }
    }

    mutating func document() throws -> S3XMLElement {
        if starts(with: "\u{FEFF}") { index += 3 }
        try skipMisc()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "<") else { throw fail("expected a root element") }
        let root = try element()
        try skipMisc()
        guard index == bytes.count else { throw fail("content after the root element") }
        return root
    }

    mutating func name() throws -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "=")].contains(byte) {
                break
            }
            index += 1
        }
        guard index > start else { throw fail("expected a name") }
        let full = String(decoding: bytes[start..<index], as: UTF8.self)
        if let colon = full.lastIndex(of: ":") { return String(full[full.index(after: colon)...]) }
        return full
    }

    /// Reads `<name attr="…">…</name>` or `<name/>`, starting at `<`.
    mutating func element() throws -> S3XMLElement {
        index += 1
        let elementName = try name()
        // Attributes: read and dropped.
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw fail("unterminated start tag <\(elementName)>") }
            if starts(with: "/>") {
                index += 2
                return S3XMLElement(name: elementName, text: "", children: [])
            }
            if bytes[index] == UInt8(ascii: ">") {
                index += 1
                break
            }
            _ = try name()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw fail("expected '='") }
            index += 1
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw fail("expected a quoted attribute value")
            }
            let quote = bytes[index]
            index += 1
            while index < bytes.count, bytes[index] != quote { index += 1 }
            guard index < bytes.count else { throw fail("unterminated attribute value") }
            index += 1
        }
        var text: [UInt8] = []
        var children: [S3XMLElement] = []
        while true {
            guard index < bytes.count else { throw fail("element <\(elementName)> is not closed") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "<") {
                if starts(with: "</") {
                    index += 2
                    let closing = try name()
                    skipWhitespace()
                    guard closing == elementName, index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
                        throw fail("expected </\(elementName)>")
                    }
                    index += 1
                    return S3XMLElement(
                        name: elementName, text: String(decoding: text, as: UTF8.self), children: children)
                } else if starts(with: "<!--") {
                    try skip(past: "-->")
                } else if starts(with: "<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text.append(contentsOf: bytes[start..<index - 3])
                } else if starts(with: "<?") {
                    try skip(past: "?>")
                } else {
                    children.append(try element())
                }
            } else if byte == UInt8(ascii: "&") {
                try entity(into: &text)
            } else {
                text.append(byte)
                index += 1
            }
        }
    }

    /// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#NN;` and `&#xHH;`.
    mutating func entity(into text: inout [UInt8]) throws {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: ";"), index - start < 12 { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: ";") else { throw fail("unterminated entity") }
        let body = String(decoding: bytes[start + 1..<index], as: UTF8.self)
        index += 1
        switch body {
        case "amp": text.append(UInt8(ascii: "&"))
        case "lt": text.append(UInt8(ascii: "<"))
        case "gt": text.append(UInt8(ascii: ">"))
        case "quot": text.append(UInt8(ascii: "\""))
        case "apos": text.append(UInt8(ascii: "'"))
        default:
            let value: UInt32?
            if body.hasPrefix("#x") || body.hasPrefix("#X") {
                value = UInt32(body.dropFirst(2), radix: 16)
            } else if body.hasPrefix("#") {
                value = UInt32(body.dropFirst(), radix: 10)
            } else {
                value = nil
            }
            guard let value, let scalar = Unicode.Scalar(value) else { throw fail("unknown entity &\(body);") }
            text.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
    }
}
