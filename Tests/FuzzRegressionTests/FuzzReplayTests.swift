import Foundation
import Testing

/// Every seed and every input a fuzzer once crashed or hung on goes through its parser again, in the normal
/// (unsanitized) build: `backupkit-fuzz replay` per target, as a child process so that a crash fails one test
/// and names its input instead of killing the test runner.
struct FuzzReplayTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("backupkit-fuzz").path,
            repository + "/.build/debug/backupkit-fuzz",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    static let targets = ["tar", "frame", "manifest", "file-index", "plan", "cron", "s3-xml", "webdav", "es-response"]

    @Test(arguments: targets)
    func replaysCorpusAndRegressions(_ target: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["replay", "--root", Self.repository + "/Fuzz", target]
        // A file, not a pipe: a full pipe would stall the child.
        let log = NSTemporaryDirectory() + "backupkit-fuzz-replay-\(target)-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try output.close()
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let lastInput = text.split(separator: "\n").last { $0.hasPrefix("\(target): \(Self.repository)") } ?? "none"
        #expect(
            status == 0 && process.terminationReason == .exit,
            "replay of \(target) failed (status \(status), last input \(lastInput)):\n\(text.suffix(3000))")
        #expect(text.contains("\(target): "), "the harness did not report on \(target)")
    }

    /// The list the tests run is the harness's list: a new target cannot go unreplayed.
    @Test func everyHarnessTargetIsReplayed() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["list"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let names = text.split(separator: "\n").map { String($0.prefix { $0 != "\t" }) }
        #expect(names == Self.targets)
    }
}
