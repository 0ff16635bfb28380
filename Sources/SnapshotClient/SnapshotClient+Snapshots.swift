import Foundation

extension SnapshotClient {
    /// Starts a snapshot, optionally waiting until it completes.
    /// - Parameters:
    ///   - name: A new, unique, lowercase snapshot name.
    ///   - repository: The repository to write to.
    ///   - options: Indices, global state, partial, metadata.
    ///   - waitForCompletion: Wait for the end (uses ``Timeouts/waitForCompletion``) instead of returning once
    ///     the snapshot is accepted.
    /// - Returns: The finished snapshot when waiting, `nil` when the cluster only accepted it.
    ///   Metadata of 1024 bytes of JSON or more is refused before sending (`invalidRequest` naming `metadata`);
    ///   metadata is left out, without an error, for a cluster already known (``info()``) to predate it
    ///   (Elasticsearch before 7.3), and sent otherwise.
    /// - Throws: `invalidName` or `invalidRequest` (before sending), `invalidSnapshotName` (duplicate),
    ///   `concurrentSnapshotExecution`, `repositoryMissing`, `indexNotFound`. Never retried.
    @discardableResult
    public func createSnapshot(
        named name: String, in repository: String, options: SnapshotOptions = SnapshotOptions(),
        waitForCompletion: Bool = false
    ) async throws -> SnapshotInfo? {
        try NameValidation.validate(repository, kind: "repository")
        try NameValidation.validate(name, kind: "snapshot")
        let action = "create snapshot '\(name)' in repository '\(repository)'"
        var options = options
        if let metadata = options.metadata {
            let size = try JSONValue.object(metadata).encoded().count
            guard size < SnapshotOptions.maximumMetadataBytes else {
                throw SnapshotClientError(
                    code: .invalidRequest,
                    message:
                        "\(action): metadata is \(size) bytes of JSON; the cluster accepts less than \(SnapshotOptions.maximumMetadataBytes)"
                )
            }
            // Older clusters refuse the field; drop it only when the version is already known.
            if let info = cache.get(), !info.supportsSnapshotMetadata { options.metadata = nil }
        }
        let response = try await send(
            .createSnapshot, parts: ["repository": repository, "snapshot": name],
            query: [("wait_for_completion", waitForCompletion ? "true" : "false")], body: options.body,
            waits: waitForCompletion, action: action)
        let json = try response.requireJSON(action)
        guard let snapshot = json["snapshot"], snapshot.objectValue != nil else { return nil }
        return try SnapshotInfo(json: snapshot, repository: repository)
    }

    /// Reads one snapshot.
    /// - Throws: `snapshotMissing` or `repositoryMissing`.
    public func snapshot(named name: String, in repository: String) async throws -> SnapshotInfo {
        try NameValidation.validate(repository, kind: "repository")
        try NameValidation.validate(name, kind: "snapshot")
        let action = "get snapshot '\(name)' in repository '\(repository)'"
        let response = try await send(.getSnapshots, parts: ["repository": repository, "snapshot": name], action: action)
        let list = try SnapshotList(json: response.requireJSON(action), repository: repository)
        guard let snapshot = list.snapshots.first(where: { $0.name == name }) else {
            throw SnapshotClientError(
                code: .snapshotMissing, message: "\(action): the cluster did not return it", status: response.status)
        }
        return snapshot
    }

    /// Lists snapshots, optionally one page at a time.
    /// - Parameters:
    ///   - repository: The repository.
    ///   - names: Names or patterns (`logs_snapshot_*`); `["_all"]` lists every snapshot.
    ///   - page: Which page; `nil` returns every match. Paged on the server by Elasticsearch 7.14+, by the client
    ///     otherwise (see ``SnapshotPage``).
    ///   - ignoreUnavailable: Skip names that do not exist instead of failing with `snapshotMissing`.
    public func snapshots(
        in repository: String, named names: [String] = ["_all"], page: SnapshotPage? = nil,
        ignoreUnavailable: Bool = false
    ) async throws -> SnapshotList {
        try NameValidation.validate(repository, kind: "repository")
        for name in names { try NameValidation.validatePattern(name, kind: "snapshot") }
        let action = "list snapshots in repository '\(repository)'"
        let parts = ["repository": repository, "snapshot": names.isEmpty ? "_all" : names.joined(separator: ",")]
        var query: [(String, String)] = ignoreUnavailable ? [("ignore_unavailable", "true")] : []
        guard let page else {
            let response = try await send(.getSnapshots, parts: parts, query: query, action: action)
            return try SnapshotList(json: response.requireJSON(action), repository: repository)
        }
        guard page.size > 0 else {
            throw SnapshotClientError(code: .invalidRequest, message: "\(action): page size must be positive, not \(page.size)")
        }
        let info = try await clusterInfo()
        let clientCursor = page.after.flatMap(Self.clientCursorOffset)
        let needsOffset = clientCursor != nil || (page.after == nil && (page.offset ?? 0) > 0)
        if info.supportsSnapshotPaging, clientCursor == nil, !needsOffset || info.supportsSnapshotOffset {
            query += [("size", String(page.size)), ("sort", page.sort.rawValue), ("order", page.descending ? "desc" : "asc")]
            if let after = page.after {
                query.append(("after", after))
            } else if let offset = page.offset, offset > 0 {
                query.append(("offset", String(offset)))
            }
            let response = try await send(.getSnapshots, parts: parts, query: query, action: action)
            return try SnapshotList(json: response.requireJSON(action), repository: repository)
        }
        let response = try await send(.getSnapshots, parts: parts, query: query, action: action)
        let all = try SnapshotList(json: response.requireJSON(action), repository: repository).snapshots
        return Self.slice(all, page: page, start: clientCursor ?? page.offset ?? 0)
    }

