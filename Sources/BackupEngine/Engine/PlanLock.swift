import ArtifactFormat
import BackupModels
import BackupSources
import BackupSupport
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive lock on one plan for this host, held with `flock(2)` on a file beside the catalog.
///
/// The kernel releases the lock when the process dies, so a lock is never left stale by a crash;
/// while a run holds it, any `running` record of the plan belongs to a dead run. Hosts sharing a catalog
/// over NFS need the lease of the automation layer instead.
package final class PlanLock {
    package let path: String
    private var fd: Int32 = -1

    package init(path: String) { self.path = path }

    deinit { release() }

    /// Takes the lock, or throws ``EngineError/Code-swift.struct/locked`` if another process holds it.
    package func acquire(plan: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw EngineError(code: .io, message: "cannot open lock file '\(path)': \(FileSystem.errorText(errno))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            fd = -1
            if code == EWOULDBLOCK {
                throw EngineError(code: .locked, message: "plan '\(plan)' is already running in another process (lock '\(path)')")
            }
            throw EngineError(code: .io, message: "cannot lock '\(path)': \(FileSystem.errorText(code))")
        }
        let text = "pid \(getpid())\n"
        ftruncate(fd, 0)
        _ = text.withCString { write(fd, $0, strlen($0)) }
    }

    /// Whether a process holds the lock at `path` now (a run of the plan is alive on this host); `false`
    /// when the file does not exist or cannot be opened.
    package static func isHeld(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(fd, LOCK_UN)
        return false
    }

    package func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }
}
