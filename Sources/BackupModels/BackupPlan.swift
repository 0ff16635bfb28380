/// Everything one `backup run` needs: what to back up, where to store it, how to name, compress,
/// encrypt and retain it. Plans are usually read from YAML (see `Documentation/PlanReference.md`).
public struct BackupPlan: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case name = "plan"
        case catalogPath = "catalog"
        case catalogPasswordEnvironmentVariable = "catalog_password_env"
        case catalogTLS = "catalog_tls"
        case storage, sources, compression, encryption, naming, retention, schedule, notify, limits, drill
        case timeZoneIdentifier = "time_zone"
    }

    /// The plan's name, used in keys and the catalog.
    public var name: String
    /// Path of the SQLite catalog, or a PostgreSQL URL `postgres://USER@HOST:PORT/DB` (never with a password).
    public var catalogPath: String
    /// With a PostgreSQL catalog: the environment variable holding its password (`nil`: `PGPASSWORD`).
    public var catalogPasswordEnvironmentVariable: String?
    /// With a PostgreSQL catalog: how its connections use TLS (`nil`: ``CatalogTLS/disable``).
    public var catalogTLS: CatalogTLS?
    public var storage: StorageConfig
    public var sources: [SourceConfig]
    public var compression: CompressionSettings
    public var encryption: EncryptionSettings?
    public var naming: NamingTemplate
    public var retention: RetentionPolicy?
    /// The IANA zone labels and key dates are written in.
    public var timeZoneIdentifier: String
    /// When the built-in scheduler runs the plan; `nil` runs it only on demand.
    public var schedule: ScheduleConfig?
    /// Where backup, retention and schedule events go; `nil` sends none.
    public var notify: NotifyConfig?
    /// Limits on what a run may take: concurrent runs, CPU and I/O priority of child processes.
    public var limits: ResourceLimitsConfig?
    /// How restore drills of the plan run; `nil` drills with the defaults and cannot drill MySQL backups.
    public var drill: DrillConfig?

    public init(
        name: String, catalogPath: String, storage: StorageConfig, sources: [SourceConfig],
        compression: CompressionSettings = CompressionSettings(), encryption: EncryptionSettings? = nil,
        naming: NamingTemplate = .default, retention: RetentionPolicy? = nil, timeZoneIdentifier: String = "UTC",
        schedule: ScheduleConfig? = nil, notify: NotifyConfig? = nil, limits: ResourceLimitsConfig? = nil,
        drill: DrillConfig? = nil
    ) {
        self.drill = drill
        self.name = name
        self.catalogPath = catalogPath
        self.storage = storage
        self.sources = sources
        self.compression = compression
        self.encryption = encryption
        self.naming = naming
        self.retention = retention
        self.timeZoneIdentifier = timeZoneIdentifier
        self.schedule = schedule
        self.notify = notify
        self.limits = limits
    }

    /// The source named `name`, if the plan has one.
    public func source(named name: String) -> SourceConfig? { sources.first { $0.name == name } }
}

/// How a PostgreSQL catalog's connections use TLS (plan key `catalog_tls`).
public enum CatalogTLS: String, Hashable, Codable, Sendable, CaseIterable {
    /// Plain TCP.
    case disable
    /// TLS without checking the server's certificate (encrypted, not authenticated).
    case require
    /// TLS with the server's certificate checked against the system's trust roots and the host name.
    case verifyFull = "verify-full"
}

/// Where artifacts are stored.
public enum StorageConfig: Hashable, Codable, Sendable {
    /// A folder on local disk or an NFS mount.
    case local(LocalStorageConfig)
    /// An S3-compatible bucket: AWS S3, Tencent COS, MinIO, SeaweedFS.
    case s3(S3StorageConfig)
    /// A WebDAV-style HTTP artifact repository.
    case http(HTTPStorageConfig)

    /// The `type:` value in plans (`local`, `s3`, `cos`, `http`).
    public var typeName: String {
        switch self {
        case .local: "local"
        case .s3(let config): config.provider == .tencentCOS ? "cos" : "s3"
        case .http: "http"
        }
    }
}

