import Foundation
import SnapshotClient

/// A request as the double's router sees it.
struct DoubleRequest: Sendable {
    var method: String
    var path: String
    var segments: [String]
    var query: [String: String]
    var authorization: String?
    var body: Data

    /// The body as JSON: an empty object when there is none, `nil` when it is not JSON.
    var json: JSONValue? {
        if body.isEmpty { return .object([:]) }
        return JSONValue.parse(body)
    }

    func flag(_ name: String) -> Bool { query[name] == "true" || query[name] == "" }
}

/// A response the double sends.
struct DoubleResponse: Sendable {
    var status: Int
    var body: Data
    var contentType: String = "application/json; charset=UTF-8"
    var headers: [(String, String)] = []

    static func json(_ status: Int, _ value: JSONValue) -> DoubleResponse {
        DoubleResponse(status: status, body: (try? value.encoded()) ?? Data("{}".utf8))
    }

    static func ok(_ value: JSONValue) -> DoubleResponse { json(200, value) }

    static let acknowledged = ok(["acknowledged": true])

    /// The error envelope Elasticsearch and OpenSearch use.
    static func error(_ status: Int, _ type: String, _ reason: String, extra: [String: JSONValue] = [:]) -> DoubleResponse {
        var cause: [String: JSONValue] = ["type": .string(type), "reason": .string(reason)]
        cause.merge(extra) { _, new in new }
        var error = cause
        error["root_cause"] = .array([.object(cause)])
        return json(status, ["error": .object(error), "status": .int(Int64(status))])
    }

    static func indexNotFound(_ index: String) -> DoubleResponse {
        error(
            404, "index_not_found_exception", "no such index [\(index)]",
            extra: ["index": .string(index), "resource.id": .string(index), "resource.type": "index_or_alias", "index_uuid": "_na_"])
    }

    static func snapshotMissing(_ repository: String, _ snapshot: String) -> DoubleResponse {
        error(404, "snapshot_missing_exception", "[\(repository):\(snapshot)] is missing")
    }

    static func repositoryMissing(_ repository: String) -> DoubleResponse {
        error(404, "repository_missing_exception", "[\(repository)] missing")
    }

    static func badRequest(_ reason: String) -> DoubleResponse {
        error(400, "illegal_argument_exception", reason)
    }
}

/// Shell-style matching with `*` only, as index and snapshot patterns use it.
func globMatches(_ pattern: String, _ name: String) -> Bool {
    if pattern == "_all" || pattern == "*" { return true }
    guard pattern.contains("*") else { return pattern == name }
    let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
    var rest = Substring(name)
    for (offset, part) in parts.enumerated() {
        if offset == 0 {
            guard rest.hasPrefix(part) else { return false }
            rest = rest.dropFirst(part.count)
        } else if offset == parts.count - 1 {
            return part.isEmpty || rest.hasSuffix(part)
        } else if !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
    }
    return rest.isEmpty
}
