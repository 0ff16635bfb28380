import ArtifactFormat
public import BackupModels
import BackupSources
import BackupSupport
import Foundation
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a command for each event, with the event's JSON on standard input.
///
/// The command also sees `BACKUPKIT_EVENT` (the event's kind) in its environment, on top of the
/// current process's environment and ``environment``. The JSON never goes into the arguments, so it
/// never shows in `ps`. Its standard output is discarded. A non-zero exit or a timeout throws a
/// ``NotifyError`` naming the executable (with the exit status and the last line the command wrote to
/// standard error), never the environment. A command still running after ``timeout``, or when the
/// notifying task is cancelled, gets SIGTERM, then SIGKILL if it is still running a second later.
public struct CommandNotifier: Notifier {
    /// The program to run: an absolute path, or a name looked up by `/usr/bin/env`.
    public var executable: String
    /// The program's arguments.
    public var arguments: [String]
    /// How long the command may run before it is terminated.
    public var timeout: Duration
    /// Extra environment variables (they may hold tokens; they are never logged or put in errors).
    public var environment: [String: String]

    /// How long a terminated command may take to exit before it is killed.
    static let terminationGrace: Duration = .seconds(1)

    /// Creates a notifier that runs a command.
    /// - Parameters:
    ///   - executable: The program: an absolute path, or a name looked up in `PATH`.
    ///   - arguments: The program's arguments.
    ///   - timeout: How long the command may run before it is terminated.
    ///   - environment: Extra environment variables for the command.
    public init(executable: String, arguments: [String], timeout: Duration, environment: [String: String] = [:]) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
        self.environment = environment
    }

    public func notify(_ event: BackupEvent) async throws {
        let json: Data
        do {
            json = try JSONCoding.encoder(compact: true).encode(event)
        } catch {
            throw NotifyError(code: .encoding, subject: event.kind.rawValue, message: "\(error)", underlying: error)
        }
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { _, new in new }
        variables["BACKUPKIT_EVENT"] = event.kind.rawValue
        let (program, programArguments) =
            executable.contains("/") ? (executable, arguments) : ("/usr/bin/env", [executable] + arguments)

        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: program, arguments: programArguments, environment: variables, input: .pipe, output: .discard,
                errorLimit: 0)
        } catch {
            throw NotifyError(code: .commandFailed, subject: executable, message: "cannot start: \(error)", underlying: error)
        }
        // The writer ends on its own: the JSON is written, or the pipe breaks when the command exits
        // without reading it (which is not a failure).
        let input = [UInt8](json)
        Task {
            try? await child.feed(input)
            await child.closeInput()
        }

        if let status = await child.waitForExit(timeout: timeout) {
            guard status != 0 else { return }
            let stderr = await child.errorTail(waitingAtMost: Self.terminationGrace)
            let exit = status > 0 ? "exited with status \(status)" : "was killed by signal \(-status)"
            throw NotifyError(code: .commandFailed, subject: executable, message: exit + Self.lastLine(of: stderr))
        }
        let cancelled = Task.isCancelled
        let status = await child.terminate(grace: Self.terminationGrace)
        if cancelled { throw CancellationError() }
        let stop = status == -SIGKILL ? "killed (SIGTERM did not stop it within \(Self.terminationGrace))" : "terminated"
        throw NotifyError(code: .commandTimedOut, subject: executable, message: "still running after \(timeout); \(stop)")
    }

    /// The last line of what the command wrote to standard error, shortened.
    private static func lastLine(of text: String) -> String {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let last = text.split(separator: "\n").last else { return "" }
        return ": \(last.prefix(200))"
    }
}