    /// Reads a snapshot's progress and file/byte counts, whatever the cluster version.
    /// - Throws: `snapshotMissing` or `repositoryMissing`.
    public func snapshotStatus(named name: String, in repository: String) async throws -> SnapshotStatus {
        try NameValidation.validate(repository, kind: "repository")
        try NameValidation.validate(name, kind: "snapshot")
        let action = "get status of snapshot '\(name)' in repository '\(repository)'"
        let response = try await send(.snapshotStatus, parts: ["repository": repository, "snapshot": name], action: action)
        guard
            let status = try SnapshotStatus.list(from: response.requireJSON(action), repository: repository)
                .first(where: { $0.snapshot == name })
        else {
            throw SnapshotClientError(code: .snapshotMissing, message: "\(action): the cluster did not return it", status: response.status)
        }
        return status
    }

    /// Polls a snapshot until it is no longer running.
    /// - Parameters:
    ///   - pollInterval: The pause between two reads.
    ///   - maxPolls: Give up after this many reads with `timeout`; `nil` polls until cancelled.
    /// - Returns: The finished snapshot (check ``SnapshotInfo/state``: SUCCESS, PARTIAL or FAILED).
    public func waitForSnapshot(
        named name: String, in repository: String, pollInterval: Duration = .seconds(5), maxPolls: Int? = nil
    ) async throws -> SnapshotInfo {
        var polls = 0
        while true {
            let snapshot = try await self.snapshot(named: name, in: repository)
            polls += 1
            if snapshot.state.isFinished { return snapshot }
            if let maxPolls, polls >= maxPolls {
                throw SnapshotClientError(
                    code: .timeout, message: "snapshot '\(name)' in repository '\(repository)' still \(snapshot.state) after \(polls) polls"
                )
            }
            try await Task.sleep(for: pollInterval)
        }
    }

    /// Deletes one snapshot.
    /// - Throws: `snapshotMissing`, `repositoryMissing`, `concurrentSnapshotExecution` (older versions).
    public func deleteSnapshot(named name: String, in repository: String) async throws {
        try await deleteSnapshots(named: [name], in: repository)
    }

    /// Deletes snapshots, several per request (comma-joined, URLs kept short) where the cluster allows it
    /// (Elasticsearch 7.8+, OpenSearch), one per request otherwise.
    public func deleteSnapshots(named names: [String], in repository: String, maximumURLLength: Int = 3000) async throws {
        try NameValidation.validate(repository, kind: "repository")
        for name in names { try NameValidation.validate(name, kind: "snapshot") }
        guard !names.isEmpty else { return }
        var batches = [names]
        if names.count > 1 {
            let info = try await clusterInfo()
            let multi = info.distribution == .opensearch || info.version >= ClusterVersion(7, 8)
            let prefix = target.redactedBase.utf8.count + "/_snapshot/".utf8.count + Self.encodePathPart(repository).utf8.count + 1
            batches = multi ? Self.chunks(names, budget: maximumURLLength - prefix) : names.map { [$0] }
        }
        for batch in batches {
            _ = try await send(
                .deleteSnapshots, parts: ["repository": repository, "snapshot": batch.joined(separator: ",")],
                action: "delete snapshot\(batch.count > 1 ? "s" : "") '\(batch.joined(separator: ","))' in repository '\(repository)'")
        }
    }
}

extension SnapshotClient {
    static let clientCursorPrefix = "backupkit-offset:"

    static func clientCursorOffset(_ cursor: String) -> Int? {
        guard cursor.hasPrefix(clientCursorPrefix) else { return nil }
        return Int(cursor.dropFirst(clientCursorPrefix.count))
    }

    /// Sorts and slices a full listing like the server would.
    static func slice(_ all: [SnapshotInfo], page: SnapshotPage, start: Int) -> SnapshotList {
        func key(_ snapshot: SnapshotInfo) -> (Double, String) {
            switch page.sort {
            case .startTime: (snapshot.startTime?.timeIntervalSince1970 ?? 0, snapshot.name)
            case .duration: (Double(snapshot.durationMilliseconds ?? 0), snapshot.name)
            case .name: (0, snapshot.name)
            case .indexCount: (Double(snapshot.indices.count), snapshot.name)
            case .shardCount: (Double(snapshot.shards.total), snapshot.name)
            case .failedShardCount: (Double(snapshot.shards.failed), snapshot.name)
            }
        }
        var sorted = all.sorted { key($0) < key($1) }
        if page.descending { sorted.reverse() }
        let lower = min(max(start, 0), sorted.count)
        let upper = min(lower + page.size, sorted.count)
        let remaining = sorted.count - upper
        return SnapshotList(
            snapshots: Array(sorted[lower..<upper]), total: sorted.count, remaining: remaining,
            next: remaining > 0 ? "\(clientCursorPrefix)\(upper)" : nil)
    }

    /// Groups names so each comma-joined, percent-encoded group stays within `budget` bytes.
    static func chunks(_ names: [String], budget: Int) -> [[String]] {
        var result: [[String]] = []
        var current: [String] = []
        var length = 0
        for name in names {
            let cost = encodePathPart(name).utf8.count + (current.isEmpty ? 0 : 1)
            if !current.isEmpty, length + cost > max(budget, 1) {
                result.append(current)
                current = []
                length = 0
            }
            length += current.isEmpty ? encodePathPart(name).utf8.count : cost
            current.append(name)
        }
        if !current.isEmpty { result.append(current) }
        return result
    }
}
