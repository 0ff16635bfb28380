public import Foundation

extension SnapshotClient {
    /// Counts an index's documents (`GET /{index}/_count`).
    /// - Throws: `indexNotFound` when it does not exist.
    public func documentCount(of index: String) async throws -> Int64 {
        try NameValidation.validateIndex(index)
        let action = "count documents of index '\(index)'"
        let response = try await send(.count, parts: ["index": index], action: action)
        guard let count = try response.requireJSON(action)["count"]?.int64Value else {
            throw SnapshotClientError(code: .invalidResponse, message: "\(action): the answer has no 'count'")
        }
        return count
    }

    /// The primary store size of one index in bytes (`GET /{index}/_stats/store`).
    public func primaryStoreSize(of index: String) async throws -> Int64 {
        let sizes = try await primaryStoreSizes(of: [index])
        guard let size = sizes[index] else {
            throw SnapshotClientError(code: .indexNotFound, message: "store size of index '\(index)': the cluster did not report it")
        }
        return size
    }

    /// Primary store sizes of several indices in bytes, a few requests for many indices (URLs kept short).
    public func primaryStoreSizes(of indices: [String], maximumURLLength: Int = 3000) async throws -> [String: Int64] {
        for index in indices { try NameValidation.validateIndex(index) }
        var sizes: [String: Int64] = [:]
        for batch in Self.chunks(indices, budget: maximumURLLength - target.redactedBase.utf8.count - 20) {
            let action = "read store size of \(Self.describe(batch))"
            let response = try await send(
                .indexStats, parts: ["index": batch.joined(separator: ","), "metric": "store"], action: action)
            for (name, entry) in try response.requireJSON(action)["indices"]?.objectValue ?? [:] {
                if let size = entry["primaries"]?["store"]?["size_in_bytes"]?.int64Value { sizes[name] = size }
            }
        }
        return sizes
    }

    /// Document counts and the earliest/latest value of a time field for several indices, in one search per
    /// URL-length chunk (a `terms` aggregation on `_index` with `min`/`max` sub-aggregations).
    /// - Parameters:
    ///   - indices: Exact index names.
    ///   - timeField: The date field, e.g. `@timestamp`.
    /// - Returns: Facts for every requested index (zero documents and no range for empty ones; `searchFailed`
    ///   for an index a shard failure hid, as the cluster lists in `_shards.failures`).
    /// - Throws: `indexNotFound` when one does not exist.
    public func indexFacts(of indices: [String], timeField: String, maximumURLLength: Int = 3000) async throws -> [String: IndexFacts] {
        for index in indices { try NameValidation.validateIndex(index) }
        var facts: [String: IndexFacts] = [:]
        for index in indices { facts[index] = IndexFacts(index: index, documentCount: 0, earliest: nil, latest: nil) }
        for batch in Self.chunks(indices, budget: maximumURLLength - target.redactedBase.utf8.count - 20) {
            let action = "read time range of \(Self.describe(batch)) on field '\(timeField)'"
            let body: JSONValue = [
                "size": 0,
                "query": ["match_all": [:]],
                "aggs": [
                    "per_index": [
                        "terms": ["field": "_index", "size": .int(Int64(batch.count))],
                        "aggs": [
                            "earliest": ["min": ["field": .string(timeField)]],
                            "latest": ["max": ["field": .string(timeField)]],
                        ],
                    ]
                ],
            ]
            let response = try await send(.search, parts: ["index": batch.joined(separator: ",")], body: body, action: action)
            Self.readFacts(fromSearch: try response.requireJSON(action), into: &facts)
        }
        return facts
    }

    /// Reads the `per_index` terms aggregation of an ``indexFacts(of:timeField:maximumURLLength:)`` search into
    /// `facts`, and marks the indices a shard failure hid.
    package static func readFacts(fromSearch json: JSONValue, into facts: inout [String: IndexFacts]) {
        let buckets = json["aggregations"]?["per_index"]?["buckets"]?.arrayValue ?? []
        for bucket in buckets {
            guard let name = bucket["key"]?.stringValue else { continue }
            func date(_ key: String) -> Date? {
                bucket[key]?["value"]?.doubleValue.map { Date(timeIntervalSince1970: $0 / 1000) }
            }
            facts[name] = IndexFacts(
                index: name, documentCount: bucket["doc_count"]?.int64Value ?? 0, earliest: date("earliest"),
                latest: date("latest"))
        }
        // A failed shard hides its documents: its index's facts are unknown, not empty.
        for failure in json["_shards"]?["failures"]?.arrayValue ?? [] {
            if let name = failure["index"]?.stringValue, facts[name] != nil { facts[name]?.searchFailed = true }
        }
    }

    /// The earliest and latest value of a time field in one index; `nil` when it is empty.
    public func timeRange(of index: String, field: String) async throws -> ClosedRange<Date>? {
        try await indexFacts(of: [index], timeField: field)[index]?.timeRange
    }

