import ArtifactFormat
import BackupModels
import BackupSupport
import Foundation
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One long-lived client session (`mariadb --batch --raw --unbuffered`): statements are written to
/// the client's standard input and their output read back up to a marker row the session selects
/// after them, so a transaction (or a lock) stays open from one call to the next.
///
/// The client prints rows unescaped (`--raw`), one per line, columns separated by tabs; the marker
/// is a random token on its own line that no row of a parallel dump can form (those rows all start
/// with `(`). A session is driven by one task at a time.
package final class MySQLSession: Sendable {
    private let child: ChildProcess
    private let connection: MySQLConnection
    private let markerLine: [UInt8]
    private let markerStatement: String

    /// Connects a session with `client` (the `mariadb`/`mysql` tool).
    package init(client: String, connection: MySQLConnection, optionFile: OptionFile) throws {
        let token = "#backupkit-" + UUID().uuidString.lowercased()
        markerLine = Array((token + "\n").utf8)
        markerStatement = "SELECT '\(token)';\n"
        self.connection = connection
        child = try ChildProcess(
            executable: client,
            arguments: connection.arguments(optionFile) + [
                "--batch", "--raw", "--skip-column-names", "--unbuffered", "--quick", "--default-character-set=utf8mb4",
                "--connect-timeout=10", "--max-allowed-packet=1G",
            ],
            environment: connection.environment, input: .pipe, outputChunkSize: 256 << 10, fillsOutputChunks: false,
            priority: connection.priority)
    }

    /// Runs `sql` (one or more statements, each ending in `;`) and returns the rows it printed, split
    /// at tabs. Meant for small results: control statements, positions, variables.
    package func run(_ sql: String) async throws -> [[String]] {
        var output: [UInt8] = []
        try await stream(sql) { output += $0 }
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// Runs `sql` and hands its output to `body` in pieces that each end at a line break, as the
    /// client prints it; returns once the statement is done.
    ///
    /// - Throws: the client's error (classified by ``MySQLConnection/failure(tool:status:errorText:code:)``)
    ///   when a statement fails or the session ends early, or what `body` throws.
    package func stream(_ sql: String, into body: (ArraySlice<UInt8>) async throws -> Void) async throws {
        do {
            try await child.feed(Array((sql + "\n" + markerStatement).utf8))
        } catch {
            throw await failure(while: "sending a statement")
        }
        guard let output = child.output else { return }
        var partial: [UInt8] = []
        while true {
            guard let chunk = try await output.next() else {
                throw await failure(while: "reading a result")
            }
            guard let lastBreak = chunk.lastIndex(of: 10) else {
                partial += chunk
                continue
            }
            let region: ArraySlice<UInt8>
            if partial.isEmpty {
                region = chunk[...lastBreak]
            } else {
                partial += chunk[...lastBreak]
                region = partial[...]
            }
            let isLast = endsWithMarker(region)
            if isLast {
                let rows = region.dropLast(markerLine.count)
                if !rows.isEmpty { try await body(rows) }
                return
            }
            try await body(region)
            partial = Array(chunk[(lastBreak + 1)...])
        }
    }

    /// Whether `region` ends with the marker on a line of its own.
    private func endsWithMarker(_ region: ArraySlice<UInt8>) -> Bool {
        guard region.count >= markerLine.count, region.suffix(markerLine.count).elementsEqual(markerLine) else { return false }
        let start = region.endIndex - markerLine.count
        return start == region.startIndex || region[start - 1] == 10
    }

    /// Ends the session: closes its input and waits for the client to exit.
    ///
    /// - Throws: the client's error when it exits with a failure.
    package func close() async throws {
        await child.closeInput()
        let status = await child.waitForExit()
        let errors = await child.errorText()
        guard status == 0 else { throw connection.failure(tool: child.name, status: status, errorText: errors) }
    }

    /// Stops the client at once (the server then rolls back its transaction and releases its locks).
    package func terminate() {
        child.terminate()
    }

    /// The error that ended the session: the client's own message once it exited.
    private func failure(while doing: String) async -> MySQLError {
        child.terminate()
        let status = await child.waitForExit()
        let errors = await child.errorText()
        if status == 0 && errors.isEmpty {
            return MySQLError(
                code: .server, subject: connection.subject, message: "the \(child.name) session ended while \(doing)")
        }
        return connection.failure(tool: child.name, status: status, errorText: errors)
    }
}
