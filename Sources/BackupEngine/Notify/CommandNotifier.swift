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
/// never shows in `ps`. A non-zero exit or a timeout throws a ``NotifyError`` naming the executable,
/// never the environment.
public struct CommandNotifier: Notifier {
    /// The program to run: an absolute path, or a name looked up by `/usr/bin/env`.
    public var executable: String
    /// The program's arguments.
    public var arguments: [String]
    /// How long the command may run before it is terminated.
    public var timeout: Duration
    /// Extra environment variables (they may hold tokens; they are never logged or put in errors).
    public var environment: [String: String]

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
        // Standard input and error go through private temporary files: no pipe can block or raise SIGPIPE.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "backupkit-notify-\(UUID().uuidString)", isDirectory: true)
        try? FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputURL = folder.appendingPathComponent("event.json")
        let errorURL = folder.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: inputURL.path, contents: json, attributes: [.posixPermissions: 0o600]),
            FileManager.default.createFile(atPath: errorURL.path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let input = FileHandle(forReadingAtPath: inputURL.path),
            let errors = FileHandle(forWritingAtPath: errorURL.path)
        else {
            throw NotifyError(code: .commandFailed, subject: executable, message: "cannot create temporary files")
        }
        defer {
            try? input.close()
            try? errors.close()
        }

        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { _, new in new }
        variables["BACKUPKIT_EVENT"] = event.kind.rawValue
        process.environment = variables
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors

        let outcome = try await run(ProcessBox(process))
        switch outcome {
        case .exited(0):
            return
        case .exited(let status):
            throw NotifyError(
                code: .commandFailed, subject: executable,
                message: "exited with status \(status)\(Self.tail(of: errorURL))")
        case .timedOut:
            throw NotifyError(
                code: .commandTimedOut, subject: executable,
                message: "still running after \(timeout); terminated")
        }
    }

    private enum Outcome {
        case exited(Int32)
        case timedOut
    }

    /// Starts the process and waits for it, terminating it (SIGTERM, then SIGKILL) after the timeout
    /// or on cancellation.
    private func run(_ box: ProcessBox) async throws -> Outcome {
        let timedOut = Shared(false)
        let timeout = self.timeout
        let executable = self.executable
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
                box.process.terminationHandler = { process in
                    continuation.resume(returning: process.terminationStatus)
                }
                do {
                    try box.process.run()
                } catch {
                    box.process.terminationHandler = nil
                    continuation.resume(
                        throwing: NotifyError(
                            code: .commandFailed, subject: executable, message: "cannot start: \(error)", underlying: error))
                    return
                }
                box.watchdog.withLock {
                    $0 = Task {
                        try await Task.sleep(for: timeout)
                        timedOut.withLock { $0 = true }
                        await box.stop()
                    }
                }
            }
        } onCancel: {
            Task { await box.stop() }
        }
        box.watchdog.withLock { $0?.cancel() }
        if timedOut.value { return .timedOut }
        try Task.checkCancellation()
        return .exited(status)
    }

    /// The last line of what the command wrote to standard error, shortened.
    private static func tail(of url: URL) -> String {
        guard let data = try? Data(contentsOf: url), !data.isEmpty else { return "" }
        let text = String(decoding: data.suffix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let last = text.split(separator: "\n").last else { return "" }
        return ": \(last.prefix(200))"
    }
}

/// A process shared between the waiting task and its watchdog.
private final class ProcessBox: @unchecked Sendable {
    let process: Process
    let watchdog = Shared<Task<Void, any Error>?>(nil)

    init(_ process: Process) { self.process = process }

    /// Asks the process to stop, then kills it if it is still running a second later.
    func stop() async {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        process.terminate()
        for _ in 0..<20 {
            guard process.isRunning else { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(pid, SIGKILL) }
    }
}
