import Foundation
import SnapshotClient

extension ClusterState {
    // MARK: Create

    mutating func createSnapshot(repository: String, name: String, _ request: DoubleRequest) -> DoubleResponse {
        guard repositories[repository] != nil else { return .repositoryMissing(repository) }
        if let problem = Self.snapshotNameProblem(name) {
            return .error(400, "invalid_snapshot_name_exception", "[\(repository):\(name)] Invalid snapshot name [\(name)], \(problem)")
        }
        if let existing = snapshots[repository]?[name] {
            let what = existing.isRunning ? "is already in-progress" : "already exists"
            return .error(
                400, "invalid_snapshot_name_exception",
                "[\(repository):\(name)] Invalid snapshot name [\(name)], snapshot with the same name \(what)")
        }
        if !allowsConcurrentSnapshots, snapshots.values.contains(where: { $0.values.contains(where: \.isRunning) }) {
            return .error(503, "concurrent_snapshot_execution_exception", "[\(repository):\(name)] a snapshot is already running")
        }
        if !allowsConcurrentSnapshots, deletionInProgress {
            return .error(
                503, "concurrent_snapshot_execution_exception",
                "[\(repository):\(name)] cannot snapshot while a snapshot deletion is in-progress")
        }
        guard let body = request.json else { return .error(400, "parse_exception", "request body is required") }
        var metadata: JSONValue?
        if let given = body["metadata"], given != .null, behaves(atLeast: 7, 3) {
            let size = (try? given.encoded().count) ?? 0
            if size >= ClusterState.maximumMetadataBytes {
                return .error(
                    400, "action_request_validation_exception",
                    "Validation Failed: 1: metadata must be smaller than \(ClusterState.maximumMetadataBytes) bytes, but was [\(size)];")
            }
            metadata = given
        }
        let ignoreUnavailable = body["ignore_unavailable"]?.strictBool ?? false
        let patterns = body["indices"]?.listValue ?? []
        var chosen: [IndexRecord] = []
        if patterns.isEmpty || patterns == ["_all"] {
            chosen = indices.values.filter(\.isOpen)
        } else {
            for pattern in patterns {
                // An exact name is a lookup; only a pattern scans every index.
                let matches =
                    pattern.contains("*") ? indices.values.filter { globMatches(pattern, $0.name) } : indices[pattern].map { [$0] } ?? []
                if matches.isEmpty, !pattern.contains("*"), !ignoreUnavailable { return .indexNotFound(pattern) }
                chosen += matches.filter { candidate in !chosen.contains(where: { $0.name == candidate.name }) }
            }
        }
        chosen.sort { $0.name < $1.name }
        // A red index has no primary to copy: refused, or a failed shard of a partial snapshot.
        let unavailable = chosen.filter { $0.isOpen && !$0.isReadable }.map(\.name)
        let partial = body["partial"]?.strictBool ?? false
        if !unavailable.isEmpty, !partial {
            return .error(
                500, "snapshot_exception",
                "[\(repository):\(name)] Indices don't have primary shards [\(unavailable.joined(separator: ", "))]")
        }
        var outcome = configuration.snapshotOutcomes[name]?.uppercased() ?? "SUCCESS"
        if !unavailable.isEmpty, outcome == "SUCCESS" { outcome = "PARTIAL" }
        let waits = request.flag("wait_for_completion")
        var polls = 0
        if case .afterPolls(let count) = configuration.snapshotCompletion { polls = max(count, 0) }
        sequence += 1
        var record = SnapshotRecord(
            name: name, uuid: nextUUID(), indices: chosen, state: "IN_PROGRESS", outcome: outcome, pollsLeft: polls,
            startMillis: nowMillis, endMillis: nil, includeGlobalState: body["include_global_state"]?.strictBool ?? true,
            metadata: metadata, order: sequence, held: snapshotsHeld, failedIndices: unavailable)
        // A held snapshot cannot finish while this request waits: the double answers as if accepted.
        if !record.held, waits || polls == 0 { finish(&record) }
        snapshots[repository, default: [:]][name] = record
        if waits, !record.held { return .ok(["snapshot": snapshotJSON(record, repository: repository)]) }
        return .ok(["accepted": true])
    }

    /// Elasticsearch refuses snapshot metadata whose JSON is this long or longer.
    static let maximumMetadataBytes = 1024

