import BackupCatalog
import BackupModels
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

    /// Runs `command` in bash and waits for it on a thread of its own (never on a concurrency pool thread).
    ///
    /// Not Foundation's `Process`: on Linux it learns that a child ended when a socket the child inherited is
    /// closed, and `pg_ctl` leaves the restarted server holding that socket, so `waitUntilExit` never returned.
    static func runShell(_ command: String) async throws -> Int32 {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                var pid: pid_t = 0
                var fileActions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&fileActions)
                defer { posix_spawn_file_actions_destroy(&fileActions) }
                for descriptor: Int32 in [0, 1, 2] {
                    posix_spawn_file_actions_addopen(&fileActions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
                }
                // bash closes every descriptor above 2 first: the server pg_ctl starts lives on, and must not
                // keep sockets of this process open (Foundation would never see its other children end).
                let closing =
                    #"for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null; done; "#
                    + #"eval "$0""#
                let arguments = ["/bin/bash", "-c", closing, command]
                var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
                defer { for pointer in argv { free(pointer) } }
                let spawned = posix_spawn(&pid, "/bin/bash", &fileActions, nil, &argv, environ)
                guard spawned == 0 else {
                    continuation.resume(throwing: POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO))
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                // WIFEXITED / WEXITSTATUS: the exit code, or 128 + the signal that ended it.
                let exited = status & 0x7f == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f))
            }
        }
    }
}
