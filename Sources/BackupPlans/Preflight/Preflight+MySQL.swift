import BackupModels
import BackupScheduler
import BackupSources
import Foundation

extension Preflight {
    /// Tools and versions, connection, grants, binary log settings and retention against the schedule,
    /// the oldest binary log against the newest backup's position, GTID mode, schema coverage.
    func checkMySQL(
        _ config: MySQLSourceConfig, component: String, newest: BackupRecord?, into results: inout CheckList
    ) async {
        let connection: MySQLConnection
        do {
            connection = try MySQLConnection.resolve(config, environment: environment, searchPath: searchPath)
        } catch {
            results.failed(component, "configuration", "\(error)", fix: "set the variable or create the file the message names")
            return
        }
        let incremental = config.incremental == .binlog
        // Tools.
        var tools: [MySQLConnection.Tool] = [.client, .dump]
        if incremental { tools.append(.binlog) }
        var versions: [String] = []
        for tool in tools {
            do {
                let path = try connection.locate(tool)
                versions.append(await Self.version(of: path, environment: connection.environment))
            } catch {
                results.failed(
                    component, "tools", "\(error)",
                    fix: "install mariadb-client (or mysql-client) on this host, or add its folder to PATH")
                return
            }
        }
        results.ok(component, "tools", versions.joined(separator: "; "))

        let optionFile: OptionFile
        do {
            optionFile = try connection.makeOptionFile()
        } catch {
            results.failed(component, "connect", "\(error)", fix: "make the temporary folder (TMPDIR) writable")
            return
        }
        defer { optionFile.remove() }
        // Connect.
        let account: String
        let serverVersion: String
        do {
            let row = try await connection.query("SELECT CURRENT_USER(), VERSION();", optionFile: optionFile).first ?? []
            account = Self.quotedAccount(row.first.flatMap { $0 } ?? config.user)
            serverVersion = row.count > 1 ? row[1] ?? "?" : "?"
        } catch let error as MySQLError {
            let fix =
                switch error.code {
                case .authentication:
                    "check the user and the password in password_env (or option_file), and that the user may connect from this host"
                case .unreachable: "check host and port, and that the server runs and accepts TCP connections from this host"
                default: "check the server's error log; the message names the cause"
                }
            results.failed(component, "connect", "\(error)", fix: fix)
            return
        } catch {
            results.failed(component, "connect", "\(error)", fix: "check the server's error log; the message names the cause")
            return
        }
        results.ok(component, "connect", "connected to \(config.host):\(config.port) as \(account), server \(serverVersion)")

        // Variables.
        var variables: [String: String] = [:]
        do {
            let names = [
                "log_bin", "binlog_format", "binlog_row_image", "expire_logs_days", "binlog_expire_logs_seconds", "gtid_mode",
                "gtid_strict_mode", "gtid_binlog_pos", "gtid_executed",
            ]
            let sql = "SHOW GLOBAL VARIABLES WHERE Variable_name IN (\(names.map { "'\($0)'" }.joined(separator: ", ")));"
            for row in try await connection.query(sql, optionFile: optionFile) where row.count >= 2 {
                if let name = row[0] { variables[name.lowercased()] = row[1] ?? "" }
            }
        } catch {
            results.failed(component, "variables", "cannot read the server's variables: \(error)", fix: "check the server's error log")
            return
        }
        let binaryLogging = variables["log_bin"]?.uppercased() == "ON" || variables["log_bin"] == "1"

        // Grants.
        do {
            let rows = try await connection.query("SHOW GRANTS;", optionFile: optionFile)
            let grants = Self.parseGrants(rows.compactMap { $0.first ?? nil })
            let missing = Self.missingPrivileges(
                grants, databases: config.databases, binaryLogging: binaryLogging, incremental: incremental)
            if missing.isEmpty {
                results.ok(component, "grants", "\(account) holds what a consistent dump\(incremental ? " and a binlog copy" : "") need")
            } else {
                results.failed(
                    component, "grants",
                    "\(account) lacks \(missing.map(\.description).joined(separator: "; "))",
                    fix: missing.map { "GRANT \($0.privileges.joined(separator: ", ")) ON \($0.scope) TO \(account);" }
                        .joined(separator: " "))
            }
        } catch {
            results.failed(component, "grants", "cannot read the grants: \(error)", fix: "check the server's error log")
        }

        // Binary log settings.
        if binaryLogging {
            results.ok(component, "log_bin", "binary logging is on")
        } else if incremental {
            results.failed(
                component, "log_bin", "binary logging is off; incremental: binlog copies binary logs",
                fix:
                    "start the server with log_bin and server_id set ([mariadbd] log_bin = /var/lib/mysql/binlog, server_id = 1) and restart it"
            )
        } else {
            results.warning(
                component, "log_bin", "binary logging is off: full dumps work, but no point-in-time restore is possible",
                fix: "turn on log_bin and use incremental: binlog if restores to an instant between full backups are wanted")
        }
        if binaryLogging && incremental {
            let format = variables["binlog_format"]?.uppercased() ?? "?"
            if format == "ROW" {
                results.ok(component, "binlog_format", "binlog_format ROW")
            } else {
                results.warning(
                    component, "binlog_format", "binlog_format \(format): statements may replay differently than they ran",
                    fix: "set binlog_format = ROW in the server's configuration (SET GLOBAL binlog_format = 'ROW' until the restart)")
            }
            let image = variables["binlog_row_image"]?.uppercased() ?? "FULL"
            if image == "FULL" {
                results.ok(component, "binlog_row_image", "binlog_row_image FULL")
            } else {
                results.warning(
                    component, "binlog_row_image", "binlog_row_image \(image): row events carry only some columns",
                    fix: "set binlog_row_image = FULL so that every replayed row event is complete")
            }
            let verdict = Self.retentionVerdict(
                retentionSeconds: Self.retentionSeconds(variables), longestGap: longestGapBetweenRuns())
            results.results.append(
                CheckResult(
                    component: component, check: "binlog_retention", status: verdict.status, detail: verdict.detail,
                    fix: verdict.fix))
            await checkOldestBinlog(
                config, connection: connection, optionFile: optionFile, newest: newest, component: component, into: &results)
            results.ok(component, "gtid", Self.gtidDescription(variables))
        }

        // Coverage.
        if config.requireCoverage {
            do {
                let report = try await MySQLSource(config, searchPath: searchPath, environment: environment).coverage()
                if report.isComplete {
                    results.ok(component, "coverage", "\(report.tables.count) table(s) covered or excluded")
                } else {
                    let names = report.missing.map(\.name)
                    let shown = names.prefix(10).joined(separator: ", ") + (names.count > 10 ? ", …" : "")
                    results.failed(
                        component, "coverage", "\(names.count) table(s) neither backed up nor excluded: \(shown)",
                        fix: "add their databases to databases: or list them in exclude_tables: (backup coverage lists them all)")
                }
            } catch {
                results.failed(component, "coverage", "\(error)", fix: "check schema_dir and the databases: list")
            }
        }
    }

