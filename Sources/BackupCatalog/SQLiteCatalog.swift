import BackupModels
import Foundation
import GRDB

/// A ``Catalog``, ``LeaseCatalog`` and ``DrillCatalog`` kept in one SQLite file, shared safely by several tasks and several processes.
///
/// The file is in WAL mode: readers never block the writer nor each other, and writes from other
/// processes wait up to ``Configuration-swift.struct/busyTimeout`` for the write lock. The schema is
/// created and upgraded by forward-only migrations (see ``schemaVersion``); a file written by a newer
/// library is refused and left untouched.
///
/// ```swift
/// let catalog = try SQLiteCatalog(path: "/var/lib/backup/catalog.sqlite")
/// try await catalog.insert(record)                       // running
/// try await catalog.commit(record.id, artifacts: [artifact], position: nil, finishedAt: now)
/// let restorable = try await catalog.records(RecordQuery(plan: "nightly", states: [.committed]))
/// ```
///
/// The library's own rules hold in the file too: triggers refuse a state change the life cycle does not
/// allow, or a `committed` record without artifacts, even from the `sqlite3` shell.
public final class SQLiteCatalog: BackupRecordCatalog, ArchiveCatalog, LeaseCatalog, DrillCatalog {
    /// The identifier of the newest schema migration this library knows (`v7_drills`).
    public static let schemaVersion: String = Migration.missing

    /// The catalog file, or `:memory:` for ``inMemory()``.
    public let path: String

    /// The database: a `DatabasePool` for files, a `DatabaseQueue` in memory.
    let writer: any DatabaseWriter

