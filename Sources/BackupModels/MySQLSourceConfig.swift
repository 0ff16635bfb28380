/// A MySQL or MariaDB server backed up with logical dumps and, for incrementals, its binary logs.
public struct MySQLSourceConfig: Hashable, Codable, Sendable {
    /// How incrementals are taken.
    public enum IncrementalMode: String, Hashable, Codable, Sendable {
        /// Every backup is a full dump.
        case none
        /// Incrementals copy the binary logs closed since the parent.
        case binlog
    }

    /// What an incremental does when the binary logs after its parent were purged.
    public enum BrokenChainPolicy: String, Hashable, Codable, Sendable {
        /// Fail the run with a "broken chain" error.
        case fail
        /// Take a new full backup instead, and say so in the run's notes.
        case full
    }

    enum CodingKeys: String, CodingKey {
        case name, host, port, user, databases, incremental, parallel
        case passwordEnvironmentVariable = "password_env"
        case optionFile = "option_file"
        case excludeTables = "exclude_tables"
        case schemaDirectory = "schema_dir"
        case requireCoverage = "require_coverage"
        case onBrokenChain = "on_broken_chain"
    }

    public var name: String
    public var host: String
    public var port: Int
    public var user: String
    /// The environment variable holding the password (passed to the tools through a 0600 option file).
    public var passwordEnvironmentVariable: String?
    /// An existing 0600 option file with a `[client]` section, instead of a password variable.
    public var optionFile: String?
    /// Databases to dump; empty means every user database.
    public var databases: [String]
    /// `database.table` names left out of the dump.
    public var excludeTables: [String]
    public var incremental: IncrementalMode
    /// A folder of schema SQL files whose tables must be covered.
    public var schemaDirectory: String?
    /// Refuse to run while a table of the schema is neither backed up nor excluded.
    public var requireCoverage: Bool
    /// Tables dumped concurrently inside one consistent snapshot; 1 is a single `mysqldump` stream.
    public var parallel: Int
    /// What an incremental does when a binary log after its parent is gone (`on_broken_chain`).
    public var onBrokenChain: BrokenChainPolicy

    public init(
        name: String, host: String = "127.0.0.1", port: Int = 3306, user: String,
        passwordEnvironmentVariable: String? = nil, optionFile: String? = nil, databases: [String] = [],
        excludeTables: [String] = [], incremental: IncrementalMode = .none, schemaDirectory: String? = nil,
        requireCoverage: Bool = false, parallel: Int = 1, onBrokenChain: BrokenChainPolicy = .fail
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.user = user
        self.passwordEnvironmentVariable = passwordEnvironmentVariable
        self.optionFile = optionFile
        self.databases = databases
        self.excludeTables = excludeTables
        self.incremental = incremental
        self.schemaDirectory = schemaDirectory
        self.requireCoverage = requireCoverage
        self.parallel = parallel
        self.onBrokenChain = onBrokenChain
    }

    /// Decodes a configuration; keys added after the first version are optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        host = try container.decodeIfPresent(String.self, forKey: .host) ?? "127.0.0.1"
        port = try container.decodeIfPresent(Int.self, forKey: .port) ?? 3306
        user = try container.decode(String.self, forKey: .user)
        passwordEnvironmentVariable = try container.decodeIfPresent(String.self, forKey: .passwordEnvironmentVariable)
        optionFile = try container.decodeIfPresent(String.self, forKey: .optionFile)
        databases = try container.decodeIfPresent([String].self, forKey: .databases) ?? []
        excludeTables = try container.decodeIfPresent([String].self, forKey: .excludeTables) ?? []
        incremental = try container.decodeIfPresent(IncrementalMode.self, forKey: .incremental) ?? .none
        schemaDirectory = try container.decodeIfPresent(String.self, forKey: .schemaDirectory)
        requireCoverage = try container.decodeIfPresent(Bool.self, forKey: .requireCoverage) ?? false
        parallel = try container.decodeIfPresent(Int.self, forKey: .parallel) ?? 1
        onBrokenChain = try container.decodeIfPresent(BrokenChainPolicy.self, forKey: .onBrokenChain) ?? .fail
    }
}
