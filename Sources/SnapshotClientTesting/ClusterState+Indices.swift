import Foundation
import SnapshotClient

extension ClusterState {
    /// Resolves a comma list of index names and patterns; a missing exact name is reported unless ignored.
    func resolveIndices(_ expression: String, ignoreUnavailable: Bool) -> Result<[IndexRecord], SnapshotLookupFailure> {
        var chosen: [IndexRecord] = []
        var seen: Set<String> = []
        for name in expression.split(separator: ",").map(String.init) {
            let isPattern = name.contains("*") || name == "_all"
            let matches = isPattern ? indices.values.filter { globMatches(name, $0.name) } : indices[name].map { [$0] } ?? []
            if matches.isEmpty, !isPattern, !ignoreUnavailable {
                return .failure(SnapshotLookupFailure(response: .indexNotFound(name)))
            }
            for match in matches where seen.insert(match.name).inserted { chosen.append(match) }
        }
        return .success(chosen.sorted { $0.name < $1.name })
    }

    /// The indices a wildcard expression reaches under `expand_wildcards` (exact names are always kept).
    func expanding(_ records: [IndexRecord], expression: String, request: DoubleRequest, default defaultValue: String)
        -> [IndexRecord]
    {
        let values = Set((request.query["expand_wildcards"] ?? defaultValue).split(separator: ",").map(String.init))
        let open = values.contains("open") || values.contains("all")
        let closed = values.contains("closed") || values.contains("all")
        let exact = Set(expression.split(separator: ",").map(String.init))
        return records.filter { exact.contains($0.name) || ($0.isOpen ? open : closed) }
    }

    /// `_cat/indices`: a red (or recovering) or closed index reports `null` counts and sizes. Each listing of a
    /// recovering restored index counts towards its recovery.
    mutating func catIndices(pattern: String, request: DoubleRequest) -> DoubleResponse {
        if request.query["expand_wildcards"] != nil, !isOpenSearch, !behaves(atLeast: 7, 7) {
            return .badRequest("request [/_cat/indices/\(pattern)] contains unrecognized parameter: [expand_wildcards]")
        }
        let resolved = resolveIndices(pattern, ignoreUnavailable: false)
        guard case .success(let all) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        let records = expanding(all, expression: pattern, request: request, default: "all")
        let bytes = request.query["bytes"] == "b"
        func size(_ value: Int64) -> JSONValue { .string(bytes ? String(value) : "\(value)b") }
        let rows: [JSONValue] = records.map { index in
            let known = index.isReadable
            let health: JSONValue = index.isOpen ? .string(index.effectiveHealth.rawValue) : .null
            return [
                "health": health, "status": index.isOpen ? "open" : "close",
                "index": .string(index.name), "uuid": .string(index.uuid), "pri": "1",
                "rep": index.health == .yellow ? "1" : "0",
                "docs.count": known ? .string(String(index.docs)) : .null, "docs.deleted": known ? "0" : .null,
                "store.size": known ? size(index.sizeBytes) : .null,
                "pri.store.size": known ? size(index.sizeBytes) : .null,
            ]
        }
        for record in records {
            guard case .recovering(let left) = record.recovery else { continue }
            indices[record.name]?.recovery = left > 1 ? .recovering(callsLeft: left - 1) : nil
        }
        guard request.query["format"] == "json" else {
            let lines = rows.map { row in
                ["health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted", "store.size", "pri.store.size"]
                    .map { row[$0]?.stringValue ?? "" }.joined(separator: " ")
            }
            return DoubleResponse(
                status: 200, body: Data((lines.joined(separator: "\n") + "\n").utf8), contentType: "text/plain; charset=UTF-8")
        }
        return .ok(.array(rows))
    }

