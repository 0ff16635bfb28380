import Foundation
import SnapshotClient

/// An index the double holds.
struct IndexRecord {
    var name: String
    var uuid: String
    var docs: Int64
    var sizeBytes: Int64
    var earliestMillis: Double?
    var latestMillis: Double?
    var isOpen: Bool
    /// Alias names, sorted.
    var aliases: [String] = []
    /// Flat settings such as `index.blocks.write` (values as the cluster echoes them: text).
    var settings: [String: String] = [:]
    /// The health set by the test; a restore in progress or failed overrides it with red.
    var health: IndexHealth = .green
    /// Documents written through `PUT /{index}/_doc/{id}`, by id.
    var documents: [String: StoredDocument] = [:]
    /// The state of the restore that created this index, if it is not finished.
    var recovery: Recovery?

    /// A restore still recovering the index's primary, or failed to.
    enum Recovery {
        /// Recovering; `_cat/indices` reports it red this many more times.
        case recovering(callsLeft: Int)
        /// The primary could not be recovered: it stays unassigned.
        case failed(details: String)
    }

    /// Green, yellow or red as `_cat/indices` reports it (a closed index has no health).
    var effectiveHealth: IndexHealth {
        recovery == nil ? health : .red
    }

    /// Whether the index is open and every primary is assigned: its counts are known and searches reach it.
    var isReadable: Bool { isOpen && effectiveHealth != .red }

    /// Whether `index.blocks.write` (or `index.blocks.read_only`) forbids writes.
    var isWriteBlocked: Bool {
        settings["index.blocks.write"] == "true" || settings["index.blocks.read_only"] == "true"
    }

    /// Whether a restore is still recovering the index.
    var isRecovering: Bool {
        if case .recovering = recovery { return true }
        return false
    }
}

/// A registered repository.
struct RepositoryRecord {
    var type: String
    var settings: [String: String]
    var uuid: String
}

/// A snapshot and the copies of the indices it holds.
struct SnapshotRecord {
    var name: String
    var uuid: String
    var indices: [IndexRecord]
    var state: String
    var outcome: String
    var pollsLeft: Int
    var startMillis: Int64
    var endMillis: Int64?
    var includeGlobalState: Bool
    var metadata: JSONValue?
    var order: Int
    /// Set when created while snapshots are held: it stays running until released or completed.
    var held = false
    /// Indices whose shards failed (a red index in a partial snapshot); empty derives failures from the state.
    var failedIndices: [String] = []

    var isRunning: Bool { state == "IN_PROGRESS" }
}

/// Everything the double knows, changed only under its lock.
struct ClusterState {
    var configuration: ClusterDouble.Configuration
    var repositories: [String: RepositoryRecord] = [:]
    var snapshots: [String: [String: SnapshotRecord]] = [:]
    var indices: [String: IndexRecord] = [:]
    var requests: [RecordedRequest] = []
    var sequence = 0
    var injectedFailures: [Int] = []
    /// Open, readable indices whose search shard fails (a circuit breaker, a shard-level timeout).
    var failingSearches: Set<String> = []
    /// Data nodes reported by `_cat/allocation`; `nil` reports one node with the configured disk.
    var nodes: [(name: String, usedBytes: Int64, totalBytes: Int64)]?
    /// Whether new snapshots stay running whatever their polls (``ClusterDouble/holdSnapshots(_:)``).
    var snapshotsHeld = false
    /// Snapshot-API requests that still see a snapshot deletion in progress.
    var deletionRequestsLeft = 0
    /// Whether the request being handled found a snapshot deletion in progress.
    var deletionInProgress = false
    /// Patterns of restored index names (or their names in the snapshot) whose restore fails.
    var failingRestores: [String] = []

    init(configuration: ClusterDouble.Configuration) {
        self.configuration = configuration
    }

    // MARK: Version facts

    var isOpenSearch: Bool { configuration.distribution.lowercased() == "opensearch" }

    var version: (Int, Int, Int) {
        let numbers = configuration.version.split(separator: "-").first?.split(separator: ".").map { Int($0) ?? 0 } ?? []
        return (numbers.first ?? 8, numbers.count > 1 ? numbers[1] : 0, numbers.count > 2 ? numbers[2] : 0)
    }

    func elasticsearch(atLeast major: Int, _ minor: Int) -> Bool {
        !isOpenSearch && (version.0, version.1) >= (major, minor)
    }

    /// OpenSearch forked from Elasticsearch 7.10: it behaves like 7.10 where it did not diverge.
    func behaves(atLeast major: Int, _ minor: Int) -> Bool {
        isOpenSearch ? (7, 10) >= (major, minor) : (version.0, version.1) >= (major, minor)
    }

