public import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
public import SnapshotClient
import Synchronization

/// An in-process stand-in for an Elasticsearch or OpenSearch cluster, served over real HTTP/1.1 on
/// `127.0.0.1`, that behaves as the official YAML REST tests say a cluster behaves for the snapshot API:
/// repositories (`fs` and the plugin types, verification), unique lowercase snapshot names, `IN_PROGRESS`
/// then `SUCCESS` (or a configured `FAILED`/`PARTIAL`), concurrent-snapshot conflicts on old versions,
/// restores refused over open indices, 404 bodies in the cluster's format, seeded indices with `_count`,
/// `_stats`, `_search` min/max, `_cat/indices`, `_cat/allocation`, index deletion, `GET /` and basic auth.
///
/// It also represents the log platform's clusters: indices with aliases and settings (`_alias`, `_settings`,
/// write blocks), red, yellow and closed indices (`null` counts, failing search shards, `_cat/shards`), small
/// documents (`_doc`, `_mget`), snapshots held running past the run that started them, restores that recover
/// over several listings or fail, and the version-dependent conflicts of snapshot operations.
///
/// ```swift
/// let double = ClusterDouble(configuration: .init(version: "7.17.0"))
/// try await double.start()
/// double.addIndex(name: "logs-2026.11.01", docs: 1_000, sizeBytes: 65_536, timeRange: start...end)
/// // point a client at double.url …
/// try await double.shutdown()
/// ```
public final class ClusterDouble: Sendable {
    private let state: Mutex<ClusterState>
    private let server = Mutex<ServerHandles>(ServerHandles())

    /// Creates a stopped double.
    public init(configuration: Configuration = Configuration()) {
        state = Mutex(ClusterState(configuration: configuration))
    }

    // MARK: Lifecycle

    /// Starts listening on `127.0.0.1` at an ephemeral port.
    /// - Returns: The bound port.
    @discardableResult
    public func start() async throws -> Int {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(DoubleHTTPHandler(double: self))
                    self.track(channel)
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        server.withLock {
            $0.listener = channel
            $0.port = port
        }
        return port
    }

    /// Stops listening and closes open connections.
    public func shutdown() async throws {
        let (listener, connections) = server.withLock { handles in
            let taken = (handles.listener, Array(handles.connections.values))
            handles.listener = nil
            handles.connections = [:]
            return taken
        }
        for connection in connections { try? await connection.close() }
        try await listener?.close()
    }

    /// The bound port (0 before ``start()``).
    public var port: Int { server.withLock { $0.port } }

    /// `http://127.0.0.1:<port>`.
    public var url: String { "http://127.0.0.1:\(port)" }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        server.withLock { $0.connections[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = server.withLock { $0.connections.removeValue(forKey: id) }
        }
    }

    func handle(_ request: DoubleRequest) -> DoubleResponse {
        state.withLock { $0.handle(request) }
    }

    // MARK: Seeding and inspection

    /// Adds (or replaces) an index; a replaced index gets a new UUID, as a re-created one does.
    /// - Parameters:
    ///   - name: The index name.
    ///   - docs: Its document count (`_count`, `_cat/indices`, search buckets).
    ///   - sizeBytes: Its primary store size.
    ///   - timeRange: The span of its time field, for `min`/`max` aggregations; `nil` when it has none.
    ///   - open: Whether it is open (a closed index may be restored over; its counts are `null`).
    ///   - aliases: Alias names pointing at it.
    ///   - settings: Flat index settings, e.g. `["index.lifecycle.name": "hot-warm"]`; a snapshot carries them and
    ///     a restore brings them back.
    public func addIndex(
        name: String, docs: Int64, sizeBytes: Int64, timeRange: ClosedRange<Date>? = nil, open: Bool = true,
        aliases: [String] = [], settings: [String: String] = [:]
    ) {
        state.withLock { state in
            let record = IndexRecord(
                name: name, uuid: state.nextUUID(), docs: docs, sizeBytes: sizeBytes,
                earliestMillis: timeRange.map { ($0.lowerBound.timeIntervalSince1970 * 1000).rounded() },
                latestMillis: timeRange.map { ($0.upperBound.timeIntervalSince1970 * 1000).rounded() }, isOpen: open,
                aliases: Array(Set(aliases)).sorted(), settings: settings)
            state.indices[name] = record
        }
    }

