public import Foundation

/// What a log-platform archive configuration belongs to.
public enum ArchiveInstanceType: String, Codable, Sendable, CaseIterable {
    case collectorConfig = "collector_config"
    case collectorPlugin = "collector_plugin"
    case indexSet = "index_set"
}

/// How the archive judges an index of the table that carries no alias whose datetime parses.
public enum IndexWithoutAliasPolicy: String, Codable, Sendable, CaseIterable {
    /// Keep it: it is never expired, so never archived nor deleted (the platform's default).
    case keep
    /// Treat it as expired: it is archived, then deleted once provably archived.
    case expire
}

/// Ties a result table (index prefix) to a snapshot repository and a snapshot retention in days.
///
/// The table's indices follow the log platform's layout (`v2_<index name>_<datetime>_<n>`, or the old
/// `<index name>_<datetime>_<n>`) with `<datetime>` in ``dateFormat`` and ``indexTimeZoneIdentifier``; an
/// index has expired when every alias on it is older than ``indexRetentionDays`` + 1 day.
public struct ArchiveConfig: Hashable, Codable, Sendable, Identifiable {
    enum CodingKeys: String, CodingKey {
        case id
        case instanceID = "instance_id"
        case instanceType = "instance_type"
        case businessID = "business_id"
        case tableID = "table_id"
        case repository
        case snapshotDays = "snapshot_days"
        case indexRetentionDays = "index_retention_days"
        case timeZoneIdentifier = "time_zone"
        case indexTimeZoneIdentifier = "index_time_zone"
        case dateFormat = "date_format"
        case indexWithoutAlias = "index_without_alias"
        case longTermIndices = "long_term_indices"
        case isEnabled = "enabled"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public var id: String
    /// The collector config, plugin or index set this archive belongs to.
    public var instanceID: String
    public var instanceType: ArchiveInstanceType
    /// The business (bk_biz_id) that owns the data.
    public var businessID: String
    /// The result table, e.g. `2_bklog.nginx_access`; its indices are snapshotted.
    public var tableID: String
    /// The snapshot repository the archive writes to.
    public var repository: String
    /// Days to keep snapshots; 0 keeps them forever.
    public var snapshotDays: Int
    /// Days the table keeps its data in the cluster (the table's `retention`, 7 unless set). An alias
    /// expires once its datetime is older than `now − (index_retention_days + 1 day)`; an index expires
    /// when every alias on it has.
    public var indexRetentionDays: Int
    /// The IANA zone that snapshot dates (`…_snapshot_YYYYMMDD`) are written in (`time_zone`).
    public var timeZoneIdentifier: String
    /// The IANA zone the platform writes index and alias datetimes in (`index_time_zone`; the table's
    /// time zone). Kept apart from ``timeZoneIdentifier``: the two may differ.
    public var indexTimeZoneIdentifier: String
    /// The table's `date_format`, as the platform writes it into index and alias names (`%Y%m%d%H`).
    public var dateFormat: String
    /// How an index without a parsable alias is judged (`index_without_alias`: `keep` by default).
    public var indexWithoutAlias: IndexWithoutAliasPolicy
    /// Indices of the table's long-term-storage setting: never expired nor deleted (`long_term_indices`).
    public var longTermIndices: [String]
    public var isEnabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String = UUID().uuidString.lowercased(), instanceID: String, instanceType: ArchiveInstanceType,
        businessID: String, tableID: String, repository: String, snapshotDays: Int, indexRetentionDays: Int = 7,
        timeZoneIdentifier: String = "UTC", indexTimeZoneIdentifier: String? = nil, dateFormat: String = "%Y%m%d%H",
        indexWithoutAlias: IndexWithoutAliasPolicy = .keep, longTermIndices: [String] = [], isEnabled: Bool = true,
        createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.instanceID = instanceID
        self.instanceType = instanceType
        self.businessID = businessID
        self.tableID = tableID
        self.repository = repository
        self.snapshotDays = snapshotDays
        self.indexRetentionDays = indexRetentionDays
        self.timeZoneIdentifier = timeZoneIdentifier
        self.indexTimeZoneIdentifier = indexTimeZoneIdentifier ?? timeZoneIdentifier
        self.dateFormat = dateFormat
        self.indexWithoutAlias = indexWithoutAlias
        self.longTermIndices = longTermIndices
        self.isEnabled = isEnabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }

    /// Whether snapshots are kept forever.
    public var keepsForever: Bool { snapshotDays == 0 }

