import BackupCatalog
import BackupModels
import BackupSupport
import Foundation
import PostgresCatalog
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Restarts the second cluster (127.0.0.1:15433, used by this test only) under an open catalog.
@Suite(
    "PostgresCatalog reconnects after a server restart",
    .enabled(if: PostgresTestServer.isRestartable, "set BACKUPKIT_PG_RESTART_URL and BACKUPKIT_PG_RESTART_COMMAND"))
struct PostgresRestartTests {
    // Disabled: in this branch the test does not finish (a request after the restart neither fails nor
    // reconnects within the run); the reconnection is not proven yet. See the report of the postgres branch.
    @Test("works before, the server restarts, works after", .timeLimit(.minutes(1)))
    func restart() async throws {
        let (server, command) = PostgresTestServer.restartable!
        try await server.withCatalog { catalog, _ in
            let before = record(hours: 0)
            try await catalog.insert(before)
            #expect(try await catalog.record(before.id) == before)

            let status = try await Self.runShell(command)
            #expect(status == 0, "the restart command failed: \(command)")

            // The pool drops connections the server closed and opens new ones. A request already on a
            // connection that died may fail once; a generous deadline bounds the retries.
            let after = record(hours: 1)
            let deadline = ContinuousClock.now + .seconds(60)
            var inserted = false
            var lastError: (any Error)?
            var failures = 0
            while !inserted && ContinuousClock.now < deadline {
                do {
                    try await catalog.insert(after)
                    inserted = true
                } catch let error as CatalogError where error.code == .duplicate {
                    inserted = true  // an earlier attempt committed but its answer was lost
                } catch {
                    lastError = error
                    failures += 1
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(inserted, "no insert succeeded after the restart: \(String(describing: lastError))")
            #expect(failures <= 1, "more than the one request on a dead connection failed: \(String(describing: lastError))")
            print(
                "PostgresRestartTests: \(failures) request(s) failed after the restart before one succeeded; last: \(String(describing: lastError))"
            )
            let plans = try await catalog.records(RecordQuery(plan: "restart"))
            #expect(plans.map(\.id) == [before.id, after.id])
        }
    }

    func record(hours: Double) -> BackupRecord {
        let startedAt = Date(timeIntervalSince1970: 1_764_034_200 + hours * 3600)
        return BackupRecord(
            id: .random(), plan: "restart", source: "db", kind: .full, label: .full(at: startedAt, in: .utc), startedAt: startedAt)
    }

    /// Runs `/bin/sh -c command` and waits for it on a thread of its own (never on a concurrency pool thread).
    ///
    /// Through ``ChildSpawn``, not Foundation's `Process`: that learns that a child ended when a socket the child
    /// inherited closes, and the server `pg_ctl` restarts lives on; ``ChildSpawn`` also closes every other
    /// descriptor of this process in the child, so the server holds none of them.
    static func runShell(_ command: String) async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let spawn = ChildSpawn()
                spawn.open("/dev/null", as: STDIN_FILENO, writing: false)
                spawn.open("/dev/null", as: STDOUT_FILENO, writing: true)
                spawn.open("/dev/null", as: STDERR_FILENO, writing: true)
                do {
                    let pid = try spawn.start(
                        "/bin/sh", arguments: ["-c", command], environment: ProcessInfo.processInfo.environment)
                    continuation.resume(returning: ChildSpawn.waitForExit(pid))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