    var allowsConcurrentSnapshots: Bool { configuration.allowsConcurrentSnapshots ?? behaves(atLeast: 7, 7) }

    mutating func nextUUID() -> String {
        sequence += 1
        let raw = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        return String(raw.prefix(18)) + String(format: "%04d", sequence % 10000)
    }

    var nowMillis: Int64 { Int64((configuration.now().timeIntervalSince1970 * 1000).rounded()) }

    // MARK: Routing

    mutating func handle(_ request: DoubleRequest) -> DoubleResponse {
        requests.append(
            RecordedRequest(
                method: request.method, path: request.path, query: request.query,
                body: String(data: request.body, encoding: .utf8) ?? ""))
        if let refusal = authenticate(request) { return refusal }
        if !injectedFailures.isEmpty {
            let status = injectedFailures.removeFirst()
            return .error(
                status, status == 429 ? "es_rejected_execution_exception" : "cluster_block_exception",
                "blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];")
        }
        let segments = request.segments
        switch (request.method, segments.first) {
        case ("GET", nil), ("HEAD", nil): return info()
        case (_, "_snapshot"?):
            deletionInProgress = deletionRequestsLeft > 0
            if deletionInProgress { deletionRequestsLeft -= 1 }
            return routeSnapshot(request)
        case ("GET", "_cat"?) where segments.count >= 2 && segments[1] == "indices":
            return catIndices(pattern: segments.count > 2 ? segments[2] : "*", request: request)
        case ("GET", "_cat"?) where segments.count >= 2 && segments[1] == "shards":
            return catShards(pattern: segments.count > 2 ? segments[2] : "*", request: request)
        case ("GET", "_cat"?) where segments.count == 2 && segments[1] == "allocation": return catAllocation(request)
        default: break
        }
        if let first = segments.first, !first.hasPrefix("_") {
            switch (request.method, segments.count > 1 ? segments[1] : nil) {
            case ("GET", "_count"?), ("POST", "_count"?): return count(first, request)
            case ("GET", "_stats"?): return stats(first, request)
            case ("GET", "_search"?), ("POST", "_search"?): return search(first, request)
            case ("GET", "_alias"?) where segments.count == 2: return getAliases(first, request)
            case ("PUT", "_settings"?) where segments.count == 2: return putSettings(first, request)
            case ("PUT", "_doc"?) where segments.count == 3, ("POST", "_doc"?) where segments.count == 3:
                return indexDocument(first, id: segments[2], request)
            case ("GET", "_mget"?), ("POST", "_mget"?): return multiGet(first, request)
            case ("HEAD", nil): return exists(first)
            case ("DELETE", nil): return deleteIndices(first, request)
            default: break
            }
        }
        return DoubleResponse.badRequest("no handler found for uri [\(request.path)] and method [\(request.method)]")
    }

    private func authenticate(_ request: DoubleRequest) -> DoubleResponse? {
        let secured = configuration.username != nil || configuration.apiKey != nil || configuration.bearerToken != nil
        guard secured else { return nil }
        let header = request.authorization ?? ""
        if let user = configuration.username {
            let expected = "Basic " + Data("\(user):\(configuration.password ?? "")".utf8).base64EncodedString()
            if header == expected { return nil }
        }
        if let key = configuration.apiKey, header == "ApiKey \(key)" { return nil }
        if let token = configuration.bearerToken, header == "Bearer \(token)" { return nil }
        if isOpenSearch {
            return DoubleResponse(status: 401, body: Data("Unauthorized".utf8), contentType: "text/plain; charset=UTF-8")
        }
        var reason = "missing authentication credentials for REST request [\(request.path)]"
        if header.hasPrefix("Basic "), let decoded = Data(base64Encoded: String(header.dropFirst(6))),
            let text = String(data: decoded, encoding: .utf8), let user = text.split(separator: ":").first
        {
            reason = "unable to authenticate user [\(user)] for REST request [\(request.path)]"
        } else if !header.isEmpty {
            reason = "unable to authenticate with provided credentials and anonymous access is not allowed for this request"
        }
        var response = DoubleResponse.error(
            401, "security_exception", reason,
            extra: ["header": ["WWW-Authenticate": ["Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"]]])
        response.headers = [("WWW-Authenticate", "Basic realm=\"security\" charset=\"UTF-8\"")]
        return response
    }

