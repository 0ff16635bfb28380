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

/// Runs an example binary to completion without blocking a thread of the cooperative pool: the exit is
/// awaited through the termination handler, and output goes to temporary files in `directory` (pipes could
/// fill and stall the child). `started` gets the child's process id as soon as it runs.
func runExample(
    _ binary: String, _ arguments: [String], in directory: String, environment: [String: String]? = nil,
    started: (Int32) -> Void = { _ in }
) async throws -> ExampleProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    if let environment { process.environment = environment }
    let stamp = UUID().uuidString.prefix(8)
    let outputFile = directory + "/.stdout-\(stamp)"
    let errorFile = directory + "/.stderr-\(stamp)"
    _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: outputFile)
        try? FileManager.default.removeItem(atPath: errorFile)
    }
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
    let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
    process.standardOutput = output
    process.standardError = errors
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do {
            try startSerialized(process)
            started(process.processIdentifier)
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    try output.close()
    try errors.close()
    return ExampleProcessOutput(
        status: status, stdout: try String(contentsOfFile: outputFile, encoding: .utf8),
        stderr: try String(contentsOfFile: errorFile, encoding: .utf8))
}
