import BackupSupport
import Foundation

/// Starts `process` while no other test of this module starts one. A crash inside Foundation's
/// `Process.run()` (a bad read in its `memcpy`) was seen once in a full run with many examples starting at
/// the same moment; starting one at a time costs microseconds and takes that race away.
func startSerialized(_ process: Process) throws {
    try spawnLock.withLock { try process.run() }
}

private let spawnLock = NSLock()

/// What a finished example process printed.
struct ExampleProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs an example binary to completion without blocking a thread of the cooperative pool: the child is
/// started through ``ChildSpawn`` (it holds no descriptor of this process but its standard input, so no other
/// test's child can keep this one's end-of-file or exit notice from arriving) and reaped with `waitpid` on a
/// thread of its own; output goes to temporary files in `directory` (pipes could fill and stall the child).
/// `started` gets the child's process id as soon as it runs. A child ended by a signal reports the signal's
/// number as its status, as Foundation's `Process` does.
func runExample(
    _ binary: String, _ arguments: [String], in directory: String, environment: [String: String]? = nil,
    started: (Int32) -> Void = { _ in }
) async throws -> ExampleProcessOutput {
    let stamp = UUID().uuidString.prefix(8)
    let outputFile = directory + "/.stdout-\(stamp)"
    let errorFile = directory + "/.stderr-\(stamp)"
    _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outputFile)
        try? FileManager.default.removeItem(atPath: errorFile)
    }
    let spawn = ChildSpawn()
    spawn.open(outputFile, as: 1, writing: true)
    spawn.open(errorFile, as: 2, writing: true)
    // The shell enters the working folder and becomes the example (same process id).
    let pid = try spawn.start(
        "/bin/sh", arguments: ["-c", "cd \"$0\" && exec \"$@\"", directory, binary] + arguments,
        environment: environment ?? ProcessInfo.processInfo.environment)
    started(pid)
    let code: Int32 = await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: ChildSpawn.waitForExit(pid)) }
    }
    return ExampleProcessOutput(
        status: code < 0 ? -code : code, stdout: try String(contentsOfFile: outputFile, encoding: .utf8),
        stderr: try String(contentsOfFile: errorFile, encoding: .utf8))
}
