import Foundation
public import SnapshotClient

/// A request the ``ClusterDouble`` received, for tests that count or inspect requests.
public struct RecordedRequest: Hashable, Sendable, CustomStringConvertible {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The decoded path, e.g. `/_snapshot/repo/snap`.
    public var path: String
    /// The query parameters.
    public var query: [String: String]
    /// The request body as UTF-8 text (empty when there was none).
    public var body: String

    /// Creates a record.
    public init(method: String, path: String, query: [String: String], body: String = "") {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }

    /// The body as JSON, or `nil` when it is empty or not JSON.
    public var json: JSONValue? { JSONValue.parse(Data(body.utf8)) }

    public var description: String {
        let text = query.keys.sorted().map { "\($0)=\(query[$0] ?? "")" }.joined(separator: "&")
        return text.isEmpty ? "\(method) \(path)" : "\(method) \(path)?\(text)"
    }
}
