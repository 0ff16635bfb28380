import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension HTTPStorage {
    /// Lists the objects whose key starts with `prefix`, in ascending byte order of the whole key.
    ///
    /// Collections are read with `PROPFIND` (`Depth: 1`) and walked depth first with siblings in key
    /// order (a collection sorts as its name followed by `/`), so keys come out already sorted and the
    /// walk stops as soon as the page is full. Only collections that can hold keys of the page are read:
    /// those matching the prefix and not wholly before `continuation`.
    ///
    /// - Parameters:
    ///   - prefix: the start of the keys to list; empty lists everything.
    ///   - continuation: the previous page's ``ListPage/continuation``, or `nil` for the first page.
    ///   - limit: the most objects in the page (at least 1 is used).
    /// - Throws: ``StorageError`` `invalidKey` for a prefix that could leave the base URL,
    ///   `permissionDenied`, `io`.
    public func list(prefix: String, after continuation: String?, limit: Int) async throws -> ListPage {
        let folder = try LocalStorage.folderPart(ofPrefix: prefix)
        var walk = CollectionWalk(
            prefix: Array(prefix.utf8), after: continuation.map { Array($0.utf8) }, limit: max(1, limit))
        try await visit(collection: folder.isEmpty ? "" : folder + "/", walk: &walk)
        if walk.found.count > walk.limit {
            let page = Array(walk.found.prefix(walk.limit))
            return ListPage(objects: page, continuation: page.last?.key)
        }
        return ListPage(objects: walk.found, continuation: nil)
    }

    /// The state of one listing walk.
    struct CollectionWalk {
        let prefix: [UInt8]
        let after: [UInt8]?
        let limit: Int
        /// Keys found so far, in order; one more than `limit` means the page is full and more follow.
        var found: [ObjectInfo] = []

        var isDone: Bool { found.count > limit }
    }

    /// Reads the collection at `path` (`a/b/`, empty for the base) and descends in key order.
    private func visit(collection path: String, walk: inout CollectionWalk) async throws {
        let children = try await members(of: path)
        for child in children {
            if walk.isDone { return }
            let key = path + child.name
            let keyBytes = Array(key.utf8)
            if child.isCollection {
                let base = keyBytes + [0x2F]
                guard base.starts(with: walk.prefix) || walk.prefix.starts(with: base) else { continue }
                // Every key below `base` precedes `after` unless `after` itself lies below it.
                if let after = walk.after, base.lexicographicallyPrecedes(after), !after.starts(with: base) { continue }
                try await visit(collection: key + "/", walk: &walk)
            } else {
                guard keyBytes.starts(with: walk.prefix) else { continue }
                if let after = walk.after, !after.lexicographicallyPrecedes(keyBytes) { continue }
                walk.found.append(ObjectInfo(key: key, sizeBytes: child.size, lastModified: child.lastModified))
            }
        }
    }

    /// One member of a collection.
    struct Member {
        var name: String
        var isCollection: Bool
        var size: Int64
        var lastModified: Date?
        /// The name as it sorts among keys: collections with a trailing `/`.
        var sortKey: [UInt8] { Array(name.utf8) + (isCollection ? [0x2F] : []) }
    }

    /// The members of the collection at `path`, sorted in key order; empty when it does not exist or
    /// is not a collection.
    func members(of path: String) async throws -> [Member] {
        let url = try collectionURL(path)
        var request = makeRequest(.PROPFIND, url: url)
        request.headers.add(name: "Depth", value: "1")
        request.headers.add(name: "Content-Type", value: "application/xml; charset=utf-8")
        request.body = .bytes(ByteBuffer(string: Self.propfindBody))
        let response = try await send(request, key: path.isEmpty ? nil : path, timeout: options.requestTimeout, retryable: true)
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw StorageError(code: .io, key: path, message: "reading the PROPFIND answer failed", underlying: "\(error)")
        }
        let status = Int(response.status.code)
        if status == 404 { return [] }
        guard status == 207 else { throw failure(status: response.status, key: path.isEmpty ? nil : path, action: "list") }

        let basePath = (URLComponents(url: baseURL, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? "/")
        let collectionPath = Self.decodedPath(basePath + Self.encodePath(path)) ?? ""
        var members: [Member] = []
        for entry in try WebDAVMultistatus(parsing: Array(body.readableBytesView)).entries {
            guard var entryPath = Self.decodedPath(Self.pathPart(of: entry.href)) else { continue }
            if entryPath.hasSuffix("/") { entryPath.removeLast() }
            var parent = collectionPath
            if parent.hasSuffix("/") { parent.removeLast() }
            // The collection itself, or anything that is not a direct member of it.
            guard entryPath.hasPrefix(parent + "/") else { continue }
            let name = String(entryPath.dropFirst(parent.count + 1))
            guard !name.isEmpty, !name.contains("/"), (try? validateStorageKey(path + name)) != nil else { continue }
            members.append(
                Member(
                    name: name, isCollection: entry.isCollection, size: entry.contentLength ?? 0,
                    lastModified: entry.lastModified))
        }
        return members.sorted { $0.sortKey.lexicographicallyPrecedes($1.sortKey) }
    }

    /// The path of an `href`, which may be an absolute URL or a path.
    static func pathPart(of href: String) -> String {
        if href.hasPrefix("/") { return href }
        return URLComponents(string: href)?.percentEncodedPath ?? href
    }

    /// A percent-decoded path.
    static func decodedPath(_ path: String) -> String? { path.removingPercentEncoding }

    /// The properties a listing asks for.
    static let propfindBody = """
        <?xml version="1.0" encoding="utf-8"?>
        <D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/></D:prop></D:propfind>
        """
}
