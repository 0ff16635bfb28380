import BackupEngine
import BackupModels
import BackupPlans
import BackupScheduler
import BackupSources
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum Terminal {
    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// Shows progress on standard error: a redrawn bar on a terminal, plain lines otherwise.
struct ProgressDisplay {
    func show(_ events: AsyncStream<ProgressEvent>) async {
        let interactive = Terminal.standardErrorIsTerminal
        var lastLine = ContinuousClock.now
        for await event in events {
            switch event.phase {
            case .started:
                if !interactive { Terminal.standardError("\(event.source): \(event.kind.rawValue) backup started" + total(event)) }
            case .transferring:
                if interactive {
                    FileHandle.standardError.write(Data(("\r\u{1B}[K" + bar(event)).utf8))
                } else if ContinuousClock.now - lastLine >= .seconds(5) {
                    lastLine = .now
                    Terminal.standardError("\(event.source): " + status(event))
                }
            case .finished, .failed:
                if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                Terminal.standardError("\(event.source): \(event.phase.rawValue) after " + Summary.bytes(event.bytesRead) + " read")
            }
        }
    }

    private func total(_ event: ProgressEvent) -> String {
        guard let bytes = event.bytesExpected else { return "" }
        return " (\(event.filesExpected.map { "\($0) entries, " } ?? "")\(Summary.bytes(bytes)))"
    }

    private func status(_ event: ProgressEvent) -> String {
        var text = "\(event.filesDone)\(event.filesExpected.map { "/\($0)" } ?? "") entries  " + Summary.bytes(event.bytesRead)
        if let expected = event.bytesExpected { text += " / " + Summary.bytes(expected) }
        text += String(format: "  %@/s", Summary.bytes(Int64(event.bytesPerSecond)))
        if let eta = event.secondsRemaining { text += String(format: "  ETA %ds", Int(eta.rounded())) }
        return text
    }

    private func bar(_ event: ProgressEvent) -> String {
        let width = 30
        let fraction = event.bytesExpected.map { $0 > 0 ? min(1, Double(event.bytesRead) / Double($0)) : 1 } ?? 0
        let filled = Int(fraction * Double(width))
        return "\(event.source) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + String(format: "] %3d%%  ", Int(fraction * 100)) + status(event)
    }
}
