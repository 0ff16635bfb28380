public import ArtifactFormat
public import BackupCatalog
public import BackupModels
public import BackupSources
import BackupSupport
public import CoreMetrics
public import Foundation
public import Logging
import Metrics
public import RemoteStorage

/// What an engine needs from a catalog: its backup records, leases so that a scheduler (or a fleet
/// of them) runs each plan once, and the record of restore drills and verifications.
/// ``BackupCatalog/SQLiteCatalog`` conforms.
public typealias EngineCatalog = BackupRecordCatalog & LeaseCatalog & DrillCatalog

/// Runs a ``BackupPlan``: backups, restores, verification and retention, against a catalog and a storage.
///
/// ```swift
/// let plan = try PlanLoader.load(contentsOf: "backup.yaml")
/// let engine = try await Engine.open(plan, logger: logger)
/// let report = try await engine.backup(BackupRequest(kind: .auto))
/// ```
///
/// Every method takes its time from the injected ``now``, so runs can be replayed (`--time`) and tested.
public struct Engine: Sendable {
    public let plan: BackupPlan
    /// Where backup records live, and the leases a scheduler takes for the plan.
    public let catalog: any EngineCatalog
    public let storage: any Storage
    public var logger: Logger
    /// The host name written into records and keys.
    public var host: String
    /// The current time; `Date.init` unless a replay or a test sets another.
    public var now: @Sendable () -> Date
    /// The encryption key, when the plan encrypts.
    public var encryptionKey: EncryptionKey?
    /// The source types this engine can build, back up, restore and verify; register a type of your
    /// own in it (see ``SourceRegistry``).
    public var sources: SourceRegistry
    /// The priority of the tools sources start (the plan's `limits:`).
    public var childPriority: ChildProcessPriority
    /// Builds the source for a plan entry instead of ``sources`` when set (tests wrap a source with it).
    public var makeSource: (@Sendable (SourceConfig) throws -> any BackupSource)?
    /// Where the plan lock file lives; `nil` runs without one (the run lease in the catalog still holds).
    public var lockPath: String?
    /// How long the plan's run lease (``BackupCatalog/Lease/name(forRun:)``) lasts without renewal; a
    /// run renews it every third of this while it works. A run that died on another host blocks the plan
    /// for at most this long. A scheduler sets its own lease duration here.
    public var runLeaseDuration: Duration = .seconds(60)
    /// Where counters and timers go: `backupkit_backups_total{plan,source,result}`,
    /// `backupkit_bytes_stored_total{plan,source}`, `backupkit_backup_duration_seconds{plan,source}`.
    /// The process-wide `MetricsSystem` unless a host or a test sets another factory.
    public var metrics: any MetricsFactory
    /// Where backup, retention and restore events go; `nil` sends none. Delivery failures are logged only.
    public var notifier: (any Notifier)?
    /// Why a cancelled run was cancelled, written as the failure reason of its record (a command sets
    /// "interrupted by SIGTERM"); `nil` writes "cancelled".
    public var cancellationReason: @Sendable () -> String? = { nil }

    /// Creates an engine over an existing catalog and storage.
    public init(
        plan: BackupPlan, catalog: any EngineCatalog, storage: any Storage, logger: Logger,
        host: String = ProcessInfo.processInfo.hostName, now: @escaping @Sendable () -> Date = { Date() },
        encryptionKey: EncryptionKey? = nil, lockPath: String? = nil, sources: SourceRegistry = .standard,
        childPriority: ChildProcessPriority = .normal
    ) {
        self.plan = plan
        self.catalog = catalog
        self.storage = storage
        self.logger = logger
        self.host = Self.keySafeHost(host)
        self.now = now
        self.encryptionKey = encryptionKey
        self.lockPath = lockPath
        self.metrics = MetricsSystem.factory
        self.sources = sources
        self.childPriority = childPriority
        self.makeSource = nil
    }

