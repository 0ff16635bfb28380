import ArtifactFormat
import BackupModels
import BackupSupport
import Foundation
public import Logging
import RemoteStorage

/// CPU and I/O priority for the child processes a backup starts (`mysqldump`, `mysqlbinlog`,
/// commands), so that backups do not starve the services on the host.
///
/// ``apply(to:)`` wraps a command in `nice -n N ionice -c C -n P`:
///
/// ```swift
/// let priority = ChildProcessPriority(niceness: 10, ioClass: .bestEffort, ioLevel: 7)
/// let (executable, arguments) = priority.apply(to: ["/usr/bin/mysqldump", "--single-transaction", "shop"])
/// // /usr/bin/nice ["-n", "10", "/usr/bin/ionice", "-c", "2", "-n", "7", "/usr/bin/mysqldump", …]
/// ```
///
/// A wrapper binary that is missing is left out with a logged warning: the command still runs, at
/// normal priority for that part. Children inherit the priority, so a shell pipeline is covered too.
public struct ChildProcessPriority: Sendable, Hashable {
    /// The Linux I/O scheduling class (`ionice -c`).
    public enum IOClass: Int, Sendable, Hashable, CaseIterable {
        /// Real time (class 1): needs root; never recommended for backups.
        case realTime = 1
        /// Best effort (class 2) with a level from 0 (highest) to 7 (lowest).
        case bestEffort = 2
        /// Idle (class 3): disk time only when no other process wants it.
        case idle = 3

        /// Parses `idle`, `best_effort`/`best-effort`, `realtime`/`real_time` or `1`, `2`, `3`.
        /// - Parameter text: The class as written in a configuration.
        public init?(name text: String) {
            switch text.lowercased() {
            case "1", "realtime", "real_time", "real-time": self = .realTime
            case "2", "best_effort", "best-effort", "besteffort": self = .bestEffort
            case "3", "idle": self = .idle
            default: return nil
            }
        }
    }

    /// The `nice` increment, -20 (highest priority) to 19 (lowest); `nil` leaves CPU priority alone.
    public var niceness: Int?
    /// The I/O class; `nil` leaves I/O priority alone.
    public var ioClass: IOClass?
    /// The level within ``IOClass/bestEffort`` or ``IOClass/realTime`` (0–7); ignored for idle.
    public var ioLevel: Int?
    /// Where to look for `nice` and `ionice`.
    public var searchPath: [String]

    /// Creates a priority; values are clamped to their valid ranges.
    /// - Parameters:
    ///   - niceness: The `nice` increment (-20…19), or `nil`.
    ///   - ioClass: The I/O class, or `nil`.
    ///   - ioLevel: The level within the class (0…7), or `nil`.
    ///   - searchPath: Folders searched for `nice` and `ionice`.
    public init(
        niceness: Int? = nil, ioClass: IOClass? = nil, ioLevel: Int? = nil,
        searchPath: [String] = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]
    ) {
        self.niceness = niceness.map { min(max($0, -20), 19) }
        self.ioClass = ioClass
        self.ioLevel = ioLevel.map { min(max($0, 0), 7) }
        self.searchPath = searchPath
    }

    /// The recommended priority for backups: `nice 10`, I/O class idle.
    public static let background = ChildProcessPriority(niceness: 10, ioClass: .idle)

    /// Normal priority: commands run unwrapped.
    public static let normal = ChildProcessPriority()

    /// Whether the priority changes anything.
    public var isNormal: Bool { niceness == nil && ioClass == nil }

    /// The command to start instead of `command`, wrapped in `nice` and `ionice` as configured.
    ///
    /// - Parameters:
    ///   - command: The executable followed by its arguments.
    ///   - logger: Receives a warning when `nice` or `ionice` is missing (the command then runs without it).
    /// - Returns: The executable to start and its arguments; `command` itself when nothing applies.
    ///   An empty `command` gives an empty executable.
    public func apply(to command: [String], logger: Logger? = nil) -> (executable: String, arguments: [String]) {
        guard let program = command.first else { return ("", []) }
        var wrapped = command
        if let ioClass {
            if let ionice = locate("ionice") {
                var prefix = [ionice, "-c", String(ioClass.rawValue)]
                if ioClass != .idle, let ioLevel { prefix += ["-n", String(ioLevel)] }
                wrapped = prefix + wrapped
            } else {
                logger?.warning(
                    "ionice not found; running without an I/O priority",
                    metadata: ["command": "\(program)", "searched": "\(searchPath.joined(separator: ":"))"])
            }
        }
        if let niceness {
            if let nice = locate("nice") {
                wrapped = [nice, "-n", String(niceness)] + wrapped
            } else {
                logger?.warning(
                    "nice not found; running without a CPU priority",
                    metadata: ["command": "\(program)", "searched": "\(searchPath.joined(separator: ":"))"])
            }
        }
        return (wrapped[0], Array(wrapped.dropFirst()))
    }

    /// The full path of an executable named `name` in ``searchPath``, if any.
    package func locate(_ name: String) -> String? {
        searchPath.lazy.map { ($0 as NSString).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
