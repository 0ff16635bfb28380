extension SnapshotClient {
    /// The aliases of the open and closed indices matching any of several names or patterns
    /// (`GET /{p1},{p2}/_alias?expand_wildcards=open,closed&ignore_unavailable=true`, one request).
    /// - Parameter patterns: Index names or `*` patterns; an empty list matches nothing.
    /// - Returns: Each matching index with its alias names, sorted (an index without aliases maps to `[]`);
    ///   `[:]` when nothing matches (a 404, as some versions answer, included).
    public func aliases(ofIndicesMatching patterns: [String]) async throws -> [String: [String]] {
        for pattern in patterns { try NameValidation.validatePattern(pattern, kind: "index") }
        let unique = Array(Set(patterns)).sorted()
        guard !unique.isEmpty else { return [:] }
        let action = "read the aliases of indices matching \(unique.map { "'\($0)'" }.joined(separator: ", "))"
        let response = try await send(
            .getAliases, parts: ["index": unique.joined(separator: ",")],
            query: [("expand_wildcards", "open,closed"), ("ignore_unavailable", "true")], action: action,
            acceptedStatuses: [404])
        if response.status == 404 { return [:] }
        guard let indices = try response.requireJSON(action).objectValue else {
            throw SnapshotClientError(code: .invalidResponse, message: "\(action): the answer is not a JSON object")
        }
        var result: [String: [String]] = [:]
        for (index, entry) in indices {
            // 404 bodies of some versions carry `error`/`status` beside the indices.
            guard let aliases = entry["aliases"]?.objectValue else { continue }
            result[index] = aliases.keys.sorted()
        }
        return result
    }

    /// Sets `index.blocks.write: true` on indices so nothing more is written to them
    /// (`PUT /{i1,i2,…}/_settings`, several per request with each URL at most `maximumURLLength` bytes).
    /// - Parameter indices: Exact index names; wildcards and lists are refused.
    /// - Throws: `invalidName` before sending, `indexNotFound` when one does not exist.
    public func blockWrites(to indices: [String], maximumURLLength: Int = 3000) async throws {
        for index in indices { try NameValidation.validateIndex(index) }
        let unique = Array(Set(indices)).sorted()
        let reserve = target.redactedBase.utf8.count + "/_settings".utf8.count + 1
        let body: JSONValue = ["index": ["blocks": ["write": true]]]
        for batch in Self.chunks(unique, budget: maximumURLLength - reserve) {
            _ = try await send(
                .putIndexSettings, parts: ["index": batch.joined(separator: ",")], body: body,
                action: "block writes to \(Self.describe(batch))")
        }
    }

    /// Stores a document under an id, replacing any document with that id
    /// (`PUT /{index}/_doc/{id}?refresh=true`). The cluster creates the index on first use.
    ///
    /// Elasticsearch 6.x accepts `_doc` as the type name from 6.2 on; 6.0 and 6.1 need an index created with a
    /// `_doc` mapping type.
    /// - Parameters:
    ///   - source: The document.
    ///   - id: Its id (any text; percent-encoded in the URL).
    ///   - index: The exact index name.
    ///   - refresh: Make the document visible to searches and `_cat/indices` before returning.
    public func putDocument(_ source: JSONValue, id: String, in index: String, refresh: Bool = true) async throws {
        try NameValidation.validateIndex(index)
        let action = "store document '\(id)' in index '\(index)'"
        guard !id.isEmpty, id.utf8.count <= 512 else {
            throw SnapshotClientError(code: .invalidRequest, message: "\(action): a document id must be 1 to 512 bytes")
        }
        guard source.objectValue != nil else {
            throw SnapshotClientError(code: .invalidRequest, message: "\(action): a document must be a JSON object")
        }
        _ = try await send(
            .indexDocument, parts: ["index": index, "id": id], query: refresh ? [("refresh", "true")] : [], body: source,
            action: action)
    }

    /// Reads documents by id (`POST /{index}/_mget` with `{"ids": […]}`).
    /// - Returns: The `_source` of each document found, keyed by id; ids not found are absent, and an index that
    ///   does not exist gives `[:]` (whether the cluster answers 404 or per-document `index_not_found_exception`).
    public func documents(ids: [String], in index: String) async throws -> [String: JSONValue] {
        try NameValidation.validateIndex(index)
        let unique = Array(Set(ids)).sorted()
        guard !unique.isEmpty else { return [:] }
        let action = "read \(unique.count) document(s) of index '\(index)'"
        let response = try await send(
            .multiGet, parts: ["index": index], body: ["ids": .array(unique.map { .string($0) })], action: action,
            acceptedStatuses: [404])
        if response.status == 404 { return [:] }
        var result: [String: JSONValue] = [:]
        for doc in try response.requireJSON(action)["docs"]?.arrayValue ?? [] {
            if let error = doc["error"] {
                let type = error["type"]?.stringValue ?? error["root_cause"]?.arrayValue?.first?["type"]?.stringValue
                if type == "index_not_found_exception" { continue }
                throw SnapshotClientError(
                    code: .cluster, message: "\(action): \(error["reason"]?.stringValue ?? type ?? "document error")",
                    status: response.status, type: type, reason: error["reason"]?.stringValue)
            }
            guard doc["found"]?.boolValue == true, let id = doc["_id"]?.stringValue, let source = doc["_source"] else { continue }
            result[id] = source
        }
        return result
    }

    /// Lists the shard copies of the indices matching a pattern, primaries and replicas
    /// (`GET /_cat/shards/{pattern}?format=json&h=index,shard,prirep,state,docs,unassigned.reason,unassigned.details`).
    /// - Returns: The copies sorted by index, shard and primary first; `[]` when nothing matches.
    public func shards(matching pattern: String) async throws -> [ShardSummary] {
        try NameValidation.validatePattern(pattern, kind: "index")
        let action = "list the shards of indices matching '\(pattern)'"
        let response = try await send(
            .catShards, parts: ["index": pattern],
            query: [("format", "json"), ("h", "index,shard,prirep,state,docs,unassigned.reason,unassigned.details")],
            action: action, acceptedStatuses: [404])
        if response.status == 404 { return [] }
        return try ShardSummary.list(from: response.requireJSON(action))
    }
}
