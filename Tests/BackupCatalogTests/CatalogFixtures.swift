import BackupCatalogTesting
import BackupModels
import Foundation
import GRDB
import Testing

@testable import BackupCatalog

/// Runs `body` with a fresh folder under the system temporary folder, removed afterwards.
func withTemporaryFolder<T>(_ body: (String) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("BackupCatalogTests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try await body(folder)
}

/// Runs `body` with a catalog on a new file in a temporary folder.
func withCatalog<T>(
    _ configuration: SQLiteCatalog.Configuration = .init(), _ body: (SQLiteCatalog, String) async throws -> T
) async throws -> T {
    try await withTemporaryFolder { folder in
        let path = folder + "/catalog.sqlite"
        let catalog = try SQLiteCatalog(path: path, configuration: configuration)
        return try await body(catalog, path)
    }
}

/// Expects `body` to throw a ``CatalogError`` with `code`, and returns it.
@discardableResult
func expectCatalogError(
    _ code: CatalogError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> CatalogError? {
    do {
        try await body()
        Issue.record("expected a \(code) error, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as CatalogError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a CatalogError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Values shared by the tests: whole-second UTC instants (exact as REAL seconds), records and artifacts.
enum Fixture {
    /// 2025-11-25T01:30:00Z.
    static let epoch = CalendarTime(year: 2025, month: 11, day: 25, hour: 1, minute: 30).date(in: .utc)!

    /// `epoch` plus `hours`.
    static func date(hours: Double) -> Date { epoch.addingTimeInterval(hours * 3600) }

    /// A running full backup started `hours` after `epoch`.
    static func record(
        id: String? = nil, plan: String = "nightly", source: String = "app-db", hours: Double = 0,
        parent: BackupRecord? = nil, tags: [String] = [], host: String = "db1"
    ) -> BackupRecord {
        let startedAt = date(hours: hours)
        let label =
            parent.map { BackupLabel.incremental(on: $0.label, at: startedAt, in: .utc) }
            ?? BackupLabel.full(at: startedAt, in: .utc)
        return BackupRecord(
            id: id.map(BackupID.init(rawValue:)) ?? .random(), plan: plan, source: source,
            kind: parent == nil ? .full : .incremental, parentID: parent?.id, label: label, startedAt: startedAt,
            tags: tags, host: host)
    }

    /// A complete artifact whose checksum derives from its key.
    static func artifact(_ key: String, size: Int64 = 4096, role: String = "data") -> ArtifactDescriptor {
        ArtifactDescriptor(
            role: role, key: key, sizeBytes: size, sha256: checksum(key), compression: .zstd,
            encryptionKeyID: "key-2025", uncompressedBytes: size * 3)
    }

    /// A lowercase 64-character hexadecimal string derived from `text` (not a real SHA-256; the catalog
    /// checks only the form).
    static func checksum(_ text: String) -> String { CatalogConformance.checksum(text) }

    /// Inserts `record` and commits it with one artifact per key, returning the committed record.
    @discardableResult
    static func committed(_ record: BackupRecord, in catalog: SQLiteCatalog, keys: [String]? = nil) async throws -> BackupRecord {
        try await catalog.insert(record)
        let keys = keys ?? ["\(record.plan)/\(record.source)/\(record.label).zst"]
        return try await catalog.commit(
            record.id, artifacts: keys.map { artifact($0) }, position: nil,
            finishedAt: record.startedAt.addingTimeInterval(60))
    }

    /// An archive configuration for `tableID`.
    static func archiveConfig(
        id: String = UUID().uuidString.lowercased(), tableID: String = "2_bklog.nginx_access", enabled: Bool = true,
        hours: Double = 0
    ) -> ArchiveConfig {
        ArchiveConfig(
            id: id, instanceID: "17", instanceType: .collectorConfig, businessID: "2", tableID: tableID,
            repository: "cos_archive", snapshotDays: 30, timeZoneIdentifier: "Asia/Shanghai", isEnabled: enabled,
            createdAt: date(hours: hours))
    }

    /// An archived index of `tableID` holding events in `[start, end]` (hours after `epoch`).
    static func archivedIndex(
        _ name: String, tableID: String = "2_bklog.nginx_access", snapshot: String = "2_bklog_nginx_access_snapshot_20251125",
        from start: Double, to end: Double
    ) -> ArchivedIndex {
        ArchivedIndex(
            archiveConfigID: "config-1", tableID: tableID, repository: "cos_archive", snapshot: snapshot, index: name,
            docCount: 1000, storeSizeBytes: 1 << 20, startTime: date(hours: start), endTime: date(hours: end),
            archivedAt: date(hours: end + 1))
    }
}

/// Raw access to a catalog file, as another program (or an older library) would have it.
enum RawFile {
    /// Runs `body` on a plain GRDB connection to `path`, closed afterwards.
    static func write<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.write(body)
    }

    /// Reads with a plain GRDB connection to `path`.
    static func read<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read(body)
    }

    /// The bytes and modification date of a file.
    static func fingerprint(_ path: String) throws -> (Data, Date?) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let date = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
        return (data, date)
    }
}