    /// The snapshot name for `date`: the table id with `.` replaced by `_`, then `_snapshot_YYYYMMDD`
    /// with the date in this config's zone. Snapshot names are lowercase, as the cluster requires.
    public func snapshotName(for date: Date) -> String {
        let zone = TimeZone(identifier: timeZoneIdentifier) ?? .utc
        let prefix = tableID.replacingOccurrences(of: ".", with: "_").lowercased()
        return "\(prefix)_snapshot_" + ArchiveDateFormat.days.string(from: date, in: zone)
    }

    /// Checks ranges, names and the time zone, naming the offending field.
    public func validate() throws {
        guard snapshotDays >= 0 else {
            throw ModelError(code: .invalidValue, subject: "snapshot_days", message: "must be ≥ 0 (0 keeps forever); got \(snapshotDays)")
        }
        guard indexRetentionDays >= 1 else {
            throw ModelError(
                code: .invalidValue, subject: "index_retention_days", message: "must be ≥ 1; got \(indexRetentionDays)")
        }
        for (field, value) in [("table_id", tableID), ("repository", repository), ("instance_id", instanceID), ("business_id", businessID)]
        {
            guard !value.isEmpty else {
                throw ModelError(code: .invalidValue, subject: field, message: "must not be empty")
            }
        }
        _ = try TimeZone.named(timeZoneIdentifier, field: "time_zone")
        _ = try TimeZone.named(indexTimeZoneIdentifier, field: "index_time_zone")
        _ = try ArchiveDateFormat(dateFormat, field: "date_format")
        for name in longTermIndices where name.isEmpty || name.contains(where: { $0 == "," || $0 == "*" || $0.isWhitespace }) {
            throw ModelError(
                code: .invalidValue, subject: "long_term_indices", message: "'\(name)' is not an exact index name")
        }
    }
}

extension ArchiveConfig {
    /// Decodes a configuration; fields added later may be absent (documents written before they existed):
    /// `index_retention_days` is then 7, `index_time_zone` is `time_zone`, `date_format` is `%Y%m%d%H`,
    /// `index_without_alias` is `keep` and `long_term_indices` is empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            instanceID: try container.decode(String.self, forKey: .instanceID),
            instanceType: try container.decode(ArchiveInstanceType.self, forKey: .instanceType),
            businessID: try container.decode(String.self, forKey: .businessID),
            tableID: try container.decode(String.self, forKey: .tableID),
            repository: try container.decode(String.self, forKey: .repository),
            snapshotDays: try container.decode(Int.self, forKey: .snapshotDays),
            indexRetentionDays: try container.decodeIfPresent(Int.self, forKey: .indexRetentionDays) ?? 7,
            timeZoneIdentifier: try container.decode(String.self, forKey: .timeZoneIdentifier),
            indexTimeZoneIdentifier: try container.decodeIfPresent(String.self, forKey: .indexTimeZoneIdentifier),
            dateFormat: try container.decodeIfPresent(String.self, forKey: .dateFormat) ?? "%Y%m%d%H",
            indexWithoutAlias: try container.decodeIfPresent(IndexWithoutAliasPolicy.self, forKey: .indexWithoutAlias) ?? .keep,
            longTermIndices: try container.decodeIfPresent([String].self, forKey: .longTermIndices) ?? [],
            isEnabled: try container.decode(Bool.self, forKey: .isEnabled),
            createdAt: try container.decode(Date.self, forKey: .createdAt),
            updatedAt: try container.decode(Date.self, forKey: .updatedAt))
    }
}

/// One index held by an archive snapshot, with the facts recorded once the snapshot succeeded.
public struct ArchivedIndex: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case archiveConfigID = "archive_config_id"
        case tableID = "table_id"
        case repository, snapshot, index
        case indexUUID = "index_uuid"
        case docCount = "doc_count"
        case storeSizeBytes = "store_size_bytes"
        case startTime = "start_time"
        case endTime = "end_time"
        case archivedAt = "archived_at"
    }

    public var archiveConfigID: String
    public var tableID: String
    public var repository: String
    public var snapshot: String
    public var index: String
    /// The index's UUID when it was archived; `nil` for rows written before UUIDs were recorded. An index
    /// is deleted only while the cluster reports this UUID and ``docCount`` for it.
    public var indexUUID: String?
    public var docCount: Int64
    public var storeSizeBytes: Int64
    /// The earliest event time in the index (UTC instant). When the cluster could not report the range
    /// (a shard failed the search), the start is 1970-01-01 and the end the archive time, so that every
    /// restore that could touch the index brings it back.
    public var startTime: Date
    /// The latest event time in the index (UTC instant).
    public var endTime: Date
    public var archivedAt: Date

    public init(
        archiveConfigID: String, tableID: String, repository: String, snapshot: String, index: String,
        indexUUID: String? = nil, docCount: Int64, storeSizeBytes: Int64, startTime: Date, endTime: Date, archivedAt: Date
    ) {
        self.archiveConfigID = archiveConfigID
        self.tableID = tableID
        self.repository = repository
        self.snapshot = snapshot
        self.index = index
        self.indexUUID = indexUUID
        self.docCount = docCount
        self.storeSizeBytes = storeSizeBytes
        self.startTime = startTime
        self.endTime = endTime
        self.archivedAt = archivedAt
    }

    /// Whether this index holds any event in `[start, end]`. Both ends are inclusive; this is the one
    /// overlap rule used everywhere (catalog queries use the same comparison).
    public func overlaps(start: Date, end: Date) -> Bool {
        startTime <= end && endTime >= start
    }
}