    /// Opens the catalog at `path`, creating the file and its missing folders if needed, and brings its
    /// schema up to date.
    ///
    /// New folders get mode 0700 and a new file mode 0600. Before anything writes to an existing file,
    /// a read-only connection checks that it holds no migration this library does not know.
    ///
    /// - Parameters:
    ///   - path: The catalog file.
    ///   - configuration: Lock timeout, durability and reader count.
    /// - Throws: ``CatalogError/Code-swift.struct/newerSchema`` if a newer library wrote the file (which
    ///   stays byte-for-byte unchanged); ``CatalogError/Code-swift.struct/database`` if the file cannot be
    ///   created, opened or migrated.
    public convenience init(path: String, configuration: Configuration = Configuration()) throws {
        let migrator = Self.migrator()
        var options = GRDB.Configuration()
        options.label = "BackupCatalog"
        options.foreignKeysEnabled = true
        options.busyMode = .timeout(configuration.busyTimeout.seconds)
        options.maximumReaderCount = max(1, configuration.maximumReaderCount)
        let pool: DatabasePool
        do {
            if try CatalogFile.prepare(path) {
                try Self.refuseNewerSchema(at: path, options: options, migrator: migrator)
            }
            pool = try Self.openPool(path: path, options: options, within: configuration.busyTimeout)
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(configuration.durability)")
            }
        } catch {
            throw Self.wrap(error, "cannot open the catalog", path: path)
        }
        try self.init(migrating: pool, path: path, migrator: migrator)
    }

    /// Opens the pool, retrying while another process holds the lock that switching a new file to WAL
    /// needs: SQLite may answer that `PRAGMA journal_mode` with SQLITE_BUSY at once, without calling
    /// the busy handler, when several processes create the same catalog together.
    static func openPool(path: String, options: GRDB.Configuration, within timeout: Duration) throws -> DatabasePool {
        let deadline = ContinuousClock.now + timeout
        var pause = Duration.milliseconds(5)
        while true {
            do {
                return try DatabasePool(path: path, configuration: options)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now + pause < deadline {
                Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
                pause = min(pause * 2, .milliseconds(200))
            }
        }
    }

    /// Opens a catalog that lives in memory only, with the same schema and rules as a file (for tests
    /// and dry runs). It disappears with the object.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if SQLite cannot create it.
    public static func inMemory() throws -> SQLiteCatalog {
        let path = ":memory:"
        var options = GRDB.Configuration()
        options.label = "BackupCatalog.memory"
        options.foreignKeysEnabled = true
        do {
            return try SQLiteCatalog(migrating: try DatabaseQueue(configuration: options), path: path, migrator: migrator())
        } catch {
            throw wrap(error, "cannot create the catalog", path: path)
        }
    }

    /// Wraps an open database and applies the migrations it lacks.
    init(migrating writer: any DatabaseWriter, path: String, migrator: DatabaseMigrator) throws {
        self.writer = writer
        self.path = path
        do {
            try Self.migrate(writer, with: migrator, path: path)
        } catch {
            throw Self.wrap(error, "cannot migrate the catalog to \(Self.schemaVersion)", path: path)
        }
    }

    /// The applied schema migrations, oldest first (the last is ``schemaVersion`` once opened).
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if the file cannot be read.
    public func schemaVersions() async throws -> [String] {
        let migrator = Self.migrator()
        return try await read("read the schema versions") { db in try migrator.appliedMigrations(db) }
    }

    /// Closes the file's connections. Any later call throws ``CatalogError/Code-swift.struct/database``.
    ///
    /// Releasing the catalog closes it too; call this to see errors, or to close while other
    /// references remain.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if SQLite cannot close cleanly.
    public func close() throws {
        do {
            try writer.close()
        } catch {
            throw Self.wrap(error, "cannot close the catalog", path: path)
        }
    }

    // MARK: Access

    /// Runs `body` in a read transaction (a consistent snapshot), wrapping errors.
    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch {
            throw Self.wrap(error, operation, path: path)
        }
    }

    /// Runs `body` in one write transaction, rolled back if it throws, wrapping errors.
    func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch {
            throw Self.wrap(error, operation, path: path)
        }
    }

    // MARK: Opening

    /// Throws ``CatalogError/Code-swift.struct/newerSchema`` if the file holds an unknown migration,
    /// reading it through a read-only connection so that nothing is written.
    private static func refuseNewerSchema(
        at path: String, options: GRDB.Configuration, migrator: DatabaseMigrator
    ) throws {
        var readOnly = options
        readOnly.readonly = true
        readOnly.label = "BackupCatalog.check"
        let queue = try DatabaseQueue(path: path, configuration: readOnly)
        defer { try? queue.close() }
        let applied = try queue.read { db in try migrator.appliedIdentifiers(db) }
        try refuseUnknown(applied, migrator: migrator, path: path)
    }

    private static func refuseUnknown(_ applied: Set<String>, migrator: DatabaseMigrator, path: String) throws {
        let unknown = applied.subtracting(migrator.migrations).sorted()
        guard unknown.isEmpty else {
            throw CatalogError(
                code: .newerSchema,
                message: "the file has schema migration \(unknown.joined(separator: ", ")) that this library "
                    + "(schema \(schemaVersion)) does not know; open it with a newer BackupKit",
                path: path)
        }
    }

    /// Applies missing migrations. If another process migrated the file at the same moment (our
    /// migration then fails on an existing table), looks again, as long as the other process made
    /// progress: GRDB reads the applied migrations outside the transaction of each migration, so with
    /// several migrations to apply one retry is not always enough.
    private static func migrate(_ writer: any DatabaseWriter, with migrator: DatabaseMigrator, path: String) throws {
        var applied = try writer.read { try migrator.appliedIdentifiers($0) }
        try refuseUnknown(applied, migrator: migrator, path: path)
        while true {
            do {
                return try migrator.migrate(writer)
            } catch {
                let now = try writer.read { try migrator.appliedIdentifiers($0) }
                try refuseUnknown(now, migrator: migrator, path: path)
                guard now.count > applied.count else { throw error }
                applied = now
            }
        }
    }
}

extension Duration {
    /// The duration in seconds, as GRDB's busy timeout wants it.
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
