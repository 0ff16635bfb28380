import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The entry point of `export-link`: every failure, usage errors included (ArgumentParser exits 64 with
/// `Error:` by default), prints `error: <message>` on standard error and exits 1, as `backup` does.
@main
enum ExportLinkMain {
    static func main() async {
        do {
            var command = try ExportLinkCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let error as ExitCode {
            exit(error == .success ? 0 : 1)
        } catch {
            let code = ExportLinkCommand.exitCode(for: error)
            let message = ExportLinkCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                exit(0)
            }
            var text = message
            if text.hasPrefix("Error: ") { text = "error: " + text.dropFirst("Error: ".count) }
            if !text.hasPrefix("error: ") { text = "error: " + text }
            FileHandle.standardError.write(Data((text + "\n").utf8))
            exit(1)
        }
    }
}