    /// The oldest binary log on the server must be no newer than the newest backup's log, or the next
    /// incremental's chain is broken.
    private func checkOldestBinlog(
        _ config: MySQLSourceConfig, connection: MySQLConnection, optionFile: OptionFile, newest: BackupRecord?,
        component: String, into results: inout CheckList
    ) async {
        let logs: [String]
        do {
            logs = try await connection.query("SHOW BINARY LOGS;", optionFile: optionFile).compactMap { $0.first ?? nil }
        } catch {
            results.failed(
                component, "oldest_binlog", "cannot list the binary logs: \(error)",
                fix: "GRANT BINLOG MONITOR (MySQL: REPLICATION CLIENT) ON *.* to the backup user")
            return
        }
        guard let oldest = logs.first else {
            results.failed(component, "oldest_binlog", "the server lists no binary log", fix: "turn on log_bin and restart the server")
            return
        }
        guard let newest, let position = newest.position?.binlogFile else {
            results.ok(component, "oldest_binlog", "oldest log \(oldest); no backup yet: the next run is a full backup")
            return
        }
        if logs.contains(position) {
            results.ok(
                component, "oldest_binlog", "oldest log \(oldest); the newest backup (\(newest.label)) starts from \(position), still there"
            )
        } else if config.onBrokenChain == .full {
            results.warning(
                component, "oldest_binlog",
                "the newest backup (\(newest.label)) ends at \(position), already purged (oldest log \(oldest)): the next incremental takes a full backup instead",
                fix: "lengthen the server's binary log retention beyond the time between backups")
        } else {
            results.failed(
                component, "oldest_binlog",
                "the newest backup (\(newest.label)) ends at \(position), already purged (oldest log \(oldest)): the next incremental fails with a broken chain",
                fix: "take a full backup now (backup run --full --source \(config.name)), and lengthen the binary log retention")
        }
    }

