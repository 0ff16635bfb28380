import BackupCatalog
import BackupCatalogTesting
import BackupModels
import Foundation
import PostgresCatalog
import PostgresNIO
import Testing

@Suite(
    "PostgresCatalog against a real PostgreSQL",
    .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresCatalogTests {
    let server = PostgresTestServer.shared!

    // MARK: Conformance

    @Test("PostgresCatalog keeps every promise of BackupRecordCatalog")
    func records() async throws {
        let maker = PostgresCatalogMaker(server: server)
        do {
            try await CatalogConformance.checkRecords { try await maker.make() }
        } catch {
            await maker.dropAll()
            throw error
        }
        await maker.dropAll()
    }

    @Test("PostgresCatalog keeps every promise of ArchiveCatalog")
    func archive() async throws {
        let maker = PostgresCatalogMaker(server: server)
        do {
            try await CatalogConformance.checkArchive { try await maker.make() }
        } catch {
            await maker.dropAll()
            throw error
        }
        await maker.dropAll()
    }

    @Test("PostgresCatalog keeps every promise of LeaseCatalog")
    func leases() async throws {
        let maker = PostgresCatalogMaker(server: server)
        do {
            try await CatalogConformance.checkLeases { try await maker.make() }
        } catch {
            await maker.dropAll()
            throw error
        }
        await maker.dropAll()
    }

    @Test("PostgresCatalog keeps every promise of DrillCatalog")
    func drills() async throws {
        let maker = PostgresCatalogMaker(server: server)
        do {
            try await CatalogConformance.checkDrills { try await maker.make() }
        } catch {
            await maker.dropAll()
            throw error
        }
        await maker.dropAll()
    }

    // MARK: Migrations

    @Test("the migrations are recorded, and a database holding an unknown migration is refused untouched")
    func migrations() async throws {
        try await server.withCatalog { catalog, database in
            let versions = try await catalog.schemaVersions()
            #expect(versions.last == PostgresCatalog.schemaVersion)
            #expect(versions.count == Set(versions).count)
            try await catalog.insert(record(plan: "nightly"))
            try await server.withConnection(database: database.database) { connection in
                try await connection.query(
                    "INSERT INTO backupkit_migrations (id) VALUES ('pg99_from_the_future')", logger: PostgresTestServer.logger)
            }
            do {
                _ = try await PostgresCatalog.open(database, password: server.password)
                Issue.record("a database with an unknown migration was opened")
            } catch let error as CatalogError {
                #expect(error.code == .newerSchema)
                #expect(error.message.contains("pg99_from_the_future"))
            }
            // Untouched: the records and the migrations are as they were.
            #expect(try await catalog.records(RecordQuery(plan: "nightly")).count == 1)
            #expect(try await catalog.schemaVersions() == versions + ["pg99_from_the_future"])
        }
    }

    @Test("two catalogs opening a fresh database at once migrate it once")
    func concurrentMigration() async throws {
        let database = try await server.createDatabase()
        do {
            let password = server.password
            let catalogs = try await withThrowingTaskGroup(of: PostgresCatalog.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresCatalog.open(database, password: password) } }
                var all: [PostgresCatalog] = []
                for try await catalog in group { all.append(catalog) }
                return all
            }
            let versions = try await catalogs[0].schemaVersions()
            #expect(versions.count == Set(versions).count)
            #expect(versions.last == PostgresCatalog.schemaVersion)
            for catalog in catalogs { await catalog.close() }
        } catch {
            try? await server.dropDatabase(database)
            throw error
        }
        try await server.dropDatabase(database)
    }

    // MARK: Rules in the database

    @Test("the trigger refuses an expired record moved back to committed, even from raw SQL")
    func triggerRefusesRawSQL() async throws {
        try await server.withCatalog { catalog, database in
            let running = record(plan: "nightly")
            try await catalog.insert(running)
            try await catalog.commit(
                running.id, artifacts: [artifact("nightly/a.zst")], position: nil, finishedAt: running.startedAt.addingTimeInterval(60))
            try await catalog.markExpired([running.id], at: running.startedAt.addingTimeInterval(3600))
            let refused: Bool = try await server.withConnection(database: database.database) { connection in
                do {
                    try await connection.query(
                        "UPDATE backups SET state = 'committed' WHERE id = \(running.id.rawValue)", logger: PostgresTestServer.logger)
                    return false
                } catch let error as PSQLError {
                    return error.serverInfo?[.sqlState] == "BK001"
                }
            }
            #expect(refused)
            #expect(try await catalog.record(running.id)?.state == .expired)
        }
    }

    @Test("dates read back exactly as SQLiteCatalog returns them")
    func datePrecision() async throws {
        let sqlite = try SQLiteCatalog.inMemory()
        let startedAt = Date(timeIntervalSince1970: 1_764_034_200.123_456_7)
        let running = BackupRecord(
            id: .random(), plan: "p", source: "s", kind: .full, label: .full(at: startedAt, in: .utc), startedAt: startedAt)
        try await sqlite.insert(running)
        let expected = try await sqlite.record(running.id)
        let seen = try await server.withCatalog { catalog, _ in
            try await catalog.insert(running)
            return try await catalog.record(running.id)
        }
        #expect(seen == expected)
        #expect(seen?.startedAt == startedAt)
    }

    // MARK: Leases across instances

    @Test("many concurrent acquisitions of one lease from two catalog instances: exactly one wins")
    func leaseRaceAcrossInstances() async throws {
        try await server.withCatalog { first, database in
            let second = try await PostgresCatalog.open(database, password: server.password)
            let now = Date(timeIntervalSince1970: 1_764_034_200)
            let outcomes = try await withThrowingTaskGroup(of: LeaseAcquisition.self) { group in
                for index in 0..<40 {
                    let catalog = index.isMultiple(of: 2) ? first : second
                    group.addTask {
                        try await catalog.acquireLease(
                            "plan:nightly", owner: LeaseOwner(host: "host-\(index)", pid: Int32(index)), duration: .seconds(60), now: now)
                    }
                }
                var all: [LeaseAcquisition] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
            await second.close()
            let winners = outcomes.compactMap(\.lease)
            #expect(winners.count == 1)
            #expect(try await first.lease(named: "plan:nightly") == winners.first)
        }
    }

    // MARK: Connections, TLS and the password

    @Test("tls require against a server without TLS fails with a clear error")
    func tlsRequire() async throws {
        let database = try await server.createDatabase()
        defer { Task { [server] in try? await server.dropDatabase(database) } }
        do {
            let catalog = try await PostgresCatalog.open(database, password: server.password, tls: .require)
            await catalog.close()
            Issue.record("tls require connected to a server without TLS")
        } catch let error as CatalogError {
            #expect("\(error)".contains("does not offer TLS"))
            #expect("\(error)".contains("require"))
        }
    }

    @Test("the password never appears in errors or descriptions")
    func passwordNeverShown() async throws {
        let wrong = "wrong-\(UUID().uuidString)"
        do {
            _ = try await PostgresCatalog.open(server.location, password: wrong)
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(!"\(error)".contains(wrong))
            #expect(!String(reflecting: error).contains(wrong))
            #expect("\(error)".contains(server.location.description))
        }
        try await server.withCatalog { catalog, _ in
            #expect(!"\(catalog)".contains(server.password))
            #expect(!String(reflecting: catalog).contains(server.password))
            do {
                try await catalog.markFailed(BackupID(rawValue: "absent"), reason: "x", at: Date())
            } catch {
                #expect(!"\(error)".contains(server.password))
                #expect(!String(reflecting: error).contains(server.password))
            }
        }
    }

    @Test("a URL holding a password is refused with a message pointing at catalog_password_env")
    func urlWithPasswordRefused() throws {
        let secret = "s3cr3t-\(UUID().uuidString)"
        do {
            _ = try PostgresCatalogLocation(url: "postgres://backupkit:\(secret)@127.0.0.1:15432/postgres")
            Issue.record("a URL with a password was accepted")
        } catch {
            #expect("\(error)".contains("catalog_password_env"))
            #expect(!"\(error)".contains(secret))
        }
        let location = try PostgresCatalogLocation(url: "postgres://backupkit@127.0.0.1:15432/postgres")
        #expect(location == PostgresCatalogLocation(user: "backupkit", host: "127.0.0.1", port: 15432, database: "postgres"))
    }

    // MARK: Fixtures

    func record(plan: String) -> BackupRecord {
        let startedAt = Date(timeIntervalSince1970: 1_764_034_200)
        return BackupRecord(
            id: .random(), plan: plan, source: "app-db", kind: .full, label: .full(at: startedAt, in: .utc), startedAt: startedAt)
    }

    func artifact(_ key: String) -> ArtifactDescriptor {
        ArtifactDescriptor(key: key, sizeBytes: 10, sha256: CatalogConformance.checksum(key), compression: .zstd)
    }
}
