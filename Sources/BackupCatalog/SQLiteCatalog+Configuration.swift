extension SQLiteCatalog {
    /// How a catalog file is opened.
    ///
    /// ```swift
    /// var configuration = SQLiteCatalog.Configuration()
    /// configuration.busyTimeout = .seconds(30)
    /// let catalog = try SQLiteCatalog(path: "/var/lib/backup/catalog.sqlite", configuration: configuration)
    /// ```
    public struct Configuration: Hashable, Sendable {
        /// How long a write waits for another connection or process holding the write lock before it fails
        /// with ``CatalogError/Code-swift.struct/database``. The default is five seconds.
        public var busyTimeout: Duration
        /// How durable a committed transaction is. The default is ``Durability-swift.struct/full``.
        public var durability: Durability
        /// The most reader connections kept open at once (readers never block the writer). The default is 4.
        public var maximumReaderCount: Int

        /// Creates a configuration.
        /// - Parameters:
        ///   - busyTimeout: How long a write waits for the write lock.
        ///   - durability: What a returned write survives.
        ///   - maximumReaderCount: The most concurrent reader connections (at least 1).
        public init(busyTimeout: Duration = .seconds(5), durability: Durability = .full, maximumReaderCount: Int = 4) {
            self.busyTimeout = busyTimeout
            self.durability = durability
            self.maximumReaderCount = maximumReaderCount
        }
    }
}

extension SQLiteCatalog.Configuration {
    /// What a write that returned survives: SQLite's `synchronous` setting in WAL mode.
    public struct Durability: Hashable, Sendable, CustomStringConvertible {
        /// The value of SQLite's `synchronous` pragma.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// `synchronous = FULL`: the write-ahead log is synced at every commit, so a write that returned
        /// survives a power loss. One `fsync` per write; the default.
        public static let full = Durability("FULL")
        /// `synchronous = NORMAL`: the log is synced only at checkpoints. A crash of the process loses
        /// nothing, but a power loss may roll back the last writes (never corrupts the file).
        public static let normal = Durability("NORMAL")
    }
}