    static func snapshotNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "cannot be empty" }
        if name.contains("#") { return "must not contain '#'" }
        if name.hasPrefix("_") { return "must not start with '_'" }
        if name != name.lowercased() { return "must be lowercase" }
        let forbidden: Set<Character> = ["\\", "/", "*", "?", "\"", "<", ">", "|", " ", ","]
        if name.contains(where: { forbidden.contains($0) }) {
            return "must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]"
        }
        return nil
    }

    mutating func finish(_ record: inout SnapshotRecord) {
        record.state = record.outcome
        record.endMillis = max(nowMillis, record.startMillis)
        record.pollsLeft = 0
    }

    /// A read of a running snapshot counts as a poll; the configured number of polls finishes it.
    mutating func poll(repository: String, name: String) {
        guard var record = snapshots[repository]?[name], record.isRunning, !record.held else { return }
        if record.pollsLeft > 0 {
            record.pollsLeft -= 1
        } else {
            finish(&record)
        }
        snapshots[repository]?[name] = record
    }

    mutating func completeRunningSnapshots() {
        for (repository, records) in snapshots {
            for (name, var record) in records where record.isRunning {
                record.held = false
                finish(&record)
                snapshots[repository]?[name] = record
            }
        }
        deletionRequestsLeft = 0
    }

    /// Lets held snapshots finish at their next poll (or holds later ones).
    mutating func holdSnapshots(_ hold: Bool) {
        snapshotsHeld = hold
        guard !hold else { return }
        for (repository, records) in snapshots {
            for (name, record) in records where record.held {
                snapshots[repository]?[name]?.held = false
                snapshots[repository]?[name]?.pollsLeft = 0
            }
        }
    }

    // MARK: Read

    /// Resolves a comma list of names and patterns; a missing exact name is a 404 unless ignored.
    func resolve(repository: String, names: String, ignoreUnavailable: Bool) -> Result<[SnapshotRecord], SnapshotLookupFailure> {
        guard let records = snapshots[repository], repositories[repository] != nil else {
            return .failure(SnapshotLookupFailure(response: .repositoryMissing(repository)))
        }
        var chosen: [SnapshotRecord] = []
        for name in names.split(separator: ",").map(String.init) {
            if name == "_current" {
                chosen += records.values.filter(\.isRunning)
                continue
            }
            let matches = records.values.filter { globMatches(name, $0.name) }
            if matches.isEmpty, !name.contains("*"), name != "_all", !ignoreUnavailable {
                return .failure(SnapshotLookupFailure(response: .snapshotMissing(repository, name)))
            }
            chosen += matches.filter { match in !chosen.contains(where: { $0.name == match.name }) }
        }
        return .success(chosen.sorted { ($0.startMillis, $0.order) < ($1.startMillis, $1.order) })
    }

    mutating func getSnapshots(repository: String, names: String, _ request: DoubleRequest) -> DoubleResponse {
        let pagingKeys = ["size", "sort", "order", "after", "offset", "from_sort_value"]
        let supported: Set<String> =
            elasticsearch(atLeast: 7, 16)
            ? ["size", "sort", "order", "after", "offset", "from_sort_value"]
            : elasticsearch(atLeast: 7, 14) ? ["size", "sort", "order", "after"] : []
        let unknown = pagingKeys.filter { request.query[$0] != nil && !supported.contains($0) }
        if !unknown.isEmpty {
            return .badRequest("request [\(request.path)] contains unrecognized parameters: [\(unknown.joined(separator: ", "))]")
        }
        for record in (try? resolve(repository: repository, names: names, ignoreUnavailable: true).get()) ?? [] {
            poll(repository: repository, name: record.name)
        }
        let resolved = resolve(repository: repository, names: names, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(var records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        records = sortSnapshots(records, by: request.query["sort"] ?? "start_time", descending: request.query["order"] == "desc")
        let total = records.count
        var start = Int(request.query["offset"] ?? "") ?? 0
        if let after = request.query["after"] {
            guard let decoded = Data(base64Encoded: after).flatMap({ String(data: $0, encoding: .utf8) }),
                decoded.hasPrefix("position:"), let position = Int(decoded.dropFirst("position:".count))
            else { return .badRequest("invalid after parameter [\(after)]") }
            start = position
        }
        start = min(max(start, 0), total)
        var end = total
        if let size = Int(request.query["size"] ?? ""), size > 0 { end = min(start + size, total) }
        var body: [String: JSONValue] = [
            "snapshots": .array(records[start..<end].map { snapshotJSON($0, repository: repository) })
        ]
        if elasticsearch(atLeast: 7, 14) {
            body["total"] = .int(Int64(total))
            body["remaining"] = .int(Int64(total - end))
            if end < total {
                body["next"] = .string(Data("position:\(end)".utf8).base64EncodedString())
            }
        }
        return .ok(.object(body))
    }

    private func sortSnapshots(_ records: [SnapshotRecord], by key: String, descending: Bool) -> [SnapshotRecord] {
        func value(_ record: SnapshotRecord) -> (Double, String) {
            switch key {
            case "name": (0, record.name)
            case "duration": (Double((record.endMillis ?? nowMillis) - record.startMillis), record.name)
            case "index_count", "shard_count": (Double(record.indices.count), record.name)
            case "failed_shard_count": (Double(failedShards(record)), record.name)
            default: (Double(record.startMillis) + Double(record.order) / 1e6, record.name)
            }
        }
        let sorted = records.sorted { value($0) < value($1) }
        return descending ? sorted.reversed() : sorted
    }

    func failedShards(_ record: SnapshotRecord) -> Int {
        if !record.failedIndices.isEmpty, !record.isRunning, record.state != "FAILED" { return record.failedIndices.count }
        return switch record.state {
        case "FAILED": record.indices.count
        case "PARTIAL": min(1, record.indices.count)
        default: 0
        }
    }

    func snapshotJSON(_ record: SnapshotRecord, repository: String) -> JSONValue {
        var json: [String: JSONValue] = [
            "snapshot": .string(record.name), "uuid": .string(record.uuid),
            "indices": .array(record.indices.map { .string($0.name) }), "state": .string(record.state),
            "start_time": .string(Self.iso(record.startMillis)), "start_time_in_millis": .int(record.startMillis),
            "version": .string(configuration.version), "version_id": 8_190_099,
        ]
        if behaves(atLeast: 6, 2) { json["include_global_state"] = .bool(record.includeGlobalState) }
        if behaves(atLeast: 7, 9) { json["data_streams"] = [] }
        if elasticsearch(atLeast: 7, 14) { json["repository"] = .string(repository) }
        if let metadata = record.metadata, behaves(atLeast: 7, 3) { json["metadata"] = metadata }
        let total = Int64(record.indices.count)
        let failed = Int64(failedShards(record))
        if let end = record.endMillis {
            json["end_time"] = .string(Self.iso(end))
            json["end_time_in_millis"] = .int(end)
            json["duration_in_millis"] = .int(end - record.startMillis)
            json["shards"] = ["total": .int(total), "failed": .int(failed), "successful": .int(total - failed)]
        } else {
            json["shards"] = ["total": 0, "failed": 0, "successful": 0]
        }
        let failedNames =
            record.failedIndices.isEmpty || record.state == "FAILED"
            ? record.indices.prefix(Int(failed)).map(\.name) : record.failedIndices
        json["failures"] = .array(
            failedNames.map { index in
                let unassigned = record.failedIndices.contains(index)
                return [
                    "index": .string(index), "shard_id": 0,
                    "reason": unassigned ? "primary shard is not allocated" : "IndexShardSnapshotFailedException[simulated failure]",
                    "node_id": unassigned ? .null : "double-node-id-1", "status": "INTERNAL_SERVER_ERROR",
                ]
            })
        if record.state == "FAILED" { json["reason"] = "simulated snapshot failure" }
        return .object(json)
    }

    static func iso(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    // MARK: Status

    mutating func snapshotStatus(repository: String, names: String, _ request: DoubleRequest) -> DoubleResponse {
        for record in (try? resolve(repository: repository, names: names, ignoreUnavailable: true).get()) ?? [] {
            poll(repository: repository, name: record.name)
        }
        let resolved = resolve(repository: repository, names: names, ignoreUnavailable: request.flag("ignore_unavailable"))
        guard case .success(let records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        return .ok(["snapshots": .array(records.map { statusJSON($0, repository: repository) })])
    }

    private func statusJSON(_ record: SnapshotRecord, repository: String) -> JSONValue {
        // _status reports PARTIAL snapshots as SUCCESS, running ones as STARTED.
        let state = record.isRunning ? "STARTED" : (record.state == "FAILED" ? "FAILED" : "SUCCESS")
        var indices: [String: JSONValue] = [:]
        var totalBytes: Int64 = 0
        for index in record.indices {
            totalBytes += index.sizeBytes
            indices[index.name] = [
                "shards_stats": shardsStats(record.isRunning ? 0 : 1, total: 1, running: record.isRunning),
                "stats": stats(files: 3, bytes: index.sizeBytes, record: record),
            ]
        }
        let count = Int64(record.indices.count)
        return [
            "snapshot": .string(record.name), "repository": .string(repository), "uuid": .string(record.uuid),
            "state": .string(state), "include_global_state": .bool(record.includeGlobalState),
            "shards_stats": shardsStats(record.isRunning ? 0 : count, total: count, running: record.isRunning),
            "stats": stats(files: 3 * count, bytes: totalBytes, record: record), "indices": .object(indices),
        ]
    }

    private func shardsStats(_ done: Int64, total: Int64, running: Bool) -> JSONValue {
        ["initializing": 0, "started": .int(running ? total : 0), "finalizing": 0, "done": .int(done), "failed": 0, "total": .int(total)]
    }

    /// The stats object in the shape of the configured version: legacy (≤ 6.3), both (6.4–6.8), modern (7.0+).
    private func stats(files: Int64, bytes: Int64, record: SnapshotRecord) -> JSONValue {
        let processedFiles = record.isRunning ? files / 2 : files
        let processedBytes = record.isRunning ? bytes / 2 : bytes
        let duration = (record.endMillis ?? nowMillis) - record.startMillis
        var json: [String: JSONValue] = ["start_time_in_millis": .int(record.startMillis), "time_in_millis": .int(duration)]
        let legacy = !isOpenSearch && version.0 < 7
        let modern = isOpenSearch || (version.0, version.1) >= (6, 4)
        if legacy {
            json["number_of_files"] = .int(files)
            json["processed_files"] = .int(processedFiles)
            json["total_size_in_bytes"] = .int(bytes)
            json["processed_size_in_bytes"] = .int(processedBytes)
        }
        if modern {
            json["incremental"] = ["file_count": .int(files), "size_in_bytes": .int(bytes)]
            // A repository that already held data makes the total larger than the increment.
            json["total"] = ["file_count": .int(files + 1), "size_in_bytes": .int(bytes + 512)]
            if record.isRunning {
                json["processed"] = ["file_count": .int(processedFiles), "size_in_bytes": .int(processedBytes)]
            }
        }
        return .object(json)
    }

    // MARK: Delete

    mutating func deleteSnapshots(repository: String, names: String) -> DoubleResponse {
        let list = names.split(separator: ",").map(String.init)
        if list.count > 1, !behaves(atLeast: 7, 8) {
            return .error(
                400, "illegal_argument_exception", "[\(repository):\(names)] Invalid snapshot name [\(names)], must not contain ','")
        }
        let resolved = resolve(repository: repository, names: names, ignoreUnavailable: false)
        guard case .success(let records) = resolved else {
            if case .failure(let failure) = resolved { return failure.response }
            return .badRequest("unreachable")
        }
        if !allowsConcurrentSnapshots {
            // Before 7.7 one snapshot operation at a time: deleting the running snapshot aborts it, deleting
            // another one waits for nothing and fails.
            let targets = Set(records.map(\.name))
            let running = snapshots.flatMap { entry in entry.value.values.filter(\.isRunning).map { (entry.key, $0.name) } }
            if deletionInProgress {
                return .error(
                    503, "concurrent_snapshot_execution_exception",
                    "[\(repository):\(names)] cannot delete - another snapshot is currently being deleted")
            }
            if running.contains(where: { $0.0 != repository || !targets.contains($0.1) }) {
                return .error(
                    503, "concurrent_snapshot_execution_exception",
                    "[\(repository):\(names)] cannot delete - another snapshot is currently being created")
            }
        }
        for record in records { snapshots[repository]?[record.name] = nil }
        if configuration.deletionPolls > 0 { deletionRequestsLeft = configuration.deletionPolls }
        return .acknowledged
    }

    // MARK: Restore

    mutating func restore(repository: String, name: String, _ request: DoubleRequest) -> DoubleResponse {
        guard repositories[repository] != nil else { return .repositoryMissing(repository) }
        guard let record = snapshots[repository]?[name], !record.isRunning else { return .snapshotMissing(repository, name) }
        guard let body = request.json else { return .error(400, "parse_exception", "request body is not JSON") }
        let prefix = "[\(repository):\(name)/\(record.uuid)]"
        if !allowsConcurrentSnapshots, deletionInProgress {
            return .error(
                503, "concurrent_snapshot_execution_exception",
                "\(prefix) cannot restore a snapshot while a snapshot deletion is in-progress [\(repository)]")
        }
        if !isOpenSearch, !behaves(atLeast: 6, 6), indices.values.contains(where: \.isRecovering) {
            return .error(503, "concurrent_snapshot_execution_exception", "\(prefix) Restore process is already running in this cluster")
        }
        if record.state == "FAILED" {
            return .error(500, "snapshot_restore_exception", "\(prefix) unsupported snapshot state [FAILED]")
        }
        let patterns = body["indices"]?.listValue ?? []
        var chosen = record.indices
        if !patterns.isEmpty, patterns != ["_all"] {
            chosen = record.indices.filter { index in patterns.contains { globMatches($0, index.name) } }
            if let missing = patterns.first(where: { pattern in !pattern.contains("*") && !record.indices.contains { $0.name == pattern } }
            ),
                body["ignore_unavailable"]?.strictBool != true
            {
                return .indexNotFound(missing)
            }
        }
        let partial = body["partial"]?.strictBool == true
        if record.state == "PARTIAL", !partial,
            let first = chosen.first(where: { record.failedIndices.isEmpty || record.failedIndices.contains($0.name) })
        {
            return .error(500, "snapshot_restore_exception", "\(prefix) index [\(first.name)] wasn't fully snapshotted - cannot restore")
        }
        let ignored = body["ignore_index_settings"]?.listValue ?? []
        let given = body["index_settings"].map(Self.flatSettings) ?? [:]
        for key in ["index.number_of_shards"] where ignored.contains(key) || given[key] != nil {
            let verb = given[key] != nil ? "modify" : "remove"
            return .error(500, "snapshot_restore_exception", "\(prefix) cannot \(verb) setting [\(key)] on restore")
        }
        var renamed: [(IndexRecord, String)] = []
        let pattern = body["rename_pattern"]?.exactString
        let replacement = body["rename_replacement"]?.exactString
        for index in chosen {
            var target = index.name
            if let pattern, let replacement {
                guard let regex = try? NSRegularExpression(pattern: pattern) else {
                    return .badRequest("invalid rename_pattern [\(pattern)]")
                }
                let range = NSRange(target.startIndex..., in: target)
                target = regex.stringByReplacingMatches(in: target, range: range, withTemplate: replacement)
            }
            if let existing = indices[target], existing.isOpen {
                return .error(
                    500, "snapshot_restore_exception",
                    "\(prefix) cannot restore index [\(target)] because an open index with same name already exists in the cluster. Either close or delete the existing index or restore the index under a different name by providing a rename pattern and replacement name"
                )
            }
            renamed.append((index, target))
        }
        let waits = request.flag("wait_for_completion")
        let includeAliases = body["include_aliases"]?.strictBool ?? true
        var failedCount: Int64 = 0
        for (index, target) in renamed {
            var copy = index
            copy.name = target
            copy.uuid = nextUUID()
            copy.isOpen = true
            copy.health = .green
            copy.documents = index.documents
            copy.aliases = includeAliases ? index.aliases : []
            // The snapshot's settings, minus the ignored ones (wildcards allowed), plus the given ones.
            copy.settings = index.settings.filter { key, _ in !ignored.contains { globMatches($0, key) } }
            for (key, value) in given { copy.settings[key] = value == .null ? nil : value.settingText }
            let fails = failingRestores.contains { globMatches($0, target) || globMatches($0, index.name) }
            if fails {
                failedCount += 1
                copy.recovery = .failed(
                    details:
                        "failed shard on node [double-node-id-1]: failed recovery, failure RecoveryFailedException[[\(target)][0]: Recovery failed from null into {double-node-1}]; nested: IndexShardRestoreFailedException[failed to restore snapshot [\(repository):\(name)/\(record.uuid)]]; nested: IOException[simulated restore failure]"
                )
            } else if configuration.restorePolls > 0, !waits {
                copy.recovery = .recovering(callsLeft: configuration.restorePolls)
            } else {
                copy.recovery = nil
            }
            indices[target] = copy
        }
        guard waits else { return .ok(["accepted": true]) }
        let count = Int64(renamed.count)
        return .ok([
            "snapshot": [
                "snapshot": .string(name), "indices": .array(renamed.map { .string($0.1) }),
                "shards": ["total": .int(count), "failed": .int(failedCount), "successful": .int(count - failedCount)],
            ]
        ])
    }
}

/// A failed snapshot lookup and the answer to send.
struct SnapshotLookupFailure: Error {
    var response: DoubleResponse
}
