public import Foundation

/// What a log-platform archive configuration belongs to.
public enum ArchiveInstanceType: String, Codable, Sendable, CaseIterable {
    case collectorConfig = "collector_config"
    case collectorPlugin = "collector_plugin"
    case indexSet = "index_set"
}

/// Ties a result table (index prefix) to a snapshot repository and a snapshot retention in days.
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
    /// Days the table's live indices are kept in the cluster (the table's own retention, 7 unless set).
    /// An index dated `D` is snapshotted, then deleted, from `D + index_retention_days + 1` days on:
    /// the day its data expires plus one day of delay.
    public var indexRetentionDays: Int
    /// The IANA zone that snapshot dates (`…_snapshot_YYYYMMDD`) are written in.
    public var timeZoneIdentifier: String
    public var isEnabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String = UUID().uuidString.lowercased(), instanceID: String, instanceType: ArchiveInstanceType,
        businessID: String, tableID: String, repository: String, snapshotDays: Int, indexRetentionDays: Int = 7,
        timeZoneIdentifier: String = "UTC", isEnabled: Bool = true, createdAt: Date, updatedAt: Date? = nil
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
        let t = CalendarTime(date, in: zone)
        let prefix = tableID.replacingOccurrences(of: ".", with: "_").lowercased()
        return "\(prefix)_snapshot_\(pad(t.year, 4))\(pad(t.month, 2))\(pad(t.day, 2))"
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
    }
}

extension ArchiveConfig {
    /// Decodes a configuration; `index_retention_days` may be absent (documents written before it existed)
    /// and then is 7.
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
    public var docCount: Int64
    public var storeSizeBytes: Int64
    /// The earliest event time in the index (UTC instant).
    public var startTime: Date
    /// The latest event time in the index (UTC instant).
    public var endTime: Date
    public var archivedAt: Date

    public init(
        archiveConfigID: String, tableID: String, repository: String, snapshot: String, index: String,
        docCount: Int64, storeSizeBytes: Int64, startTime: Date, endTime: Date, archivedAt: Date
    ) {
        self.archiveConfigID = archiveConfigID
        self.tableID = tableID
        self.repository = repository
        self.snapshot = snapshot
        self.index = index
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

    public init(
        id: String = UUID().uuidString.lowercased(), businessID: String, indexSetID: String? = nil,
        indexSetName: String? = nil, tableID: String, startTime: Date, endTime: Date, expiresAt: Date,
        state: RestoreState = .pending, createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil,
        totalStoreSizeBytes: Int64 = 0, totalDocCount: Int64 = 0, restoredDocCount: Int64 = 0,
        indices: [String] = [], notifyUsers: [String] = [], failureReason: String? = nil, isNotified: Bool = false
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