    /// Lists indices matching a pattern (`GET /_cat/indices/{pattern}?format=json&bytes=b`), sorted by name.
    public func indices(matching pattern: String = "*") async throws -> [IndexSummary] {
        try NameValidation.validatePattern(pattern, kind: "index")
        let action = "list indices matching '\(pattern)'"
        let response = try await send(
            .catIndices, parts: ["index": pattern], query: [("format", "json"), ("bytes", "b")], action: action,
            acceptedStatuses: [404])
        if response.status == 404 { return [] }
        return try IndexSummary.list(from: response.requireJSON(action)).sorted { $0.name < $1.name }
    }

    /// Lists the open and closed indices matching any of several names or patterns, sorted by name.
    ///
    /// One `GET /_cat/indices/{p1},{p2}?format=json&bytes=b&expand_wildcards=open,closed`; Elasticsearch before
    /// 7.7 refuses `expand_wildcards` and lists closed indices anyway, so it is sent only to clusters that accept it
    /// (the version is read once with ``info()``). A closed index is listed with `status: close`; a closed or red
    /// index has `nil` counts (see ``IndexSummary/isReadable``), never zero.
    /// - Parameter patterns: Names or `*` patterns; an empty list matches nothing.
    /// - Returns: The matching indices; `[]` when none matches. When an exact name does not exist the cluster
    ///   answers 404 for the whole list: the client then asks once per pattern and keeps what exists.
    public func indices(matchingAny patterns: [String]) async throws -> [IndexSummary] {
        for pattern in patterns { try NameValidation.validatePattern(pattern, kind: "index") }
        let unique = Array(Set(patterns)).sorted()
        guard !unique.isEmpty else { return [] }
        let info = try await clusterInfo()
        var query: [(String, String)] = [("format", "json"), ("bytes", "b")]
        let expand = Endpoint.catIndices.parameters.first { $0.name == "expand_wildcards" }
        if expand?.isAccepted(by: info.distribution, version: info.version) == true {
            query.append(("expand_wildcards", "open,closed"))
        }
        func list(_ group: [String]) async throws -> [IndexSummary]? {
            let action = "list indices matching \(group.map { "'\($0)'" }.joined(separator: ", "))"
            let response = try await send(
                .catIndices, parts: ["index": group.joined(separator: ",")], query: query, action: action,
                acceptedStatuses: [404])
            if response.status == 404 { return nil }
            return try IndexSummary.list(from: response.requireJSON(action))
        }
        var rows: [String: IndexSummary] = [:]
        if let all = try await list(unique) {
            for row in all { rows[row.name] = row }
        } else if unique.count > 1 {
            for pattern in unique {
                for row in try await list([pattern]) ?? [] { rows[row.name] = row }
            }
        }
        return rows.values.sorted { $0.name < $1.name }
    }

    /// The disk use of every data node (`GET /_cat/allocation?format=json&bytes=b`).
    public func diskAllocation() async throws -> DiskAllocation {
        let action = "read disk allocation"
        let response = try await send(.catAllocation, query: [("format", "json"), ("bytes", "b")], action: action)
        return try DiskAllocation.decode(from: response.requireJSON(action))
    }

    /// Whether an index (or alias) exists (`HEAD /{index}`).
    public func indexExists(_ index: String) async throws -> Bool {
        try NameValidation.validateIndex(index)
        let response = try await send(
            .indexExists, parts: ["index": index], action: "check index '\(index)'", acceptedStatuses: [404])
        return response.status == 200
    }

    /// Deletes indices by exact name, several per request with each URL at most `maximumURLLength` bytes.
    /// - Parameters:
    ///   - names: Exact names; wildcards, lists and `_all` are refused.
    ///   - ignoreMissing: Skip names that do not exist instead of failing with `indexNotFound`.
    /// - Throws: `invalidName`, `indexNotFound`, `snapshotInProgress` (an index is being snapshotted).
    public func deleteIndices(_ names: [String], ignoreMissing: Bool = false, maximumURLLength: Int = 3000) async throws {
        for name in names { try NameValidation.validateIndex(name) }
        let unique = Array(Set(names)).sorted()
        let query: [(String, String)] = ignoreMissing ? [("ignore_unavailable", "true")] : []
        let reserve = target.redactedBase.utf8.count + 1 + (ignoreMissing ? "?ignore_unavailable=true".utf8.count : 0)
        for batch in Self.chunks(unique, budget: maximumURLLength - reserve) {
            _ = try await send(
                .deleteIndices, parts: ["index": batch.joined(separator: ",")], query: query,
                action: "delete \(Self.describe(batch))")
        }
    }

    static func describe(_ indices: [String]) -> String {
        switch indices.count {
        case 0: "no index"
        case 1: "index '\(indices[0])'"
        case 2...3: "indices " + indices.map { "'\($0)'" }.joined(separator: ", ")
        default: "\(indices.count) indices ('\(indices[0])' … '\(indices[indices.count - 1])')"
        }
    }
}
