public import BackupModels
public import Foundation

/// The per-index facts of one archive snapshot, kept beside the snapshot (a document in the cluster's
/// facts index, see ``ArchiveLifecycle/Options-swift.struct/factsIndex``) so that the catalog's rows can be
/// rebuilt from the repository and these facts alone.
///
/// The facts are written before the snapshot starts; the snapshot's own `metadata` (capped at 1 KiB by
/// Elasticsearch) carries the table, the configuration and the facts' ``digest``, which a rebuild checks.
public struct SnapshotFacts: Hashable, Sendable, Codable {
    /// One index of the snapshot, as it was when the snapshot started (writes were blocked first).
    public struct Index: Hashable, Sendable, Codable {
        enum CodingKeys: String, CodingKey {
            case name
            case uuid
            case docCount = "doc_count"
            case storeSizeBytes = "store_size_bytes"
            case startMillis = "start_millis"
            case endMillis = "end_millis"
            case rangeKnown = "range_known"
        }

        /// The index name.
        public var name: String
        /// Its UUID.
        public var uuid: String
        /// Its document count.
        public var docCount: Int64
        /// Its primary store size.
        public var storeSizeBytes: Int64
        /// Its earliest event, epoch milliseconds.
        public var startMillis: Int64
        /// Its latest event, epoch milliseconds.
        public var endMillis: Int64
        /// Whether the range was read; `false` when a shard failed the search (the range then covers
        /// everything up to the archive time).
        public var rangeKnown: Bool

        /// The facts of a frozen, readable index. An unknown range (a shard failed the search) covers
        /// everything up to `now`, so every restore that could touch the index brings it back; an index
        /// without values in the time field is given its own `datetime` (or `now`).
        public init(_ index: ClusterIndex, ranges: IndexTimeRanges, datetime: Date?, now: Date) {
            let range = ranges.ranges[index.name]
            let known = !ranges.unknown.contains(index.name)
            let start = known ? (range?.lowerBound ?? datetime ?? now) : Date(timeIntervalSince1970: 0)
            self.init(
                name: index.name, uuid: index.uuid ?? "", docCount: index.documentCount ?? 0, storeSizeBytes: index.storeSizeBytes ?? 0,
                startMillis: SnapshotFacts.millis(start), endMillis: SnapshotFacts.millis(known ? (range?.upperBound ?? now) : now),
                rangeKnown: known && range != nil)
        }

        /// Creates an index's facts.
        public init(
            name: String, uuid: String, docCount: Int64, storeSizeBytes: Int64, startMillis: Int64, endMillis: Int64,
            rangeKnown: Bool
        ) {
            self.name = name
            self.uuid = uuid
            self.docCount = docCount
            self.storeSizeBytes = storeSizeBytes
            self.startMillis = startMillis
            self.endMillis = endMillis
            self.rangeKnown = rangeKnown
        }
    }

    enum CodingKeys: String, CodingKey {
        case repository, snapshot
        case tableID = "table_id"
        case archiveConfigID = "archive_config_id"
        case createdMillis = "created_millis"
        case indices
    }

    /// The repository.
    public var repository: String
    /// The snapshot.
    public var snapshot: String
    /// The table.
    public var tableID: String
    /// The configuration that took it.
    public var archiveConfigID: String
    /// When the facts were written, epoch milliseconds.
    public var createdMillis: Int64
    /// The indices, sorted by name.
    public var indices: [Index]

    /// Creates facts; indices are sorted by name.
    public init(
        repository: String, snapshot: String, tableID: String, archiveConfigID: String, createdMillis: Int64, indices: [Index]
    ) {
        self.repository = repository
        self.snapshot = snapshot
        self.tableID = tableID
        self.archiveConfigID = archiveConfigID
        self.createdMillis = createdMillis
        self.indices = indices.sorted { $0.name < $1.name }
    }

    /// The catalog rows of the indices the snapshot holds (`held`).
    public func rows(heldBy held: Set<String>) -> [ArchivedIndex] {
        indices.filter { held.contains($0.name) }.map { index in
            ArchivedIndex(
                archiveConfigID: archiveConfigID, tableID: tableID, repository: repository, snapshot: snapshot, index: index.name,
                indexUUID: index.uuid.isEmpty ? nil : index.uuid, docCount: index.docCount, storeSizeBytes: index.storeSizeBytes,
                startTime: Self.date(index.startMillis), endTime: Self.date(max(index.endMillis, index.startMillis)),
                archivedAt: Self.date(createdMillis))
        }
    }

    /// Epoch milliseconds of `date`, as the facts keep times.
    public static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }

    /// The facts document's id: `<repository>:<snapshot>` (a repository name never holds `:`).
    public var documentID: String { Self.documentID(repository: repository, snapshot: snapshot) }

    /// The document id of a snapshot's facts.
    public static func documentID(repository: String, snapshot: String) -> String { "\(repository):\(snapshot)" }

    /// A digest of the facts (FNV-1a 64 over their canonical JSON), carried in the snapshot's metadata so
    /// that a rebuild notices facts that do not belong to the snapshot. Not a security measure.
    public var digest: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(self)) ?? Data()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return "fnv1a64:" + String(hash, radix: 16)
    }

    /// The snapshot metadata that ties a snapshot to these facts (well under the cluster's 1 KiB cap).
    public var snapshotMetadata: [String: String] {
        [
            "created_by": "BackupKit", "table_id": tableID, "archive_config_id": archiveConfigID, "facts_digest": digest,
            "facts_id": documentID,
        ]
    }
}

/// The time ranges of several indices, and the indices whose range could not be read.
public struct IndexTimeRanges: Hashable, Sendable {
    /// The earliest and latest event of each index with a known range.
    public var ranges: [String: ClosedRange<Date>]
    /// Indices whose search failed on a shard: their range is unknown.
    public var unknown: Set<String>

    /// Creates ranges.
    public init(ranges: [String: ClosedRange<Date>] = [:], unknown: Set<String> = []) {
        self.ranges = ranges
        self.unknown = unknown
    }
}