    /// Points an alias at an index (no effect when the index does not exist).
    public func addAlias(_ alias: String, to index: String) {
        state.withLock { state in
            guard var record = state.indices[index] else { return }
            record.aliases = Array(Set(record.aliases + [alias])).sorted()
            state.indices[index] = record
        }
    }

    /// Sets an index's health. A red index has an unassigned primary: `_cat/indices` reports `null` counts and
    /// sizes, searches fail on its shard, `_cat/shards` shows it `UNASSIGNED`. A yellow one has an unassigned replica.
    public func setHealth(_ health: IndexHealth, of index: String) {
        state.withLock { $0.indices[index]?.health = health }
    }

    /// Makes the search shard of a green index fail (as a tripped circuit breaker or a shard timeout does):
    /// searches answer 200 with the failure in `_shards.failures` and no result from that index, while
    /// `_cat/indices` still reports it readable.
    public func failSearches(of index: String) {
        state.withLock { _ = $0.failingSearches.insert(index) }
    }

    /// Simulates the platform writing documents to an index, as a bulk request would.
    /// - Parameters:
    ///   - count: Documents added.
    ///   - index: The index.
    ///   - latest: The newest time-field value written, extending the index's time range; `nil` leaves it.
    /// - Returns: `false` when nothing was written: the index does not exist, is closed or red, or has
    ///   `index.blocks.write: true` (a real cluster answers 403 `cluster_block_exception`).
    public func addDocuments(_ count: Int64, to index: String, latest: Date?) -> Bool {
        state.withLock { state in
            guard var record = state.indices[index], record.isReadable, !record.isWriteBlocked else { return false }
            let size = record.docs > 0 ? record.sizeBytes / record.docs : 100
            record.docs += count
            record.sizeBytes += count * max(size, 1)
            if let latest {
                let millis = (latest.timeIntervalSince1970 * 1000).rounded()
                record.latestMillis = max(record.latestMillis ?? millis, millis)
                record.earliestMillis = min(record.earliestMillis ?? millis, millis)
            }
            state.indices[index] = record
            return true
        }
    }

    /// An index's UUID; `nil` when it does not exist.
    public func indexUUID(_ name: String) -> String? {
        state.withLock { $0.indices[name]?.uuid }
    }

    /// An index's flat settings as set by seeding, `PUT _settings` or a restore (`[:]` when it does not exist).
    public func indexSettings(_ name: String) -> [String: String] {
        state.withLock { $0.indices[name]?.settings ?? [:] }
    }

    /// The aliases pointing at an index, sorted.
    public func aliases(of index: String) -> [String] {
        state.withLock { $0.indices[index]?.aliases ?? [] }
    }

    /// The documents stored in an index through `PUT /{index}/_doc/{id}`, by id.
    public func documents(in index: String) -> [String: JSONValue] {
        state.withLock { ($0.indices[index]?.documents ?? [:]).mapValues(\.source) }
    }

    /// Removes an index without a request.
    public func removeIndex(name: String) {
        _ = state.withLock { $0.indices.removeValue(forKey: name) }
    }

    /// Sets the disk use `_cat/allocation` reports, for one data node.
    public func setDisk(usedBytes: Int64, totalBytes: Int64) {
        state.withLock {
            $0.configuration.diskUsedBytes = usedBytes
            $0.configuration.diskTotalBytes = totalBytes
            $0.nodes = nil
        }
    }

    /// Sets the data nodes `_cat/allocation` reports, each with its own disk use; indices are spread over them.
    public func setNodes(_ nodes: [(name: String, usedBytes: Int64, totalBytes: Int64)]) {
        state.withLock { $0.nodes = nodes.isEmpty ? nil : nodes }
    }

