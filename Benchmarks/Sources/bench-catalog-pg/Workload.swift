import BackupModels
import Foundation

/// A seeded generator, so that every run writes the same ids, sizes and checksums.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64 lowercase hex digits, shaped like a SHA-256.
    mutating func sha256() -> String {
        (0..<4).map { _ in
            let hex = String(next(), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}

/// A running record and the artifact its commit adds.
struct PendingBackup: Sendable {
    var record: BackupRecord
    var artifact: ArtifactDescriptor
}

/// The committed records of one plan that measurement 2 imports.
struct RetentionSet: Sendable {
    var records: [BackupRecord]
    var fulls: Int
    var sources: [String]
    var first: Date
    var last: Date
}

enum Workload {
    /// 2026-12-04T00:00:00Z; the retention set ends here, the one-at-a-time records start here.
    static let epoch = Date(timeIntervalSince1970: 1_796_342_400)
    static let host = "db1.internal"

    /// `count` running full backups of one plan and source, a minute apart, each with the artifact of its commit.
    static func pendingBackups(count: Int, plan: String) -> [PendingBackup] {
        var generator = SplitMix64(seed: 1)
        return (0..<count).map { index in
            let startedAt = epoch.addingTimeInterval(Double(index) * 60)
            let label = BackupLabel.full(at: startedAt, in: .utc)
            let record = BackupRecord(
                id: .random(using: &generator), plan: plan, source: "app-db", kind: .full, label: label,
                startedAt: startedAt, host: host)
            let size = Int64(800_000_000 + generator.next() % 400_000_000)
            let artifact = ArtifactDescriptor(
                key: "\(plan)/app-db/\(label).sql.zst", sizeBytes: size, sha256: generator.sha256(), compression: .zstd,
                uncompressedBytes: size * 4)
            return PendingBackup(record: record, artifact: artifact)
        }
    }

    static let retentionSources = ["app-db", "orders-db", "billing-db", "config"]
    static let retentionSpan: TimeInterval = 730 * 86_400

    /// `count` committed records of `plan`, spread evenly over the two years before ``epoch`` across
    /// ``retentionSources`` (staggered by 7 minutes). Each source takes about one full a day (at least one
    /// incremental per full when the records are fewer); the backups between are incrementals whose parent is
    /// the source's previous backup (a chain, as pgBackRest labels them). Sorted by start time, as a rebuild
    /// would import them.
    static func retentionSet(count: Int, plan: String) -> RetentionSet {
        var generator = SplitMix64(seed: 2)
        var records: [BackupRecord] = []
        records.reserveCapacity(count)
        var fulls = 0
        let sources = retentionSources
        for (sourceIndex, source) in sources.enumerated() {
            let perSource = count / sources.count + (sourceIndex < count % sources.count ? 1 : 0)
            guard perSource > 0 else { continue }
            let interval = retentionSpan / Double(perSource)
            precondition(interval >= 2, "too many records for two years of labels at one-second resolution")
            let fullEvery = max(2, Int((86_400 / interval).rounded()))
            let start = epoch.addingTimeInterval(-retentionSpan + Double(sourceIndex) * 420)
            var previous: BackupRecord?
            var chainFull: BackupLabel?
            for index in 0..<perSource {
                let startedAt = Date(timeIntervalSince1970: (start.timeIntervalSince1970 + Double(index) * interval).rounded(.down))
                let isFull = index % fullEvery == 0
                let label: BackupLabel
                if isFull || chainFull == nil {
                    label = .full(at: startedAt, in: .utc)
                    chainFull = label
                    fulls += 1
                } else {
                    label = .incremental(on: chainFull!, at: startedAt, in: .utc)
                }
                let size: Int64 =
                    label.kind == .full
                    ? Int64(2_000_000_000 + generator.next() % 500_000_000) : Int64(20_000_000 + generator.next() % 80_000_000)
                let artifact = ArtifactDescriptor(
                    key: "\(plan)/\(source)/\(label).sql.zst", sizeBytes: size, sha256: generator.sha256(), compression: .zstd,
                    uncompressedBytes: size * 4)
                let record = BackupRecord(
                    id: .random(using: &generator), plan: plan, source: source, kind: label.kind,
                    parentID: label.kind == .full ? nil : previous?.id, label: label, state: .committed, startedAt: startedAt,
                    finishedAt: startedAt.addingTimeInterval(label.kind == .full ? 1_800 : 90), artifacts: [artifact],
                    host: host)
                records.append(record)
                previous = record
            }
        }
        records.sort { ($0.startedAt, $0.id.rawValue) < ($1.startedAt, $1.id.rawValue) }
        return RetentionSet(
            records: records, fulls: fulls, sources: sources, first: records.first?.startedAt ?? epoch,
            last: records.last?.startedAt ?? epoch)
    }
}
