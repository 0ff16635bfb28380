import ArtifactFormat
public import BackupModels
import BackupSupport
import Foundation
import GRDB
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Backs up a SQLite database with SQLite's online backup API: the copy is consistent even while
/// other connections write, and the result is a plain database file (`X.sqlite.zst` decompresses to a
/// file `sqlite3` opens).
///
/// The copy is made into a private temporary folder (mode 0700), streamed, and removed afterwards.
/// SQLite copies cannot be incremental: asked for one, the engine takes a full backup and says so.
public struct SQLiteSource: BackupSource {
    public let config: SQLiteSourceConfig
    /// Where the temporary copy is made; the system temporary folder when `nil`.
    public var temporaryDirectory: String?
    public var chunkSize: Int

    public init(_ config: SQLiteSourceConfig, temporaryDirectory: String? = nil, chunkSize: Int = 1 << 20) {
        self.config = config
        self.temporaryDirectory = temporaryDirectory
        self.chunkSize = chunkSize
    }

    public var name: String { config.name }
    public var typeName: String { "sqlite" }
    public var supportsIncremental: Bool { false }
    /// The online copy of the database file.
    public var payloadExtensions: [String] { ["sqlite"] }

    public func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup {
        let path = config.path
        switch FileSystem.lstatus(path) {
        case .failure(let error):
            throw SourceError(code: error == .notFound ? .missingPath : .unreadable, source: name, path: path, message: error.text)
        case .success(let status) where !status.isRegular:
            throw SourceError(code: .invalidConfiguration, source: name, path: path, message: "not a regular file")
        case .success:
            break
        }

        let folder = try makePrivateFolder()
        let copyPath = folder + "/" + "copy.sqlite"
        let cleanup: @Sendable () -> Void = {
            try? FileManager.default.removeItem(atPath: folder)
        }
        let tableRows: [String: Int64]
        do {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            let database = try DatabaseQueue(path: path, configuration: configuration)
            let copy = try DatabaseQueue(path: copyPath)
            try database.backup(to: copy)
            // Counted in the copy: the rows the backup holds, whatever was written since.
            tableRows = try copy.inDatabase(Self.countRows)
            try copy.close()
            try database.close()
        } catch let error as DatabaseError {
            cleanup()
            throw SourceError(code: .database, source: name, path: path, message: error.message ?? "\(error.resultCode)", underlying: error)
        } catch {
            cleanup()
            throw error
        }

        let size: Int64
        if case .success(let status) = FileSystem.lstatus(copyPath) { size = status.size } else { size = 0 }
        let read = Shared(Int64(0))
        let copy: ByteStream
        do {
            copy = try await LocalStorage(root: folder, readChunkSize: chunkSize).get("copy.sqlite")
        } catch {
            cleanup()
            throw error
        }
        let stream = copy.transformed { CopyProgress(read: read, progress: progress) }
        let fileName = (path as NSString).lastPathComponent
        return PreparedBackup(
            stream: stream, fileExtension: "sqlite", expectedBytes: size, expectedFiles: 1,
            outcome: {
                SourceOutcome(
                    notes: [], position: SourcePosition(extra: ["file_name": fileName]), filesTotal: 1, filesStored: 1,
                    bytesRead: read.value, tableRows: tableRows)
            },
            cleanup: cleanup)
    }

    /// The row count of every table of a database (SQLite's own `sqlite_` tables left out).
    static func countRows(_ db: Database) throws -> [String: Int64] {
        let tables = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        var counts: [String: Int64] = [:]
        for table in tables {
            let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            counts[table] = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(quoted)") ?? 0
        }
        return counts
    }

    /// Opens the database file at `path` read-only and runs `PRAGMA integrity_check` and a row count of
    /// every table: what a restore drill checks of a restored SQLite backup.
    ///
    /// - Parameters:
    ///   - path: The restored database file.
    ///   - source: The source's name, for errors.
    /// - Returns: The lines `integrity_check` printed (`["ok"]` for a sound file) and each table's rows.
    /// - Throws: ``SourceError`` `database` when the file does not open as a database.
    package static func inspectRestoredDatabase(at path: String, source: String) throws
        -> (integrity: [String], tableRows: [String: Int64])
    {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? database.close() }
            return try database.read { db in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                return (integrity, try Self.countRows(db))
            }
        } catch let error as DatabaseError {
            throw SourceError(
                code: .database, source: source, path: path, message: error.message ?? "\(error.resultCode)", underlying: error)
        }
    }

    private func makePrivateFolder() throws -> String {
        let temporaryDirectory = self.temporaryDirectory ?? NSTemporaryDirectory()
        var template = Array((temporaryDirectory.hasSuffix("/") ? temporaryDirectory : temporaryDirectory + "/").utf8CString.dropLast())
        template += Array("backupkit-sqlite-XXXXXX".utf8CString)
        guard let result = mkdtemp(&template) else {
            throw SourceError(
                code: .unreadable, source: name, path: temporaryDirectory,
                message: "cannot create a temporary folder: \(FileSystem.errorText(errno))")
        }
        return String(cString: result)
    }
}

/// Counts the copy's bytes as they are read and reports them, then the one file at the end.
private final class CopyProgress: ChunkTransformer {
    private let read: Shared<Int64>
    private let progress: @Sendable (SourceProgress) -> Void

    init(read: Shared<Int64>, progress: @escaping @Sendable (SourceProgress) -> Void) {
        self.read = read
        self.progress = progress
    }

    func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        read.withLock { $0 += Int64(chunk.count) }
        progress(SourceProgress(bytes: Int64(chunk.count)))
        return chunk
    }

    func finish() throws -> [UInt8] {
        progress(SourceProgress(files: 1))
        return []
    }
}
