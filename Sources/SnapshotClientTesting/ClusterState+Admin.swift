import Foundation
import SnapshotClient

/// A document stored through `PUT /{index}/_doc/{id}`.
struct StoredDocument {
    var source: JSONValue
    var version: Int64
}

extension ClusterState {
    // MARK: Aliases

    /// `GET /{index}/_alias`: `{"<index>": {"aliases": {"<alias>": {}}}}`, an empty `aliases` object for an index
    /// without one, `{}` when nothing matches (a missing exact name is a 404 unless `ignore_unavailable`).
    func getAliases(_ expression: String, _ request: DoubleRequest) -> DoubleResponse {
        let resolved = resolveIndices(expression, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let all) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        var body: [String: JSONValue] = [:]
        for index in expanding(all, expression: expression, request: request, default: "all") {
            var aliases: [String: JSONValue] = [:]
            for alias in index.aliases { aliases[alias] = .object([:]) }
            body[index.name] = ["aliases": .object(aliases)]
        }
        return .ok(.object(body))
    }

    // MARK: Settings

    /// Flattens `{"index": {"blocks": {"write": true}}}` to `index.blocks.write`, adding the `index.` prefix
    /// the cluster adds to a key without it; a `null` value is kept to reset the setting.
    static func flatSettings(_ value: JSONValue) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        func walk(_ value: JSONValue, _ prefix: String) {
            if let members = value.objectValue {
                for (key, member) in members { walk(member, prefix.isEmpty ? key : "\(prefix).\(key)") }
            } else {
                result[prefix.hasPrefix("index.") ? prefix : "index.\(prefix)"] = value
            }
        }
        var root = value
        if let members = root.objectValue, members.count == 1, let inner = members["settings"] { root = inner }
        walk(root, "")
        return result
    }

    /// `PUT /{indices}/_settings`: stores the flat keys (a `null` value resets one).
    mutating func putSettings(_ expression: String, _ request: DoubleRequest) -> DoubleResponse {
        let resolved = resolveIndices(expression, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        guard let body = request.json, body.objectValue?.isEmpty == false else {
            return .error(400, "action_request_validation_exception", "Validation Failed: 1: no settings to update;")
        }
        let settings = Self.flatSettings(body)
        let fixed = ["index.number_of_shards", "index.uuid", "index.version.created", "index.creation_date"]
        if let key = fixed.first(where: { settings[$0] != nil }) {
            return .badRequest("final \(records.first.map { "[\($0.name)/\($0.uuid)]" } ?? "") setting [\(key)], not updateable")
        }
        for record in records {
            for (key, value) in settings {
                indices[record.name]?.settings[key] = value == .null ? nil : value.settingText
            }
        }
        return .acknowledged
    }

    // MARK: Documents

    /// `PUT /{index}/_doc/{id}`: creates the index on first use; refused on a closed or write-blocked index.
    mutating func indexDocument(_ index: String, id: String, _ request: DoubleRequest) -> DoubleResponse {
        if !isOpenSearch, !behaves(atLeast: 6, 2) {
            return .error(400, "invalid_type_name_exception", "Document mapping type name can't start with '_', found: [_doc]")
        }
        if index != index.lowercased() || index.hasPrefix("_") || index.hasPrefix("-") || index.hasPrefix("+") {
            return .error(400, "invalid_index_name_exception", "Invalid index name [\(index)], must be lowercase")
        }
        guard let source = request.json, source.objectValue != nil, !request.body.isEmpty else {
            return .error(400, "mapper_parsing_exception", "failed to parse")
        }
        if indices[index] == nil {
            indices[index] = IndexRecord(
                name: index, uuid: nextUUID(), docs: 0, sizeBytes: 208, earliestMillis: nil, latestMillis: nil, isOpen: true)
        }
        guard var record = indices[index] else { return .indexNotFound(index) }
        if !record.isOpen {
            return .error(400, "index_closed_exception", "closed", extra: ["index": .string(index), "index_uuid": .string(record.uuid)])
        }
        if record.isWriteBlocked { return Self.writeBlocked(index) }
        if !record.isReadable {
            return .error(
                503, "unavailable_shards_exception",
                "[\(index)][0] primary shard is not active Timeout: [1m], request: [BulkShardRequest [[\(index)][0]] containing [index {[\(index)][_doc][\(id)]}]]"
            )
        }
        let previous = record.documents[id]
        let version = (previous?.version ?? 0) + 1
        record.documents[id] = StoredDocument(source: source, version: version)
        if previous == nil { record.docs += 1 }
        record.sizeBytes += Int64(request.body.count)
        indices[index] = record
        sequence += 1
        var answer: [String: JSONValue] = [
            "_index": .string(index), "_id": .string(id), "_version": .int(version),
            "result": previous == nil ? "created" : "updated", "_shards": ["total": 1, "successful": 1, "failed": 0],
            "_seq_no": .int(Int64(sequence)), "_primary_term": 1,
        ]
        if !behaves(atLeast: 8, 0) || isOpenSearch { answer["_type"] = "_doc" }
        if request.query["refresh"] == "true" { answer["forced_refresh"] = true }
        return .json(previous == nil ? 201 : 200, .object(answer))
    }

    /// The answer to a write on an index with `index.blocks.write: true`.
    static func writeBlocked(_ index: String) -> DoubleResponse {
        .error(403, "cluster_block_exception", "index [\(index)] blocked by: [FORBIDDEN/8/index write (api)];")
    }

    /// `GET|POST /{index}/_mget` with `{"ids": […]}` or `{"docs": [{"_id": …}]}`: each document found, not found,
    /// or an `error` entry (a missing, closed or red index).
    func multiGet(_ index: String, _ request: DoubleRequest) -> DoubleResponse {
        guard let body = request.json else { return .error(400, "parse_exception", "request body is not JSON") }
        var ids = body["ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        ids += (body["docs"]?.arrayValue ?? []).compactMap { $0["_id"]?.stringValue }
        guard !ids.isEmpty else {
            return .error(400, "action_request_validation_exception", "Validation Failed: 1: no documents to get;")
        }
        let record = indices[index]
        var docs: [JSONValue] = []
        for id in ids {
            var entry: [String: JSONValue] = ["_index": .string(index), "_id": .string(id)]
            if !behaves(atLeast: 8, 0) || isOpenSearch { entry["_type"] = "_doc" }
            guard let record else {
                entry["error"] = [
                    "root_cause": [["type": "index_not_found_exception", "reason": .string("no such index [\(index)]")]],
                    "type": "index_not_found_exception", "reason": .string("no such index [\(index)]"), "index": .string(index),
                ]
                docs.append(.object(entry))
                continue
            }
            if !record.isOpen || !record.isReadable {
                let type = record.isOpen ? "no_shard_available_action_exception" : "index_closed_exception"
                let reason = record.isOpen ? "No shard available for [get [\(index)][\(id)]]" : "closed"
                entry["error"] = [
                    "root_cause": [["type": .string(type), "reason": .string(reason)]], "type": .string(type), "reason": .string(reason),
                ]
            } else if let document = record.documents[id] {
                entry["_version"] = .int(document.version)
                entry["_seq_no"] = .int(document.version - 1)
                entry["_primary_term"] = 1
                entry["found"] = true
                entry["_source"] = document.source
            } else {
                entry["found"] = false
            }
            docs.append(.object(entry))
        }
        return .ok(["docs": .array(docs)])
    }

    // MARK: Shards

    /// `_cat/shards/{index}`: one primary per open index (and an unassigned replica for a yellow one), in the
    /// state its health or restore gives it. Closed indices are not listed.
    func catShards(pattern: String, request: DoubleRequest) -> DoubleResponse {
        let resolved = resolveIndices(pattern, ignoreUnavailable: false)
        guard case .success(let records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        var rows: [[String: JSONValue]] = []
        for index in records where index.isOpen {
            var primary: [String: JSONValue] = [
                "index": .string(index.name), "shard": "0", "prirep": "p", "state": "STARTED",
                "docs": .string(String(index.docs)), "store": .string(String(index.sizeBytes)), "ip": "127.0.0.1",
                "node": "double-node-1", "unassigned.reason": .null, "unassigned.details": .null,
            ]
            func unassigned(_ state: String, _ reason: String, _ details: String?) {
                primary["state"] = .string(state)
                primary["docs"] = .null
                primary["store"] = .null
                if state == "UNASSIGNED" {
                    primary["ip"] = .null
                    primary["node"] = .null
                }
                primary["unassigned.reason"] = .string(reason)
                primary["unassigned.details"] = details.map { .string($0) } ?? .null
            }
            switch index.recovery {
            case .recovering?: unassigned("INITIALIZING", "NEW_INDEX_RESTORED", nil)
            case .failed(let details)?: unassigned("UNASSIGNED", "ALLOCATION_FAILED", details)
            case nil where index.health == .red: unassigned("UNASSIGNED", "NODE_LEFT", "node_left [double-node-id-2]")
            case nil: break
            }
            rows.append(primary)
            if index.health == .yellow {
                rows.append([
                    "index": .string(index.name), "shard": "0", "prirep": "r", "state": "UNASSIGNED", "docs": .null,
                    "store": .null, "ip": .null, "node": .null, "unassigned.reason": "NODE_LEFT",
                    "unassigned.details": "node_left [double-node-id-2]",
                ])
            }
        }
        let columns = request.query["h"].map { $0.split(separator: ",").map(String.init) }
        let shown: [JSONValue] = rows.map { row in
            guard let columns else { return .object(row) }
            var picked: [String: JSONValue] = [:]
            for column in columns { picked[column] = row[column] ?? .null }
            return .object(picked)
        }
        guard request.query["format"] == "json" else {
            let order = columns ?? ["index", "shard", "prirep", "state", "docs", "store", "ip", "node"]
            let lines = rows.map { row in order.map { row[$0]?.stringValue ?? "" }.joined(separator: " ") }
            return DoubleResponse(
                status: 200, body: Data((lines.joined(separator: "\n") + "\n").utf8), contentType: "text/plain; charset=UTF-8")
        }
        return .ok(.array(shown))
    }
}