    /// While `true`, snapshots created from now on stay `IN_PROGRESS` however often they are read, like a
    /// snapshot that outlives the run that started it; ``completeRunningSnapshots()`` finishes them, and
    /// `holdSnapshots(false)` lets them finish at their next read. A held create with `wait_for_completion=true`
    /// answers `{"accepted": true}`, as if it had not waited.
    public func holdSnapshots(_ hold: Bool) {
        state.withLock { $0.holdSnapshots(hold) }
    }

    /// Deletes a snapshot without a request, as another client or an operator would.
    /// - Returns: Whether it existed.
    @discardableResult
    public func deleteSnapshotOutOfBand(named name: String, in repository: String) -> Bool {
        state.withLock { $0.snapshots[repository]?.removeValue(forKey: name) != nil }
    }

    /// Makes later restores of matching indices fail: the restored index (matched by its new name or its name in
    /// the snapshot; `*` patterns allowed) stays red with its primary `UNASSIGNED`, `unassigned.reason:
    /// ALLOCATION_FAILED` and details naming the recovery failure.
    public func failRestores(of pattern: String) {
        state.withLock { $0.failingRestores.append(pattern) }
    }

    /// Changes how many `_cat/indices` listings report a restored index red before it turns green.
    public func setRestorePolls(_ polls: Int) {
        state.withLock { $0.configuration.restorePolls = max(polls, 0) }
    }

    /// Changes how many later snapshot-API requests see a snapshot deletion in progress.
    public func setDeletionPolls(_ polls: Int) {
        state.withLock { $0.configuration.deletionPolls = max(polls, 0) }
    }

    /// Sets the final state (`SUCCESS`, `FAILED`, `PARTIAL`) of snapshots created later with this name.
    public func setSnapshotOutcome(_ state: String, for snapshot: String) {
        self.state.withLock { $0.configuration.snapshotOutcomes[snapshot] = state.uppercased() }
    }

    /// Changes when later snapshots finish.
    public func setSnapshotCompletion(_ completion: SnapshotCompletion) {
        state.withLock { $0.configuration.snapshotCompletion = completion }
    }

    /// Answers the next `count` authenticated requests with `status` (503 by default), whatever they ask.
    public func injectFailures(_ count: Int, status: Int = 503) {
        state.withLock { $0.injectedFailures += Array(repeating: status, count: max(count, 0)) }
    }

    /// Finishes every running snapshot now.
    public func completeRunningSnapshots() {
        state.withLock { $0.completeRunningSnapshots() }
    }

    /// Every request received so far, in order.
    public func requests() -> [RecordedRequest] { state.withLock { $0.requests } }

    /// Forgets the recorded requests.
    public func clearRequests() { state.withLock { $0.requests.removeAll() } }

    /// The names of the indices, sorted.
    public func indexNames() -> [String] { state.withLock { $0.indices.keys.sorted() } }

    /// The names of the registered repositories, sorted.
    public func repositoryNames() -> [String] { state.withLock { $0.repositories.keys.sorted() } }

    /// The names of the snapshots in a repository, sorted.
    public func snapshotNames(in repository: String) -> [String] {
        state.withLock { ($0.snapshots[repository] ?? [:]).keys.sorted() }
    }

    /// A snapshot's state (`IN_PROGRESS`, `SUCCESS`, `FAILED`, `PARTIAL`) without counting as a poll.
    public func snapshotState(named name: String, in repository: String) -> String? {
        state.withLock { $0.snapshots[repository]?[name]?.state }
    }
}

/// An index's health as the double reports it.
public enum IndexHealth: String, Hashable, Sendable, CaseIterable {
    /// Every shard copy assigned.
    case green
    /// Every primary assigned, a replica not.
    case yellow
    /// A primary unassigned: counts unknown (`null`), searches fail on it.
    case red
}

/// The listening channel and the accepted connections.
struct ServerHandles: Sendable {
    var listener: (any Channel)?
    var port = 0
    var connections: [ObjectIdentifier: any Channel] = [:]
}
