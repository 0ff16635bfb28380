import ArgumentParser
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The entry point of `backup`: one exit convention for every failure, and SIGTERM/SIGINT handling.
///
/// - Usage errors (ArgumentParser exits 64 with `Error:` by default) print `error: <message>` and the usage
///   on standard error and exit 1, like every other failure.
/// - SIGTERM or SIGINT cancels the running command: a backup in progress is marked failed with the reason
///   "interrupted by SIGTERM", what it stored (a partial file, a multipart upload) is removed, and the
///   process exits 128 + the signal number (143, 130) once that clean-up is done. A second signal exits
///   at once. `schedule` instead shuts down gracefully (see `Schedule`) and exits 0.
@main
enum BackupMain {
    static func main() async {
        let box: CommandBox
        do {
            box = CommandBox(try BackupCommand.parseAsRoot())
        } catch {
            exitReporting(parseError: error)
        }
        let isSchedule = box.command is Schedule
        let task = Task<Void, any Error> {
            if var command = box.command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try box.command.run()
            }
        }
        Signals.install { _ in
            if isSchedule {
                Signals.gracefulShutdown()
            } else {
                task.cancel()
            }
        }
        let result = await task.result
        if let signal = Signals.received, !isSchedule {
            Terminal.standardError("error: interrupted by \(Signals.name(signal)); the work in progress was cancelled and cleaned up")
            exit(128 + signal)
        }
        switch result {
        case .success:
            exit(0)
        case .failure(let error as ExitCode):
            exit(error == .success ? 0 : 1)
        case .failure(let error):
            exitReporting(parseError: error)
        }
    }

    /// Prints an ArgumentParser error (a usage error, `--help`, a `ValidationError`) the `backup` way and exits.
    static func exitReporting(parseError error: any Error) -> Never {
        let code = BackupCommand.exitCode(for: error)
        let message = BackupCommand.fullMessage(for: error)
        if code == .success {
            if !message.isEmpty { print(message) }
            exit(0)
        }
        var text = message
        if text.hasPrefix("Error: ") { text = "error: " + text.dropFirst("Error: ".count) }
        if !text.hasPrefix("error: ") { text = "error: " + text }
        Terminal.standardError(text)
        exit(1)
    }
}

/// The parsed command, handed to the task that runs it; nothing else touches it afterwards.
final class CommandBox: @unchecked Sendable {
    var command: any ParsableCommand

    init(_ command: any ParsableCommand) { self.command = command }
}

/// SIGTERM and SIGINT, turned into a callback; the first signal received is remembered.
enum Signals {
    private static let state = Mutex<(received: Int32?, shutdown: (@Sendable () -> Void)?)>((nil, nil))
    /// The signal sources, kept alive for the life of the process.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// The first SIGTERM or SIGINT received, if any.
    static var received: Int32? { state.withLock { $0.received } }

    /// "interrupted by SIGTERM" once a signal arrived, else `nil`: the failure reason of an interrupted backup.
    static var interruptionReason: String? { received.map { "interrupted by \(name($0))" } }

    /// Calls `handler` on the first SIGTERM or SIGINT; a second one exits at once with 128 + its number.
    static func install(_ handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "backup.signals")
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                let first = state.withLock { state -> Bool in
                    guard state.received == nil else { return false }
                    state.received = signalNumber
                    return true
                }
                if first {
                    handler(signalNumber)
                } else {
                    exit(128 + signalNumber)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Registers what a graceful shutdown does (the scheduler's service group sets it).
    static func onGracefulShutdown(_ body: @escaping @Sendable () -> Void) {
        let pending = state.withLock { state -> Bool in
            state.shutdown = body
            return state.received != nil
        }
        if pending { body() }
    }

    /// Starts the graceful shutdown registered with ``onGracefulShutdown(_:)``, if any.
    static func gracefulShutdown() {
        state.withLock { $0.shutdown }?()
    }

    /// `SIGTERM`, `SIGINT`, or `signal N`.
    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(signal)"
        }
    }
}
