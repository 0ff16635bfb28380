package import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The entries of a WebDAV `207 Multi-Status` answer to `PROPFIND`, parsed with `XMLParser`.
package struct WebDAVMultistatus {
    /// One `<response>`: a resource and the properties that came back with status 200.
    package struct Entry: Hashable {
        /// The `<href>` as sent (percent-encoded; a path or an absolute URL).
        package var href: String
        package var isCollection: Bool
        package var contentLength: Int64?
        package var lastModified: Date?
    }

    package var entries: [Entry]

    /// Parses a multistatus document.
    ///
    /// - Throws: ``StorageError`` `io` naming the parser's complaint when the document is not UTF-8 or not
    ///   well-formed.
    package init(parsing bytes: [UInt8]) throws {
        // FoundationXML traps on an element name that is not UTF-8 (found by fuzzing:
        // Fuzz/Regressions/webdav); servers send UTF-8 multistatus bodies, so anything else is refused first.
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw StorageError(
                code: .io, key: nil, message: "the server's PROPFIND answer is not a valid multistatus document",
                underlying: "the body is not UTF-8 text")
        }
        // FoundationXML also crashes (strlen of NULL) on a processing instruction without data, `<?x?>` (found
        // by fuzzing); multistatus bodies hold none but the XML declaration, so any other `<?` is refused.
        guard !Self.holdsProcessingInstruction(bytes) else {
            throw StorageError(
                code: .io, key: nil, message: "the server's PROPFIND answer is not a valid multistatus document",
                underlying: "the body holds a processing instruction")
        }
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let delegate = MultistatusDelegate()
        parser.delegate = delegate
        guard parser.parse(), delegate.failure == nil, delegate.sawMultistatus else {
            throw StorageError(
                code: .io, key: nil, message: "the server's PROPFIND answer is not a valid multistatus document",
                underlying: (delegate.failure ?? parser.parserError).map { "\($0)" })
        }
        entries = delegate.entries
    }

    /// Whether `<?` occurs anywhere but in a leading XML declaration (`<?xml …?>`, after an optional BOM and
    /// whitespace).
    private static func holdsProcessingInstruction(_ bytes: [UInt8]) -> Bool {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        let rest = bytes[start...]
        if rest.starts(with: Array("<?xml".utf8)), rest.count > 5, [0x20, 0x09, 0x0A, 0x0D].contains(rest[start + 5]) {
            // The declaration ends at the first `?>`; a `<` before it means it does not end where it should.
            var end = start + 5
            while end + 1 < bytes.count, !(bytes[end] == 0x3F && bytes[end + 1] == 0x3E) {
                if bytes[end] == 0x3C { return true }
                end += 1
            }
            guard end + 1 < bytes.count else { return true }
            start = end + 2
        }
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 0x3C, bytes[index + 1] == 0x3F { return true }
            index += 1
        }
        return false
    }
}

/// Collects `<response>` elements; only properties inside a `<propstat>` whose status is 2xx count.
private final class MultistatusDelegate: NSObject, XMLParserDelegate {
    var entries: [WebDAVMultistatus.Entry] = []
    /// The first error the parser reported, if any.
    var failure: (any Error)?
    /// Whether the document's root was a DAV `multistatus` element that was closed.
    var sawMultistatus = false

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        if failure == nil { failure = parseError }
    }

    private var path: [String] = []
    private var text = ""
    private var href: String?
    private var responseStatus: String?
    // The properties of the current propstat, kept once its status is known to be 2xx.
    private var isCollection = false
    private var contentLength: Int64?
    private var lastModified: Date?
    private var propstatStatus: String?
    private var kept: (isCollection: Bool, contentLength: Int64?, lastModified: Date?) = (false, nil, nil)

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let name = namespaceURI == "DAV:" ? elementName : "?" + elementName
        path.append(name)
        text = ""
        switch name {
        case "response":
            href = nil
            responseStatus = nil
            kept = (false, nil, nil)
        case "propstat":
            isCollection = false
            contentLength = nil
            lastModified = nil
            propstatStatus = nil
        case "collection" where path.dropLast().last == "resourcetype":
            isCollection = true
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let name = path.popLast() ?? ""
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parent = path.last
        switch (name, parent) {
        case ("href", "response"):
            href = value
        case ("status", "response"):
            responseStatus = value
        case ("status", "propstat"):
            propstatStatus = value
        case ("getcontentlength", "prop"):
            contentLength = Int64(value)
        case ("getlastmodified", "prop"):
            lastModified = HTTPDate.parse(value)
        case ("propstat", _):
            if Self.isSuccess(propstatStatus) {
                kept = (kept.isCollection || isCollection, contentLength ?? kept.contentLength, lastModified ?? kept.lastModified)
            }
        case ("multistatus", nil):
            sawMultistatus = true
        case ("response", _):
            if let href, responseStatus == nil || Self.isSuccess(responseStatus) {
                entries.append(
                    WebDAVMultistatus.Entry(
                        href: href, isCollection: kept.isCollection, contentLength: kept.contentLength,
                        lastModified: kept.lastModified))
            }
        default:
            break
        }
        text = ""
    }

    /// Whether a status line (`HTTP/1.1 200 OK`) carries a 2xx code.
    private static func isSuccess(_ line: String?) -> Bool {
        guard let line else { return false }
        let parts = line.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { return false }
        return (200..<300).contains(code)
    }
}
