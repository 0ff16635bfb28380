import ArtifactFormat
public import BackupModels
import BackupSupport
public import Foundation
import RemoteStorage

/// The server a MySQL backup is restored into.
public struct MySQLTarget: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    /// The password, written only into a 0600 option file for the tools.
    public var password: String?
    /// An existing option file with a `[client]` section, instead of a password.
    public var optionFile: String?
    /// Restore even when the target is the backup's source server (off: the restore refuses).
    public var force: Bool
    /// Where the tools are looked up; the process's `PATH` when `nil`.
    public var searchPath: String?
    /// How many sessions load a parallel (`parallel: N`) backup's tables at once; the number the
    /// backup was taken with when `nil`. A single-stream backup always loads through one session.
    public var parallel: Int?

    /// Creates a target.
    public init(
        host: String, port: Int = 3306, user: String, password: String? = nil, optionFile: String? = nil, force: Bool = false,
        searchPath: String? = nil, parallel: Int? = nil
    ) {
        self.parallel = parallel
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.optionFile = optionFile
        self.force = force
        self.searchPath = searchPath
    }

    /// Parses `mysql://USER@HOST:PORT` (the port defaults to 3306; a password in the URL is refused:
    /// it would show in process listings and shell history).
    ///
    /// - Throws: ``MySQLError`` `invalidConfiguration` naming what is wrong with the URL.
    public init(url text: String, password: String? = nil, force: Bool = false) throws {
        func invalid(_ why: String) -> MySQLError {
            MySQLError(code: .invalidConfiguration, subject: "restore target", message: "'\(Self.redacted(text))' \(why)")
        }
        guard let components = URLComponents(string: text), components.scheme == "mysql" || components.scheme == "mariadb" else {
            throw invalid("is not a mysql://USER@HOST:PORT URL")
        }
        guard components.password == nil else {
            throw invalid("holds a password; pass it through MYSQL_RESTORE_PASSWORD instead")
        }
        guard let user = components.user, !user.isEmpty else { throw invalid("names no user (mysql://USER@HOST:PORT)") }
        guard let host = components.host, !host.isEmpty else { throw invalid("names no host") }
        let port = components.port ?? 3306
        guard (1...65535).contains(port) else { throw invalid("has port \(port), outside 1–65535") }
        self.init(host: host, port: port, user: user, password: password, force: force)
    }

    /// `host:port` for messages.
    public var address: String { "\(host):\(port)" }

    /// Whether this target is the server at `host`:`port` (`localhost` and `127.0.0.1` are the same).
    package func isSameServer(host other: String, port otherPort: Int) -> Bool {
        func normal(_ host: String) -> String {
            let lower = host.lowercased()
            return ["localhost", "127.0.0.1", "::1", "[::1]"].contains(lower) ? "loopback" : lower
        }
        return port == otherPort && normal(host) == normal(other)
    }

    private static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "(unparseable URL)"
    }
}

/// Where a point-in-time restore stops.
public enum MySQLRestorePoint: Sendable, Hashable {
    /// Replay binary log events stamped at or before this instant (the logs have one-second resolution).
    case time(Date)
    /// Replay up to (not including) the event at this position of this binary log.
    case position(binlogFile: String, position: Int64)
}

/// One table of a restored server.
public struct MySQLTableCheck: Sendable, Hashable, Codable {
    /// `database.table`.
    public var name: String
    public var rows: Int64
    /// `CHECKSUM TABLE`'s value; `nil` when the engine cannot compute it.
    public var checksum: String?

    /// Creates a check.
    public init(name: String, rows: Int64, checksum: String?) {
        self.name = name
        self.rows = rows
        self.checksum = checksum
    }
}

/// The result of ``Engine/restoreMySQL(_:to:until:)``.
public struct MySQLRestoreReport: Sendable {
    /// `host:port` of the target.
    public var target: String
    /// The backups applied, full first.
    public var chain: [BackupRecord]
    /// The binary logs replayed, in order.
    public var binlogsReplayed: [String]
    /// Where the replay stopped, when a point was given.
    public var until: MySQLRestorePoint?
    /// Row count and checksum of every table restored, read from the target afterwards.
    public var tables: [MySQLTableCheck]
    /// Warnings (a point after the newest binary log copied, …).
    public var notes: [String]
}