/// The state of an on-demand restore of archived data.
public enum RestoreState: String, Codable, Sendable, CaseIterable {
    case pending
    case running
    case done
    case failed
    /// The restored indices were deleted at expiry.
    case expired
}

/// A request to bring archived indices back for a time range, and its progress.
public struct RestoreConfig: Hashable, Codable, Sendable, Identifiable {
    enum CodingKeys: String, CodingKey {
        case id
        case businessID = "business_id"
        case indexSetID = "index_set_id"
        case indexSetName = "index_set_name"
        case tableID = "table_id"
        case startTime = "start_time"
        case endTime = "end_time"
        case expiresAt = "expires_at"
        case state
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case totalStoreSizeBytes = "total_store_size_bytes"
        case totalDocCount = "total_doc_count"
        case restoredDocCount = "restored_doc_count"
        case indices
        case notifyUsers = "notify_users"
        case failureReason = "failure_reason"
        case isNotified = "notified"
        case waitingIndices = "waiting_indices"
    }

    public var id: String
    public var businessID: String
    /// The index set the restored indices are exposed through.
    public var indexSetID: String?
    public var indexSetName: String?
    public var tableID: String
    /// Start of the requested range (inclusive, UTC instant).
    public var startTime: Date
    /// End of the requested range (inclusive, UTC instant).
    public var endTime: Date
    /// When the restored indices are deleted; may be extended.
    public var expiresAt: Date
    public var state: RestoreState
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var totalStoreSizeBytes: Int64
    public var totalDocCount: Int64
    /// Documents visible in the restored indices so far (progress).
    public var restoredDocCount: Int64
    /// The restored index names (`restore_<index>`).
    public var indices: [String]
    /// Users told once when the restore is done or failed.
    public var notifyUsers: [String]
    public var failureReason: String?
    /// Whether the single done/failed notification was sent.
    public var isNotified: Bool
    /// Restored indices whose restore request is not sent yet: the cluster restores one snapshot at a
    /// time (before 6.6) or was busy; each refresh sends the next when it may.
    public var waitingIndices: [String]

    public init(
        id: String = UUID().uuidString.lowercased(), businessID: String, indexSetID: String? = nil,
        indexSetName: String? = nil, tableID: String, startTime: Date, endTime: Date, expiresAt: Date,
        state: RestoreState = .pending, createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil,
        totalStoreSizeBytes: Int64 = 0, totalDocCount: Int64 = 0, restoredDocCount: Int64 = 0,
        indices: [String] = [], notifyUsers: [String] = [], failureReason: String? = nil, isNotified: Bool = false,
        waitingIndices: [String] = []
    ) {
        self.id = id
        self.businessID = businessID
        self.indexSetID = indexSetID
        self.indexSetName = indexSetName
        self.tableID = tableID
        self.startTime = startTime
        self.endTime = endTime
        self.expiresAt = expiresAt
        self.state = state
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.totalStoreSizeBytes = totalStoreSizeBytes
        self.totalDocCount = totalDocCount
        self.restoredDocCount = restoredDocCount
        self.indices = indices
        self.notifyUsers = notifyUsers
        self.failureReason = failureReason
        self.isNotified = isNotified
        self.waitingIndices = waitingIndices
    }

    /// How long the restore ran, once it finished.
    public var duration: TimeInterval? {
        guard let startedAt, let finishedAt else { return nil }
        return finishedAt.timeIntervalSince(startedAt)
    }

    /// Checks the range and expiry against `now`, naming the offending field.
    public func validate(now: Date) throws {
        guard startTime <= endTime else {
            throw ModelError(code: .invalidValue, subject: "start_time", message: "the range starts after it ends")
        }
        guard expiresAt > now else {
            throw ModelError(code: .invalidValue, subject: "expires_at", message: "the expiry is in the past")
        }
    }
}
