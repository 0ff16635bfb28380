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

    func catIndices(pattern: String, request: DoubleRequest) -> DoubleResponse {
        let resolved = resolveIndices(pattern, ignoreUnavailable: false)
        guard case .success(let records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        let bytes = request.query["bytes"] == "b"
        func size(_ value: Int64) -> JSONValue { .string(bytes ? String(value) : "\(value)b") }
        let rows: [JSONValue] = records.map { index in
            [
                "health": index.isOpen ? "green" : .null, "status": index.isOpen ? "open" : "close",
                "index": .string(index.name), "uuid": .string(index.uuid), "pri": "1", "rep": "0",
                "docs.count": index.isOpen ? .string(String(index.docs)) : .null, "docs.deleted": index.isOpen ? "0" : .null,
                "store.size": index.isOpen ? size(index.sizeBytes) : .null,
                "pri.store.size": index.isOpen ? size(index.sizeBytes) : .null,
            ]
        }
        guard request.query["format"] == "json" else {
            let lines = records.map {
                "\($0.isOpen ? "green" : "") \($0.isOpen ? "open" : "close") \($0.name) \($0.uuid) 1 0 \($0.docs) 0 \($0.sizeBytes)b \($0.sizeBytes)b"
            }
            return DoubleResponse(
                status: 200, body: Data((lines.joined(separator: "\n") + "\n").utf8), contentType: "text/plain; charset=UTF-8")
        }
        return .ok(.array(rows))
    }

    func catAllocation(_ request: DoubleRequest) -> DoubleResponse {
        let used = configuration.diskUsedBytes
        let total = configuration.diskTotalBytes
        let indexBytes = indices.values.filter(\.isOpen).reduce(Int64(0)) { $0 + $1.sizeBytes }
        let percent = total > 0 ? Int64((Double(used) / Double(total) * 100).rounded()) : 0
        let row: JSONValue = [
            "shards": .string(String(indices.values.filter(\.isOpen).count)), "disk.indices": .string(String(indexBytes)),
            "disk.used": .string(String(used)), "disk.avail": .string(String(max(total - used, 0))),
            "disk.total": .string(String(total)), "disk.percent": .string(String(percent)), "host": "127.0.0.1",
            "ip": "127.0.0.1", "node": "double-node-1",
        ]
        return .ok([row])
    }

    func count(_ expression: String, _ request: DoubleRequest) -> DoubleResponse {
        let resolved = resolveIndices(expression, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        let shards = Int64(records.count)
        return .ok([
            "count": .int(records.filter(\.isOpen).reduce(0) { $0 + $1.docs }),
            "_shards": ["total": .int(shards), "successful": .int(shards), "skipped": 0, "failed": 0],
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
        for index in records where index.isOpen {
            perIndex[index.name] = ["uuid": .string(index.uuid), "primaries": store(index.sizeBytes), "total": store(index.sizeBytes)]
        }
        let sum = records.filter(\.isOpen).reduce(Int64(0)) { $0 + $1.sizeBytes }
        return .ok([
            "_shards": ["total": .int(Int64(records.count)), "successful": .int(Int64(records.count)), "failed": 0],
            "_all": ["primaries": store(sum), "total": store(sum)], "indices": .object(perIndex),
        ])
    }

    /// Answers the aggregation the client sends: `terms` on `_index` with `min`/`max` sub-aggregations, or
    /// top-level `min`/`max`. Documents are assumed spread over each index's time range.
    func search(_ expression: String, _ request: DoubleRequest) -> DoubleResponse {
        let resolved = resolveIndices(expression, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let all) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        let records = all.filter(\.isOpen)
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
            "_shards": ["total": .int(Int64(records.count)), "successful": .int(Int64(records.count)), "skipped": 0, "failed": 0],
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