    /// The longest time between two automatic runs of the plan over the next two weeks, or `nil` without
    /// a schedule.
    func longestGapBetweenRuns() -> TimeInterval? {
        guard let schedule = plan.schedule, let zone = TimeZone(identifier: schedule.timeZoneIdentifier) else { return nil }
        let start = now()
        let horizon = start.addingTimeInterval(14 * 86_400)
        var instants: [Date] = []
        for expression in [schedule.cron] + (schedule.fullCron.map { [$0] } ?? []) {
            guard let cron = try? CronSchedule(expression, timeZone: zone) else { return nil }
            var cursor = start
            while instants.count < 5000, let next = cron.next(after: cursor), next <= horizon {
                instants.append(next)
                cursor = next
            }
        }
        let sorted = Array(Set(instants)).sorted()
        guard sorted.count >= 2 else { return sorted.isEmpty ? nil : 14 * 86_400 }
        return zip(sorted, sorted.dropFirst()).map { $1.timeIntervalSince($0) }.max().map { ($0 + schedule.jitterSeconds).rounded() }
    }

    /// How long the server keeps binary logs, in seconds; 0 is forever.
    static func retentionSeconds(_ variables: [String: String]) -> Double {
        if let seconds = variables["binlog_expire_logs_seconds"].flatMap(Double.init), seconds > 0 { return seconds }
        if let days = variables["expire_logs_days"].flatMap(Double.init), days > 0 { return days * 86_400 }
        return 0
    }

    /// Judges a binary log retention against the longest gap between runs: a log purged before the next
    /// run copies it breaks the chain.
    static func retentionVerdict(retentionSeconds: Double, longestGap: TimeInterval?) -> (
        status: CheckResult.Status, detail: String, fix: String?
    ) {
        guard retentionSeconds > 0 else {
            return (.ok, "binary logs are never purged automatically (watch the server's disk)", nil)
        }
        let retention = Self.duration(retentionSeconds)
        guard let gap = longestGap else {
            return (
                .warning, "binary logs are kept \(retention); the plan has no schedule to compare with",
                "run incrementals more often than every \(retention), or lengthen binlog_expire_logs_seconds (expire_logs_days)"
            )
        }
        let interval = Self.duration(gap)
        if retentionSeconds <= gap {
            return (
                .failed,
                "binary logs are kept \(retention), but runs can be \(interval) apart: logs are purged before the next incremental copies them",
                "set binlog_expire_logs_seconds (expire_logs_days) above \(interval), or run incrementals more often"
            )
        }
        if retentionSeconds < 2 * gap {
            return (
                .warning, "binary logs are kept \(retention), runs can be \(interval) apart: one missed run breaks the chain",
                "keep binary logs at least twice as long as the time between runs"
            )
        }
        return (.ok, "binary logs are kept \(retention); runs are at most \(interval) apart", nil)
    }