    /// The plan's time zone for labels and key dates.
    package var timeZone: TimeZone { TimeZone(identifier: plan.timeZoneIdentifier) ?? .utc }

    package static func keySafeHost(_ host: String) -> String {
        let cleaned = host.unicodeScalars.filter {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
        let text = String(String.UnicodeScalarView(cleaned))
        return text.isEmpty || text == "." || text == ".." ? "localhost" : text
    }

    /// The source that made `record`: built from the plan's entry of that name or, when the plan no
    /// longer has it, from the source type its manifest names (enough to restore and verify, not to back up).
    ///
    /// - Throws: ``EngineError`` `unknownSource` when the plan lacks the source and no manifest names a
    ///   registered type.
    public func source(of record: BackupRecord, manifest: Manifest? = nil) throws -> any BackupSource {
        if let config = plan.source(named: record.source) { return try source(for: config) }
        if let manifest, sources.knows(manifest.sourceType) {
            return try source(for: .custom(CustomSourceConfig(name: record.source, type: manifest.sourceType)))
        }
        let known = plan.sources.map(\.name).joined(separator: ", ")
        throw EngineError(
            code: .unknownSource,
            message:
                "plan '\(plan.name)' has no source '\(record.source)' any more (sources: \(known)); add it back to restore or verify \(record.label)",
            backupID: record.id)
    }

    /// The source of a plan entry: from ``makeSource`` when set, else from ``sources`` with ``childPriority``.
    public func source(for config: SourceConfig) throws -> any BackupSource {
        if let makeSource { return try makeSource(config) }
        return try sources.makeSource(config, context: SourceContext(priority: childPriority))
    }

    /// Records of this plan, oldest first.
    public func list(source: String? = nil, states: Set<BackupState>? = nil) async throws -> [BackupRecord] {
        try await catalog.records(RecordQuery(plan: plan.name, source: source, states: states))
    }

    /// The key of the manifest written beside an artifact.
    public static func manifestKey(forArtifact key: String) -> String { key + ".manifest.json" }

    /// The artifact a record's manifest is named after: its data artifact.
    static func dataArtifact(of record: BackupRecord) -> ArtifactDescriptor? {
        record.artifacts.first(where: { $0.role == "data" }) ?? record.artifacts.first
    }

    /// Where the file index (``FileIndex``) of the backup whose data artifact is `key` is stored:
    /// `<key>.index.jsonl.zst`, with `.enc` appended when encrypted.
    public static func indexKey(forArtifact key: String, encrypted: Bool) -> String {
        key + "." + FileIndex.payloadExtension + ".zst" + (encrypted ? ".enc" : "")
    }

    /// How file indexes are compressed: zstd level 3 on the calling thread, whatever the plan's compression.
    package static let indexCompression = CompressionSettings(algorithm: .zstd, level: 3, threads: 0)

    /// The artifact extension for a source payload under the plan's compression and encryption.
    package func artifactExtension(payload: String) -> String {
        var ext = payload
        if let compressed = plan.compression.algorithm.fileExtension { ext += "." + compressed }
        if encryptionKey != nil { ext += ".enc" }
        return ext
    }

    /// Whether a `backup run` (or another engine) holds this plan's lock on this host now; `false`
    /// without a lock file.
    public var planLockIsHeld: Bool { lockPath.map(PlanLock.isHeld(path:)) ?? false }

    package func recordMetrics(source: String, result: String, bytes: Int64, seconds: Double) {
        let dimensions = [("plan", plan.name), ("source", source)]
        Counter(label: "backupkit_backups_total", dimensions: dimensions + [("result", result)], factory: metrics).increment()
        if bytes > 0 {
            Counter(label: "backupkit_bytes_stored_total", dimensions: dimensions, factory: metrics).increment(by: bytes)
        }
        CoreMetrics.Timer(label: "backupkit_backup_duration_seconds", dimensions: dimensions, factory: metrics)
            .recordNanoseconds(Int64(seconds * 1e9))
    }
}
