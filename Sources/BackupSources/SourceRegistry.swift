public import BackupModels

/// What every source built for a run shares: the priority of the tools it starts.
public struct SourceContext: Sendable, Hashable {
    /// The CPU and I/O priority of child processes (the plan's `limits:`).
    public var priority: ChildProcessPriority

    /// Creates a context; tools run at normal priority by default.
    public init(priority: ChildProcessPriority = .normal) {
        self.priority = priority
    }
}

/// The source types a plan may name, by their `type:`, and how each is built from its plan entry.
///
/// ``standard`` knows `files`, `sqlite` and `mysql`. A host adds a type of its own in one place:
///
/// ```swift
/// var sources = SourceRegistry.standard
/// sources.register("redis") { config, context in
///     guard case .custom(let custom) = config else { throw SourceError.wrongConfiguration(config, for: "redis") }
///     return RedisSource(custom, priority: context.priority)
/// }
/// engine.sources = sources      // and hand the same registry to the plan loader
/// ```
public struct SourceRegistry: Sendable {
    /// Builds a source from its plan entry.
    public typealias Factory = @Sendable (SourceConfig, SourceContext) throws -> any BackupSource

    private var factories: [String: Factory] = [:]

    /// An empty registry.
    public init() {}

    /// The built-in types: `files`, `sqlite` and `mysql`.
    public static var standard: SourceRegistry {
        var registry = SourceRegistry()
        // A `.custom` entry of a built-in type carries only a name (the engine restores and verifies
        // backups of a source the plan no longer has that way): enough to read a backup, not to take one.
        registry.register("files") { config, _ in
            switch config {
            case .files(let files): return FileTreeSource(files)
            case .custom(let entry) where entry.type == "files": return FileTreeSource(FileTreeSourceConfig(name: entry.name, paths: []))
            default: throw SourceError.wrongConfiguration(config, for: "files")
            }
        }
        registry.register("sqlite") { config, _ in
            switch config {
            case .sqlite(let sqlite): return SQLiteSource(sqlite)
            case .custom(let entry) where entry.type == "sqlite": return SQLiteSource(SQLiteSourceConfig(name: entry.name, path: ""))
            default: throw SourceError.wrongConfiguration(config, for: "sqlite")
            }
        }
        registry.register("mysql") { config, context in
            switch config {
            case .mysql(let mysql): return MySQLSource(mysql, priority: context.priority)
            case .custom(let entry) where entry.type == "mysql":
                return MySQLSource(MySQLSourceConfig(name: entry.name, user: ""), priority: context.priority)
            default: throw SourceError.wrongConfiguration(config, for: "mysql")
            }
        }
        return registry
    }

    /// Adds or replaces the type `typeName`.
    public mutating func register(_ typeName: String, factory: @escaping Factory) {
        factories[typeName] = factory
    }

    /// The registered type names, sorted.
    public var typeNames: [String] { factories.keys.sorted() }

    /// Whether `typeName` is registered.
    public func knows(_ typeName: String) -> Bool { factories[typeName] != nil }

    /// Builds the source of a plan entry.
    ///
    /// - Throws: ``SourceError`` `invalidConfiguration` when the entry's type is not registered, or what
    ///   the type's factory throws.
    public func makeSource(_ config: SourceConfig, context: SourceContext = SourceContext()) throws -> any BackupSource {
        guard let factory = factories[config.typeName] else {
            throw SourceError(
                code: .invalidConfiguration, source: config.name,
                message: "no source type '\(config.typeName)' is registered (known: \(typeNames.joined(separator: ", ")))")
        }
        return try factory(config, context)
    }
}

extension SourceError {
    /// The error a factory throws when it is handed another type's entry.
    public static func wrongConfiguration(_ config: SourceConfig, for typeName: String) -> SourceError {
        SourceError(
            code: .invalidConfiguration, source: config.name,
            message: "the '\(typeName)' source type cannot be built from a '\(config.typeName)' entry")
    }
}
