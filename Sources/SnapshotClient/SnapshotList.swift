/// One page of snapshots from `GET /_snapshot/{repository}/{snapshot}`.
public struct SnapshotList: Hashable, Sendable {
    /// The snapshots on this page.
    public var snapshots: [SnapshotInfo]
    /// How many snapshots match in total, when known.
    public var total: Int?
    /// How many matching snapshots follow this page, when known.
    public var remaining: Int?
    /// The cursor for the next page (pass it as ``SnapshotPage/after``); `nil` on the last page.
    public var next: String?

    /// Creates a page.
    public init(snapshots: [SnapshotInfo], total: Int? = nil, remaining: Int? = nil, next: String? = nil) {
        self.snapshots = snapshots
        self.total = total
        self.remaining = remaining
        self.next = next
    }

    /// Decodes a flat `{"snapshots": […], "total", "remaining", "next"}` body or the 7.x multi-repository
    /// `{"responses": [{"repository", "snapshots": […]}]}` body.
    package init(json: JSONValue, repository: String?) throws {
        var snapshots: [SnapshotInfo] = []
        if let responses = json["responses"]?.arrayValue {
            for response in responses {
                if let error = response["error"], error != .null {
                    throw SnapshotClientError(
                        code: .cluster, message: "listing snapshots of repository '\(response["repository"]?.stringValue ?? "")' failed",
                        type: error["type"]?.stringValue, reason: error["reason"]?.stringValue)
                }
                let name = response["repository"]?.stringValue ?? repository
                for entry in response["snapshots"]?.arrayValue ?? [] {
                    snapshots.append(try SnapshotInfo(json: entry, repository: name))
                }
            }
        } else if let entries = json["snapshots"]?.arrayValue {
            snapshots = try entries.map { try SnapshotInfo(json: $0, repository: repository) }
        } else {
            throw SnapshotClientError(code: .invalidResponse, message: "snapshot listing has no 'snapshots' array")
        }
        self.init(
            snapshots: snapshots, total: json["total"]?.int64Value.map { Int($0) },
            remaining: json["remaining"]?.int64Value.map { Int($0) }, next: json["next"]?.stringValue)
    }
}

/// Which page of snapshots to fetch.
///
/// Elasticsearch 7.14+ pages on the server (`size`, `sort`, `order`, `after`; `offset` from 7.16). Older
/// versions and OpenSearch have no paging: the client fetches the listing, sorts and slices it, and returns
/// a cursor of its own that it accepts back in ``after``.
public struct SnapshotPage: Hashable, Sendable {
    /// Snapshot sort keys.
    public enum Sort: String, Hashable, Sendable, CaseIterable {
        /// By start time (the cluster's default).
        case startTime = "start_time"
        /// By duration.
        case duration
        /// By name.
        case name
        /// By index count.
        case indexCount = "index_count"
        /// By shard count.
        case shardCount = "shard_count"
        /// By failed shard count.
        case failedShardCount = "failed_shard_count"
    }

    /// At most this many snapshots.
    public var size: Int
    /// The sort key.
    public var sort: Sort
    /// Descending instead of ascending.
    public var descending: Bool
    /// The cursor from the previous page's ``SnapshotList/next``.
    public var after: String?
    /// Skip this many matching snapshots (ignored when ``after`` is set).
    public var offset: Int?

    /// Creates a page request.
    public init(size: Int, sort: Sort = .startTime, descending: Bool = false, after: String? = nil, offset: Int? = nil) {
        self.size = size
        self.sort = sort
        self.descending = descending
        self.after = after
        self.offset = offset
    }
}