    /// `_cat/allocation`: one row per data node; shards and index bytes are spread over the nodes by index name.
    func catAllocation(_ request: DoubleRequest) -> DoubleResponse {
        let nodes =
            self.nodes ?? [(name: "double-node-1", usedBytes: configuration.diskUsedBytes, totalBytes: configuration.diskTotalBytes)]
        let placed = indices.values.filter(\.isReadable).sorted { $0.name < $1.name }
        var rows: [JSONValue] = []
        for (position, node) in nodes.enumerated() {
            let mine = placed.enumerated().filter { $0.offset % max(nodes.count, 1) == position }.map(\.element)
            let indexBytes = mine.reduce(Int64(0)) { $0 + $1.sizeBytes }
            let percent = node.totalBytes > 0 ? Int64((Double(node.usedBytes) / Double(node.totalBytes) * 100).rounded()) : 0
            rows.append([
                "shards": .string(String(mine.count)), "disk.indices": .string(String(indexBytes)),
                "disk.used": .string(String(node.usedBytes)), "disk.avail": .string(String(max(node.totalBytes - node.usedBytes, 0))),
                "disk.total": .string(String(node.totalBytes)), "disk.percent": .string(String(percent)), "host": "127.0.0.1",
                "ip": "127.0.0.1", "node": .string(node.name),
            ])
        }
        let unassigned = indices.values.filter(\.isOpen).reduce(0) { count, index in
            count + (index.effectiveHealth == .red && !index.isRecovering ? 1 : 0) + (index.health == .yellow ? 1 : 0)
        }
        if unassigned > 0 {
            rows.append([
                "shards": .string(String(unassigned)), "disk.indices": .null, "disk.used": .null, "disk.avail": .null,
                "disk.total": .null, "disk.percent": .null, "host": .null, "ip": .null, "node": "UNASSIGNED",
            ])
        }
        return .ok(.array(rows))
    }

    /// A search or count naming a closed index fails with `index_closed_exception` unless
    /// `ignore_unavailable`; wildcards skip closed indices.
    func closedIndexRefusal(_ expression: String, _ request: DoubleRequest) -> DoubleResponse? {
        guard !request.flag("ignore_unavailable") else { return nil }
        for name in expression.split(separator: ",").map(String.init) {
            if let record = indices[name], !record.isOpen {
                return .error(
                    400, "index_closed_exception", "closed",
                    extra: ["index": .string(name), "index_uuid": .string(record.uuid)])
            }
        }
        return nil
    }

    func count(_ expression: String, _ request: DoubleRequest) -> DoubleResponse {
        if let refusal = closedIndexRefusal(expression, request) { return refusal }
        let resolved = resolveIndices(expression, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let all) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        let records = all.filter(\.isOpen)
        let failed = records.filter { !$0.isReadable }
        if !records.isEmpty, failed.count == records.count { return allShardsFailed(failed) }
        return .ok([
            "count": .int(records.filter(\.isReadable).reduce(0) { $0 + $1.docs }),
            "_shards": shardsHeader(total: Int64(records.count), failed: failed),
        ])
    }

    /// The `_shards` header of a search some of whose shards had no assigned copy.
    func shardsHeader(total: Int64, failed: [IndexRecord]) -> JSONValue {
        var header: [String: JSONValue] = [
            "total": .int(total), "successful": .int(total - Int64(failed.count)), "skipped": 0, "failed": .int(Int64(failed.count)),
        ]
        if !failed.isEmpty {
            header["failures"] = .array(
                failed.map { index in
                    [
                        "shard": 0, "index": .string(index.name), "node": .null,
                        "reason": [
                            "type": "no_shard_available_action_exception", "reason": .null, "index_uuid": .string(index.uuid),
                            "shard": "0", "index": .string(index.name),
                        ],
                    ]
                })
        }
        return .object(header)
    }

    /// A search whose every shard had no assigned copy: 503 `search_phase_execution_exception`.
    func allShardsFailed(_ failed: [IndexRecord]) -> DoubleResponse {
        .error(
            503, "search_phase_execution_exception", "all shards failed",
            extra: [
                "phase": "query", "grouped": true,
                "failed_shards": shardsHeader(total: Int64(failed.count), failed: failed)["failures"] ?? [],
            ])
    }