/// One thing a plan backs up.
public enum SourceConfig: Hashable, Codable, Sendable {
    /// Configuration files and data folders.
    case files(FileTreeSourceConfig)
    /// A SQLite database, copied online through SQLite's backup API.
    case sqlite(SQLiteSourceConfig)
    /// A MySQL or MariaDB server: logical dumps, and binary logs for incrementals.
    case mysql(MySQLSourceConfig)
    /// A source type a host registered itself (see `SourceRegistry` in BackupSources).
    case custom(CustomSourceConfig)

    /// The source's name within its plan.
    public var name: String {
        switch self {
        case .files(let config): config.name
        case .sqlite(let config): config.name
        case .mysql(let config): config.name
        case .custom(let config): config.name
        }
    }

    /// The `type:` value in plans (`files`, `sqlite`, `mysql`, or a registered type's name).
    public var typeName: String {
        switch self {
        case .files: "files"
        case .sqlite: "sqlite"
        case .mysql: "mysql"
        case .custom(let config): config.type
        }
    }

    /// Whether a built-in source can take incremental backups; a registered type answers through its
    /// source's `supportsIncremental`, so this is `false` for it.
    public var supportsIncremental: Bool {
        switch self {
        case .files: true
        case .sqlite, .custom: false
        case .mysql(let config): config.incremental == .binlog
        }
    }
}

/// The plan entry of a source type a host registered: its name, its `type:` and its other keys as text.
public struct CustomSourceConfig: Hashable, Codable, Sendable {
    /// The source's name within its plan.
    public var name: String
    /// The registered type name, as written after `type:`.
    public var type: String
    /// Every other key of the entry, as written.
    public var settings: [String: String]

    /// Creates an entry.
    public init(name: String, type: String, settings: [String: String] = [:]) {
        self.name = name
        self.type = type
        self.settings = settings
    }
}

/// A set of folders and files backed up as one POSIX tar stream.
public struct FileTreeSourceConfig: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case name, paths, include, exclude
        case hashContents = "hash_contents"
    }

    public var name: String
    /// Files or folders; each becomes a top-level entry named after its last path component.
    public var paths: [String]
    /// Glob patterns; when non-empty, only matching files are backed up (folders are always walked).
    public var include: [String]
    /// Glob patterns of files and folders to leave out (`*.tmp`, `cache/`).
    public var exclude: [String]
    /// Hash file contents so that a rewrite keeping size and mtime is still seen as a change.
    public var hashContents: Bool

    public init(name: String, paths: [String], include: [String] = [], exclude: [String] = [], hashContents: Bool = false) {
        self.name = name
        self.paths = paths
        self.include = include
        self.exclude = exclude
        self.hashContents = hashContents
    }
}

/// A SQLite database file.
public struct SQLiteSourceConfig: Hashable, Codable, Sendable {
    public var name: String
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// How artifacts are compressed.
public struct CompressionSettings: Hashable, Codable, Sendable {
    public var algorithm: CompressionAlgorithm
    /// zstd 1–19 (default 3) or gzip 1–9 (default 6).
    public var level: Int?
    /// zstd worker threads; 0 compresses on the calling thread. `nil` picks one per core, at most 4.
    public var threads: Int?

    public init(algorithm: CompressionAlgorithm = .zstd, level: Int? = nil, threads: Int? = nil) {
        self.algorithm = algorithm
        self.level = level
        self.threads = threads
    }

    /// The level used when none is given.
    public var effectiveLevel: Int {
        level ?? (algorithm == .gzip ? 6 : 3)
    }
}

/// Where the encryption key comes from. The key is 32 bytes: raw, hex (64 characters) or base64.
public struct EncryptionSettings: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case keyFile = "key_file"
        case keyEnvironmentVariable = "key_env"
    }

    /// A file holding the key; it must not be readable by group or others.
    public var keyFile: String?
    /// An environment variable holding the key.
    public var keyEnvironmentVariable: String?

    public init(keyFile: String? = nil, keyEnvironmentVariable: String? = nil) {
        self.keyFile = keyFile
        self.keyEnvironmentVariable = keyEnvironmentVariable
    }
}
