import BackupModels
import Foundation
import RemoteStorage

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// Helpers of the codec and encryption tests.
enum CodecFixture {
    /// A fresh folder under the system temporary folder, removed when the body returns or throws.
    static func withTemporaryFolder<T>(_ body: (String) async throws -> T) async throws -> T {
        let path = NSTemporaryDirectory() + "backupkit-codec-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    /// Deterministic pseudo-random (incompressible) bytes, eight at a time (fast in debug builds too).
    static func randomBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed
        var words = [UInt64](repeating: 0, count: (count + 7) / 8)
        for index in words.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            words[index] = state
        }
        return words.withUnsafeBytes { Array($0.prefix(count)) }
    }

    /// Compressible text that looks like a SQL dump: a block of lines repeated with small changes.
    static func text(count: Int) -> [UInt8] {
        var block: [UInt8] = []
        for line in 0..<200 {
            block += Array("INSERT INTO events VALUES (\(line), 'host-\(line % 17)', \(line * 7919 % 100_003));\n".utf8)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + block.count)
        var round: UInt8 = 0
        while bytes.count < count {
            bytes += block
            bytes[bytes.count - 3] = 0x30 + round % 10
            round &+= 1
        }
        return Array(bytes.prefix(count))
    }

    /// Runs `transformer` over `bytes` fed in chunks of `chunkSize`, the way a stream would.
    static func run(_ transformer: some ChunkTransformer, over bytes: [UInt8], chunkSize: Int) throws -> [UInt8] {
        var output: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunkSize, bytes.count)
            output += try transformer.transform(Array(bytes[offset..<end]))
            offset = end
        }
        output += try transformer.finish()
        return output
    }

    /// The result of a command-line tool.
    struct ToolResult {
        var status: Int32
        var errorOutput: String
    }

    /// Runs a tool with its standard input and output connected to files (no pipes, so large outputs
    /// cannot dead-lock) and waits for it.
    ///
    /// - Parameters:
    ///   - executable: an absolute path, or a name looked up through `/usr/bin/env`.
    ///   - arguments: the arguments.
    ///   - input: a file to connect to standard input, or `nil` for none.
    ///   - output: a file to receive standard output, or `nil` to discard it.
    static func runTool(_ executable: String, _ arguments: [String], input: String? = nil, output: String? = nil) async throws -> ToolResult
    {
        // Started with posix_spawn (`ChildSpawn`), not Foundation's `Process`, whose `run()` crashed once in
        // a full test run (a bad pointer in its memcpy) while other tests started processes.
        let spawn = ChildSpawn()
        spawn.open(input ?? "/dev/null", as: 0, writing: false)
        if let output {
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            spawn.open(output, as: 1, writing: true)
        } else {
            spawn.open("/dev/null", as: 1, writing: true)
        }
        let errorFile = NSTemporaryDirectory() + "backupkit-codec-stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorFile) }
        spawn.open(errorFile, as: 2, writing: true)
        let absolute = executable.hasPrefix("/")
        let pid = try spawn.start(
            absolute ? executable : "/usr/bin/env", arguments: absolute ? arguments : [executable] + arguments,
            environment: ProcessInfo.processInfo.environment)
        let status = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: ChildSpawn.waitForExit(pid)) }
        }
        let errorOutput = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
        return ToolResult(status: status, errorOutput: errorOutput)
    }

    /// Writes `bytes` to a file.
    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Reads a whole file.
    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