    func stats(_ expression: String, _ request: DoubleRequest) -> DoubleResponse {
        let resolved = resolveIndices(expression, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        func store(_ bytes: Int64) -> JSONValue { ["store": ["size_in_bytes": .int(bytes)]] }
        var perIndex: [String: JSONValue] = [:]
        for index in records where index.isReadable {
            perIndex[index.name] = ["uuid": .string(index.uuid), "primaries": store(index.sizeBytes), "total": store(index.sizeBytes)]
        }
        let sum = records.filter(\.isReadable).reduce(Int64(0)) { $0 + $1.sizeBytes }
        return .ok([
            "_shards": ["total": .int(Int64(records.count)), "successful": .int(Int64(records.count)), "failed": 0],
            "_all": ["primaries": store(sum), "total": store(sum)], "indices": .object(perIndex),
        ])
    }

    /// Answers the aggregation the client sends: `terms` on `_index` with `min`/`max` sub-aggregations, or
    /// top-level `min`/`max`. Documents are assumed spread over each index's time range.
    func search(_ expression: String, _ request: DoubleRequest) -> DoubleResponse {
        if let refusal = closedIndexRefusal(expression, request) { return refusal }
        let resolved = resolveIndices(expression, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let all) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        let reached = all.filter(\.isOpen)
        // A red index's shard has no assigned copy: it fails, the others answer (all failing is a 503).
        let failed = reached.filter { !$0.isReadable || failingSearches.contains($0.name) }
        if !reached.isEmpty, failed.count == reached.count { return allShardsFailed(failed) }
        let records = reached.filter { $0.isReadable && !failingSearches.contains($0.name) }
        guard let body = request.json else { return .error(400, "parse_exception", "request body is not JSON") }
        let aggregations = (body["aggs"] ?? body["aggregations"])?.objectValue ?? [:]
        var result: [String: JSONValue] = [:]
        for (name, definition) in aggregations {
            guard let answer = aggregate(definition, over: records) else {
                return .error(400, "parsing_exception", "the cluster double does not support aggregation [\(name)]")
            }
            result[name] = answer
        }
        let hits = records.reduce(Int64(0)) { $0 + $1.docs }
        let total: JSONValue = behaves(atLeast: 7, 0) ? ["value": .int(hits), "relation": "eq"] : .int(hits)
        var answer: [String: JSONValue] = [
            "took": 1, "timed_out": false,
            "_shards": shardsHeader(total: Int64(reached.count), failed: failed),
            "hits": ["total": total, "max_score": .null, "hits": []],
        ]
        if !result.isEmpty { answer["aggregations"] = .object(result) }
        return .ok(.object(answer))
    }

    private func aggregate(_ definition: JSONValue, over records: [IndexRecord]) -> JSONValue? {
        if let terms = definition["terms"] {
            guard terms["field"]?.exactString == "_index" else { return nil }
            let subAggregations = (definition["aggs"] ?? definition["aggregations"])?.objectValue ?? [:]
            var buckets: [JSONValue] = []
            for record in records where record.docs > 0 {
                var bucket: [String: JSONValue] = ["key": .string(record.name), "doc_count": .int(record.docs)]
                for (name, sub) in subAggregations {
                    guard let value = aggregate(sub, over: [record]) else { return nil }
                    bucket[name] = value
                }
                buckets.append(.object(bucket))
            }
            return ["doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": .array(buckets)]
        }
        let withDocs = records.filter { $0.docs > 0 }
        if definition["min"] != nil {
            return metric(withDocs.compactMap(\.earliestMillis).min())
        }
        if definition["max"] != nil {
            return metric(withDocs.compactMap(\.latestMillis).max())
        }
        return nil
    }

    private func metric(_ millis: Double?) -> JSONValue {
        guard let millis else { return ["value": .null] }
        return ["value": .double(millis), "value_as_string": .string(Self.iso(Int64(millis)))]
    }

    func exists(_ expression: String) -> DoubleResponse {
        guard case .success(let records) = resolveIndices(expression, ignoreUnavailable: false), !records.isEmpty else {
            return DoubleResponse(status: 404, body: Data())
        }
        return DoubleResponse(status: 200, body: Data())
    }

    mutating func deleteIndices(_ expression: String, _ request: DoubleRequest) -> DoubleResponse {
        let names = expression.split(separator: ",").map(String.init)
        if names.contains(where: { $0.contains("*") || $0 == "_all" }), elasticsearch(atLeast: 8, 0) {
            return .badRequest("Wildcard expressions or all indices are not allowed")
        }
        let resolved = resolveIndices(expression, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        let busy = Set(snapshots.values.flatMap { $0.values.filter(\.isRunning).flatMap { $0.indices.map(\.name) } })
        let blocked = records.filter { busy.contains($0.name) }
        if !blocked.isEmpty {
            let list = blocked.map { "[\($0.name)/\($0.uuid)]" }.joined(separator: ", ")
            let reason =
                "Cannot delete indices that are being snapshotted: [\(list)]. Try again after snapshot finishes or cancel the currently running snapshot."
            return .error(400, behaves(atLeast: 7, 0) ? "snapshot_in_progress_exception" : "illegal_argument_exception", reason)
        }
        for record in records { indices[record.name] = nil }
        return .acknowledged
    }
}
