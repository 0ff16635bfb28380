import BackupCatalog
import BackupModels
import Foundation
import Testing

@testable import BackupEngine
@testable import BackupSources
@testable import RemoteStorage

/// A run killed after it stored (part of) its artifact and before the commit leaves a `running`
/// record, objects under the keys its source type writes, and on S3 an unfinished multipart upload.
/// The next run must mark the record failed and remove all of it, whatever the source type.
@Suite("Interrupted runs of every source type leave nothing behind")
struct InterruptedRunTests {
    /// One source type and the payload extension a killed run of it leaves.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var source: SourceConfig
        var kind: BackupKind
        var payload: String
        var testDescription: String { name }
    }

    static let mysql = MySQLSourceConfig(name: "shop", user: "backup", databases: ["shop"], incremental: .binlog)
    static var parallelMySQL: MySQLSourceConfig {
        var config = mysql
        config.parallel = 2
        return config
    }

    static let cases: [Case] = [
        Case(name: "files", source: .files(FileTreeSourceConfig(name: "shop", paths: ["/etc/hostname"])), kind: .full, payload: "tar"),
        Case(name: "sqlite", source: .sqlite(SQLiteSourceConfig(name: "shop", path: "/tmp/app.db")), kind: .full, payload: "sqlite"),
        Case(name: "mysql single stream", source: .mysql(mysql), kind: .full, payload: "sql"),
        Case(name: "mysql parallel", source: .mysql(parallelMySQL), kind: .full, payload: "tar"),
        Case(name: "mysql binlog incremental", source: .mysql(mysql), kind: .incremental, payload: "binlog.tar"),
    ]

    /// Leaves what a run of `source` killed before its commit leaves, in `engine`'s catalog and storage;
    /// returns the record and the keys written.
    static func simulateKilledRun(
        _ testCase: Case, engine: Engine, clock: TestClock, encrypted: Bool = false
    ) async throws -> (BackupRecord, [String]) {
        let zone = TimeZone(identifier: engine.plan.timeZoneIdentifier)!
        var parent: BackupRecord? = nil
        if testCase.kind == .incremental {
            let full = BackupRecord(
                plan: engine.plan.name, source: "shop", kind: .full, label: .full(at: clock.now.addingTimeInterval(-3600), in: zone),
                startedAt: clock.now.addingTimeInterval(-3600), host: "test-host")
            try await engine.catalog.insert(full)
            try await engine.catalog.markFailed(full.id, reason: "fixture", at: clock.now)
            parent = full
        }
        let label = parent.map { BackupLabel.incremental(on: $0.label, at: clock.now, in: zone) } ?? .full(at: clock.now, in: zone)
        let stale = BackupRecord(
            plan: engine.plan.name, source: "shop", kind: testCase.kind, parentID: parent?.id, label: label, startedAt: clock.now,
            host: "test-host")
        try await engine.catalog.insert(stale)
        let ext = testCase.payload + ".zst" + (encrypted ? ".enc" : "")
        let key = try engine.plan.naming.render(
            NamingTemplate.Values(
                plan: engine.plan.name, source: "shop", kind: testCase.kind, label: label, host: "test-host", ext: ext,
                date: clock.now),
            in: zone)
        let manifest = Engine.manifestKey(forArtifact: key)
        try await engine.storage.put(Array("half an artifact".utf8), at: key)
        try await engine.storage.put(Array("{\"partial\":".utf8), at: manifest)
        guard case .files = testCase.source else { return (stale, [key, manifest]) }
        // A file-tree run killed after its index was stored, before the manifest: the index is left too.
        let index = Engine.indexKey(forArtifact: key, encrypted: encrypted)
        try await engine.storage.put(Array("{\"path\":".utf8), at: index)
        return (stale, [key, manifest, index])
    }

    @Test("local storage: the record is marked failed and the artifact and manifest are removed", arguments: cases)
    func local(_ testCase: Case) async throws {
        let scratch = Scratch("interrupted")
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch, sources: [testCase.source]), clock: clock)
        let (stale, keys) = try await Self.simulateKilledRun(testCase, engine: engine, clock: clock, encrypted: testCase.kind == .full)
        for key in keys { #expect(try await engine.storage.head(key) != nil) }

        clock.advance(60)
        let recovered = try await engine.recoverInterruptedRuns()
        #expect(recovered.map(\.id) == [stale.id])
        #expect(try await engine.catalog.record(stale.id)?.state == .failed)
        for key in keys { #expect(try await engine.storage.head(key) == nil, "left behind: \(key)") }
        // Nothing of the run is left in the storage folder, partial files included.
        let left = try Fixture.shell("find '\(scratch.sub("store"))' -type f -path '*shop*' | wc -l").output
        #expect(left.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test("S3: an unfinished multipart upload of a parallel MySQL dump is aborted", .enabled(if: S3Fixture.isAvailable))
    func s3MultipartUpload() async throws {
        try await S3Fixture.withStorage { storage in
            let scratch = Scratch("interrupted-s3")
            let clock = TestClock("2026-11-24T17:30:00Z")
            let testCase = Self.cases[3]
            let plan = Fixture.plan(scratch, sources: [testCase.source])
            let engine = Engine(
                plan: plan, catalog: try SQLiteCatalog(path: scratch.sub("catalog.sqlite")), storage: storage,
                logger: Fixture.logger, host: "test-host", now: { clock.now })
            let (_, keys) = try await Self.simulateKilledRun(testCase, engine: engine, clock: clock)
            // The killed run had started a multipart upload of its artifact.
            let uploadID = try await storage.initiateMultipartUpload(storage.objectName(keys[0]), key: keys[0])
            #expect(try await storage.pendingUploads(prefix: "", key: nil).map(\.uploadID).contains(uploadID))

            _ = try await engine.recoverInterruptedRuns()
            #expect(try await storage.pendingUploads(prefix: "", key: nil).isEmpty)
            for key in keys { #expect(try await storage.head(key) == nil) }
        }
    }
}

/// The SeaweedFS server of `scripts/services/seaweedfs.sh`, for engine tests.
enum S3Fixture {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var isAvailable: Bool {
        let available = environment["BACKUPKIT_S3_ENDPOINT"] != nil && environment["BACKUPKIT_S3_ACCESS_KEY"] != nil
        if !available { print("skipped S3 engine tests: set BACKUPKIT_S3_* (scripts/services/seaweedfs.sh writes them)") }
        return available
    }

    /// Runs `body` with a storage on a fresh bucket, then removes the bucket.
    static func withStorage(_ body: (S3Storage) async throws -> Void) async throws {
        let endpoint = try #require(environment["BACKUPKIT_S3_ENDPOINT"].flatMap(URL.init(string:)))
        let bucket = "bk-engine-" + UUID().uuidString.prefix(12).lowercased()
        let storage = try S3Storage(
            endpoint: try S3Endpoint(
                endpoint: endpoint, bucket: bucket, region: environment["BACKUPKIT_S3_REGION"] ?? "us-east-1", pathStyle: true),
            credentials: S3Credentials(
                accessKeyID: try #require(environment["BACKUPKIT_S3_ACCESS_KEY"]),
                secretAccessKey: try #require(environment["BACKUPKIT_S3_SECRET_KEY"])))
        try await storage.createBucket()
        do {
            try await body(storage)
        } catch {
            try? await empty(storage)
            throw error
        }
        try await empty(storage)
    }

    private static func empty(_ storage: S3Storage) async throws {
        for upload in try await storage.pendingUploads(prefix: "", key: nil) {
            try await storage.abortMultipartUpload(upload.objectName, uploadID: upload.uploadID)
        }
        for try await object in storage.listAll(prefix: "") { try await storage.delete(object.key) }
        try await storage.deleteBucket()
    }
}
