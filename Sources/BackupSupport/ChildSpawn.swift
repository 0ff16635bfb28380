package import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Starts a child process with `posix_spawn`: the descriptors it gets, and nothing else.
///
/// Every descriptor above 2 that is open when ``start(_:arguments:environment:)`` runs is closed in the child
/// (after the duplications asked for), so that a child never holds a pipe or socket of this process or of a
/// sibling started at the same moment: a reader waiting for end of file, or Foundation's `Process` waiting for
/// the socket it gives each of its children, would otherwise wait for that child too. Signals are at their
/// defaults and unblocked in the child (this process ignores SIGPIPE; its children must not), and the child
/// leads a process group of its own. Reap it with ``waitForExit(_:)``, from a thread that may block.
package final class ChildSpawn {
    private var actions = posix_spawn_file_actions_t()

    package init() { posix_spawn_file_actions_init(&actions) }

    deinit { posix_spawn_file_actions_destroy(&actions) }

    /// The child's `target` (0, 1 or 2) is a copy of this process's `descriptor`.
    package func duplicate(_ descriptor: Int32, as target: Int32) {
        posix_spawn_file_actions_adddup2(&actions, descriptor, target)
    }

    /// The child's `target` is `path` opened for reading, or for writing.
    package func open(_ path: String, as target: Int32, writing: Bool) {
        posix_spawn_file_actions_addopen(&actions, target, path, writing ? O_WRONLY : O_RDONLY, 0)
    }

    /// Starts `path` (an absolute path) with `arguments` and exactly `environment`.
    ///
    /// - Returns: the child's process id.
    /// - Throws: ``ChildSpawnError`` naming the path and the system's reason.
    package func start(_ path: String, arguments: [String], environment: [String: String]) throws -> pid_t {
        // A descriptor that closes before the child starts is no error: posix_spawn ignores EBADF there.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let descriptor = Int32(name), descriptor > 2 { posix_spawn_file_actions_addclose(&actions, descriptor) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        var result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        // ETXTBSY: the program was just written, and a child another thread forked meanwhile still holds the
        // writing descriptor until it execs. That lasts microseconds, so a few short retries get past it.
        var retries = 0
        while result == ETXTBSY, retries < 20 {
            retries += 1
            usleep(useconds_t(retries * 1_000))
            result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        }
        guard result == 0 else { throw ChildSpawnError(path: path, code: result) }
        return pid
    }

    /// Waits for `pid` to end and reaps it (blocking the calling thread): its exit code, or minus the signal
    /// that ended it.
    package static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            // ECHILD: someone else reaped it (a host that ignores SIGCHLD); report a failure rather than hang.
            if errno != EINTR { return -SIGKILL }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : -signal
    }
}

/// A child that could not be started.
package struct ChildSpawnError: Error, CustomStringConvertible {
    package var path: String
    package var code: Int32
    package var description: String { "cannot run \(path): \(String(cString: strerror(code)))" }
}