    private func info() -> DoubleResponse {
        var version: [String: JSONValue] = [
            "number": .string(configuration.version), "build_type": "tar", "build_hash": "0000000", "build_snapshot": false,
            "lucene_version": "9.12.0", "minimum_wire_compatibility_version": "7.10.0",
            "minimum_index_compatibility_version": "7.0.0",
        ]
        if isOpenSearch { version["distribution"] = "opensearch" } else { version["build_flavor"] = "default" }
        return .ok([
            "name": "double-node-1", "cluster_name": .string(configuration.clusterName),
            "cluster_uuid": "double-cluster-uuid", "version": .object(version),
            "tagline": isOpenSearch ? "The OpenSearch Project: https://opensearch.org/" : "You Know, for Search",
        ])
    }

    // MARK: Repositories

    private mutating func routeSnapshot(_ request: DoubleRequest) -> DoubleResponse {
        let segments = request.segments
        switch (request.method, segments.count) {
        case ("GET", 1): return getRepositories("_all")
        case ("GET", 2): return getRepositories(segments[1])
        case ("PUT", 2), ("POST", 2): return createRepository(segments[1], request)
        case ("DELETE", 2):
            guard repositories.removeValue(forKey: segments[1]) != nil else { return .repositoryMissing(segments[1]) }
            return .acknowledged
        case ("POST", 3) where segments[2] == "_verify": return verifyRepository(segments[1])
        case ("POST", 3) where segments[2] == "_cleanup":
            guard repositories[segments[1]] != nil else { return .repositoryMissing(segments[1]) }
            return .ok(["results": ["deleted_bytes": 0, "deleted_blobs": 0]])
        case ("PUT", 3), ("POST", 3): return createSnapshot(repository: segments[1], name: segments[2], request)
        case ("GET", 3): return getSnapshots(repository: segments[1], names: segments[2], request)
        case ("DELETE", 3): return deleteSnapshots(repository: segments[1], names: segments[2])
        case ("GET", 4) where segments[3] == "_status":
            return snapshotStatus(repository: segments[1], names: segments[2], request)
        case ("POST", 4) where segments[3] == "_restore":
            return restore(repository: segments[1], name: segments[2], request)
        default:
            return .badRequest("no handler found for uri [\(request.path)] and method [\(request.method)]")
        }
    }

    private func getRepositories(_ pattern: String) -> DoubleResponse {
        var result: [String: JSONValue] = [:]
        for name in pattern.split(separator: ",").map(String.init) {
            let matches = repositories.keys.filter { globMatches(name, $0) }
            if matches.isEmpty, !name.contains("*"), name != "_all" { return .repositoryMissing(name) }
            for match in matches {
                guard let repository = repositories[match] else { continue }
                var entry: [String: JSONValue] = [
                    "type": .string(repository.type), "settings": .object(repository.settings.mapValues { .string($0) }),
                ]
                if elasticsearch(atLeast: 7, 12) { entry["uuid"] = .string(repository.uuid) }
                result[match] = .object(entry)
            }
        }
        return .ok(.object(result))
    }

    private static let repositoryTypes: Set<String> = ["fs", "url", "s3", "cos", "hdfs", "azure", "gcs", "source"]

    private mutating func createRepository(_ name: String, _ request: DoubleRequest) -> DoubleResponse {
        guard let body = request.json, let type = body["type"]?.exactString else {
            return .error(400, "action_request_validation_exception", "Validation Failed: 1: type is missing;")
        }
        guard Self.repositoryTypes.contains(type) else {
            return .error(500, "repository_exception", "[\(name)] repository type [\(type)] does not exist")
        }
        var settings: [String: String] = [:]
        for (key, value) in body["settings"]?.objectValue ?? [:] {
            settings[key] = value.settingText
        }
        if type == "fs", settings["location"] == nil {
            return .error(500, "repository_exception", "[\(name)] missing location")
        }
        if request.query["verify"] != "false", configuration.failingRepositoryVerifications.contains(name) {
            return verificationFailure(name, location: settings["location"] ?? settings["bucket"] ?? "")
        }
        repositories[name] = RepositoryRecord(type: type, settings: settings, uuid: repositories[name]?.uuid ?? nextUUID())
        snapshots[name, default: [:]] = snapshots[name] ?? [:]
        return .acknowledged
    }

    private func verifyRepository(_ name: String) -> DoubleResponse {
        guard let repository = repositories[name] else { return .repositoryMissing(name) }
        if configuration.failingRepositoryVerifications.contains(name) {
            return verificationFailure(name, location: repository.settings["location"] ?? "")
        }
        return .ok(["nodes": ["double-node-id-1": ["name": "double-node-1"]]])
    }

    private func verificationFailure(_ name: String, location: String) -> DoubleResponse {
        let node = isOpenSearch ? "cluster manager node" : "master node"
        return .error(500, "repository_verification_exception", "[\(name)] path [\(location)] is not accessible on \(node)")
    }
}