    /// `36h`, `7d`, `15m`.
    static func duration(_ seconds: Double) -> String {
        if seconds >= 86_400, seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(seconds / 86_400))d" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60 { return "\(Int((seconds / 60).rounded()))m" }
        return "\(Int(seconds))s"
    }

    /// GTID state as MySQL (`gtid_mode`) or MariaDB (`gtid_binlog_pos`, `gtid_strict_mode`) reports it.
    static func gtidDescription(_ variables: [String: String]) -> String {
        if let mode = variables["gtid_mode"] { return "gtid_mode \(mode)" }
        let position = variables["gtid_binlog_pos"].map { $0.isEmpty ? "empty" : $0 } ?? "unknown"
        return "MariaDB GTIDs: gtid_binlog_pos \(position), gtid_strict_mode \(variables["gtid_strict_mode"] ?? "unknown")"
    }

    /// `'backup'@'127.0.0.1'` from `backup@127.0.0.1`.
    static func quotedAccount(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return "'\(text)'" }
        return "'\(text[..<at])'@'\(text[text.index(after: at)...])'"
    }

    /// Privileges by scope (`*.*`, or a database name) from `SHOW GRANTS` lines. Only the privilege list
    /// and the scope are read: the rest of a line (which may hold a password hash) is never kept.
    static func parseGrants(_ lines: [String]) -> [String: Set<String>] {
        var grants: [String: Set<String>] = [:]
        for line in lines {
            guard line.uppercased().hasPrefix("GRANT "), let on = line.range(of: " ON ", options: .caseInsensitive),
                let to = line.range(of: " TO ", options: .caseInsensitive, range: on.upperBound..<line.endIndex)
            else { continue }
            let list = line[line.index(line.startIndex, offsetBy: 6)..<on.lowerBound].uppercased()
            var scope = String(line[on.upperBound..<to.lowerBound]).replacingOccurrences(of: "`", with: "")
                .trimmingCharacters(in: .whitespaces)
            if scope.hasPrefix("PROCEDURE ") || scope.hasPrefix("FUNCTION ") { continue }
            if scope != "*.*", scope.hasSuffix(".*") { scope = String(scope.dropLast(2)) }
            var privileges: Set<String> = []
            var depth = 0
            var current = ""
            for character in list {
                if character == "(" { depth += 1 }
                if character == ")" { depth -= 1; continue }
                if depth > 0 { continue }
                if character == "," {
                    privileges.insert(current.trimmingCharacters(in: .whitespaces))
                    current = ""
                } else {
                    current.append(character)
                }
            }
            privileges.insert(current.trimmingCharacters(in: .whitespaces))
            grants[scope, default: []].formUnion(privileges)
        }
        return grants
    }

    /// Privileges missing at one scope.
    struct MissingPrivileges: CustomStringConvertible {
        var scope: String
        var privileges: [String]
        var description: String { "\(privileges.joined(separator: ", ")) on \(scope)" }
    }

    /// What a dump of `databases` (all when empty) and, with `incremental`, a binary log copy need that
    /// `grants` do not hold.
    static func missingPrivileges(
        _ grants: [String: Set<String>], databases: [String], binaryLogging: Bool, incremental: Bool
    ) -> [MissingPrivileges] {
        let global = grants["*.*"] ?? []
        func holds(_ privilege: String, in set: Set<String>) -> Bool {
            if set.contains("ALL PRIVILEGES") || set.contains("ALL") || set.contains(privilege) { return true }
            switch privilege {
            case "BINLOG MONITOR": return set.contains("REPLICATION CLIENT") || set.contains("SUPER")
            case "REPLICATION SLAVE": return set.contains("REPLICATION REPLICA")
            default: return false
            }
        }
        var missing: [MissingPrivileges] = []
        let dump = ["SELECT", "SHOW VIEW", "TRIGGER", "EVENT", "LOCK TABLES"]
        if databases.isEmpty {
            let lacking = dump.filter { !holds($0, in: global) }
            if !lacking.isEmpty { missing.append(MissingPrivileges(scope: "*.*", privileges: lacking)) }
        } else {
            for database in databases {
                let set = global.union(grants[database] ?? [])
                let lacking = dump.filter { !holds($0, in: set) }
                if !lacking.isEmpty { missing.append(MissingPrivileges(scope: "`\(database)`.*", privileges: lacking)) }
            }
        }
        var server = ["PROCESS"]
        if binaryLogging { server += ["RELOAD", "BINLOG MONITOR"] }
        if incremental { server.append("REPLICATION SLAVE") }
        let lacking = server.filter { !holds($0, in: global) }
        if !lacking.isEmpty {
            if let index = missing.firstIndex(where: { $0.scope == "*.*" }) {
                missing[index].privileges += lacking
            } else {
                missing.append(MissingPrivileges(scope: "*.*", privileges: lacking))
            }
        }
        return missing
    }

    /// `mariadb-dump  Ver 10.11…`: the first line of `tool --version`.
    static func version(of path: String, environment: [String: String]) async -> String {
        do {
            let child = try ChildProcess(executable: path, arguments: ["--version"], environment: environment)
            let output = try await child.collectOutput(limit: 64 * 1024) ?? []
            _ = await child.waitForExit()
            let line = String(decoding: output, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            return line.isEmpty ? path : line.trimmingCharacters(in: .whitespaces)
        } catch {
            return "\(path) (its version could not be read)"
        }
    }
}
