import ArtifactFormat
package import BackupModels
import BackupSupport
import Foundation
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How the MySQL command-line tools reach one server: address, user, where the password comes from,
/// where the tools are, and the environment children get (without the password variable).
package struct MySQLConnection: Sendable {
    /// The command-line tools BackupKit drives, MariaDB's name first.
    package enum Tool: Sendable {
        case dump
        case client
        case binlog

        package var candidates: [String] {
            switch self {
            case .dump: ["mariadb-dump", "mysqldump"]
            case .client: ["mariadb", "mysql"]
            case .binlog: ["mariadb-binlog", "mysqlbinlog"]
            }
        }
    }

    /// The source or target name used in errors.
    package var subject: String
    package var host: String
    package var port: Int
    package var user: String
    /// The password, when it came from a variable; never written anywhere but a 0600 option file.
    package var password: String?
    /// An existing option file given by the plan.
    package var optionFile: String?
    /// The `PATH` searched for the tools.
    package var searchPath: String
    /// The environment of children: the parent's, minus the password variable and `MYSQL_PWD`.
    package var environment: [String: String]
    /// The CPU and I/O priority the backup's tools run with (`limits:` of the plan).
    package var priority: ChildProcessPriority = .normal

    /// Resolves a source configuration against `environment`.
    ///
    /// - Throws: ``MySQLError`` `invalidConfiguration` naming an unset password variable or a missing option file.
    package static func resolve(
        _ config: MySQLSourceConfig, environment: [String: String], searchPath: String?
    ) throws -> MySQLConnection {
        var password: String? = nil
        var childEnvironment = environment
        childEnvironment["MYSQL_PWD"] = nil
        if let variable = config.passwordEnvironmentVariable {
            guard let value = environment[variable] else {
                throw MySQLError(
                    code: .invalidConfiguration, subject: config.name,
                    message: "password_env names the environment variable '\(variable)', which is not set")
            }
            password = value
            childEnvironment[variable] = nil
        }
        if let file = config.optionFile, !FileManager.default.isReadableFile(atPath: file) {
            throw MySQLError(
                code: .invalidConfiguration, subject: config.name, message: "option_file '\(file)' does not exist or is not readable")
        }
        return MySQLConnection(
            subject: config.name, host: config.host, port: config.port, user: config.user, password: password,
            optionFile: config.optionFile, searchPath: searchPath ?? environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            environment: childEnvironment)
    }

    /// The path of `tool`, the first candidate found on the search path.
    ///
    /// - Throws: ``MySQLError`` `toolMissing` naming the candidates and the path searched.
    package func locate(_ tool: Tool) throws -> String {
        for name in tool.candidates {
            for folder in searchPath.split(separator: ":") where !folder.isEmpty {
                let path = folder.hasSuffix("/") ? "\(folder)\(name)" : "\(folder)/\(name)"
                if access(path, X_OK) == 0 { return path }
            }
        }
        throw MySQLError(
            code: .toolMissing, subject: subject,
            message:
                "neither \(tool.candidates.joined(separator: " nor ")) was found on PATH (\(searchPath)); install mariadb-client or mysql-client"
        )
    }

    /// Writes the password into a fresh 0600 option file in a private 0700 folder, or returns the
    /// plan's option file.
    package func makeOptionFile() throws -> OptionFile {
        if password == nil, let optionFile { return OptionFile(path: optionFile, folder: nil) }
        var template = Array((NSTemporaryDirectory() + "/backupkit-mysql-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw MySQLError(
                code: .invalidConfiguration, subject: subject,
                message: "cannot create a private temporary folder in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))")
        }
        let folder = String(cString: created)
        let path = folder + "/client.cnf"
        var text = ""
        if let optionFile { text += "!include \(optionFile)\n" }
        text += "[client]\n"
        if let password { text += "password=\"\(Self.escapeOptionValue(password))\"\n" }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            try? FileManager.default.removeItem(atPath: folder)
            throw MySQLError(
                code: .invalidConfiguration, subject: subject,
                message: "cannot create the temporary option file: \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else {
            try? FileManager.default.removeItem(atPath: folder)
            throw MySQLError(code: .invalidConfiguration, subject: subject, message: "cannot write the temporary option file")
        }
        return OptionFile(path: path, folder: folder)
    }

    /// Quotes a value for a MySQL option file: backslash and double quote are escaped.
    package static func escapeOptionValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// The arguments every tool gets first: the option file (which must come first), then the address.
    package func arguments(_ optionFile: OptionFile) -> [String] {
        ["--defaults-extra-file=\(optionFile.path)", "--host=\(host)", "--port=\(port)", "--user=\(user)", "--protocol=TCP"]
    }

    /// Runs SQL through the client and returns the rows (tab-separated columns, `NULL` as `nil`).
    ///
    /// - Throws: ``MySQLError`` classified from the client's error (unreachable, authentication, …).
    package func query(_ sql: String, optionFile: OptionFile, database: String? = nil) async throws -> [[String?]] {
        let client = try locate(.client)
        var arguments = arguments(optionFile) + ["--batch", "--skip-column-names", "--connect-timeout=10"]
        if let database { arguments.append("--database=\(database)") }
        let child = try ChildProcess(
            executable: client, arguments: arguments, environment: environment, input: .pipe, priority: priority)
        do {
            try await child.feed(Array(sql.utf8))
        } catch {
            // The client exited early (it could not connect); its status and message say why.
        }
        await child.closeInput()
        guard let output = try await child.collectOutput(limit: 256 << 20) else {
            throw MySQLError(code: .server, subject: subject, message: "query output exceeds 256 MiB")
        }
        let status = await child.waitForExit()
        let errors = await child.errorText()
        guard status == 0 else { throw failure(tool: child.name, status: status, errorText: errors) }
        let text = String(decoding: output, as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).map { field in
                field == "NULL" ? nil : Self.unescapeBatch(String(field))
            }
        }
    }

    /// Undoes the client's batch-mode escaping (`\t`, `\n`, `\\`, `\0`).
    package static func unescapeBatch(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var result = ""
        var escaping = false
        for character in field {
            if escaping {
                switch character {
                case "t": result.append("\t")
                case "n": result.append("\n")
                case "0": result.append("\0")
                default: result.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Turns a tool's exit status and standard error into an error naming the cause, with the password removed.
    package func failure(tool: String, status: Int32, errorText: String, code fallback: MySQLError.Code = .server) -> MySQLError {
        var text = errorText
        if let password, !password.isEmpty { text = text.replacingOccurrences(of: password, with: "***") }
        // The first `ERROR …` line comes first (a client echoes a refused statement before it), and no line
        // runs on (an echoed statement can be megabytes long).
        var lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.allSatisfy { $0 == "-" } }
        if let error = lines.firstIndex(where: { $0.hasPrefix("ERROR") }) { lines.insert(lines.remove(at: error), at: 0) }
        let summary = lines.prefix(6).map { $0.count > 300 ? String($0.prefix(300)) + "…" : $0 }.joined(separator: "; ")
        let exit = ChildProcess.describe(status)
        let address = "\(host):\(port)"
        let code: MySQLError.Code
        let cause: String
        if text.contains("1045") || text.contains("Access denied") {
            code = .authentication
            cause = "the server at \(address) refused user '\(user)' (wrong password or missing grant)"
        } else if text.contains("2002") || text.contains("2003") || text.contains("2005") || text.contains("Can't connect")
            || text.contains("Unknown server host") || text.contains("2006") && !text.contains("when dumping")
        {
            code = .unreachable
            cause = "cannot connect to \(address)"
        } else if text.contains("1049") || text.contains("Unknown database") {
            code = .unknownDatabase
            cause = "a database does not exist on \(address)"
        } else if text.contains("Could not find first log file") || text.contains("1236") {
            code = .brokenChain
            cause = "a binary log needed is no longer on \(address)"
        } else if (text.contains("not active") && text.contains("inlog")) || text.contains("not using binary logging") {
            code = .binaryLoggingOff
            cause = "binary logging is off on \(address)"
        } else {
            code = fallback
            cause = "\(tool) failed"
        }
        return MySQLError(
            code: code, subject: subject, message: "\(cause): \(tool) \(exit)\(summary.isEmpty ? "" : ": \(summary)")")
    }
}

/// An option file handed to the tools; a temporary one is removed with its private folder.
package struct OptionFile: Sendable {
    package var path: String
    /// The private folder holding a temporary file; `nil` for the plan's own file.
    package var folder: String?

    package func remove() {
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
    }
}
