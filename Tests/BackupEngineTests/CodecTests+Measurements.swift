import BackupModels
import Foundation
import RemoteStorage
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// Throughput measurements, run only with `BACKUPKIT_MEASURE=1` (they take a while and their
/// numbers only make sense in a quiet machine).
@Suite(
    "Codecs: throughput",
    .enabled(
        if: ProcessInfo.processInfo.environment["BACKUPKIT_MEASURE"] != nil,
        "throughput measurements run only with BACKUPKIT_MEASURE=1 (see Benchmarks/README.md)"))
struct CodecMeasurements {
    /// 16 MiB of SQL-dump-like text (every line differs), streamed `repeats` times in 1 MiB chunks.
    static let sample: [UInt8] = {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 << 20 + 200)
        var line = 0
        while bytes.count < 16 << 20 {
            bytes += Array(
                "INSERT INTO events VALUES (\(line), 'host-\(line % 17)', \(line &* 7919 % 100_003), 'GET /api/v1/items/\(line % 997)');\n"
                    .utf8)
            line += 1
        }
        return Array(bytes.prefix(16 << 20))
    }()

    static func source(repeats: Int) -> ByteStream {
        let sample = sample
        return ByteStream {
            let cursor = RepeatingCursor(sample: sample, repeats: repeats)
            return { cursor.next() }
        }
    }

    /// Consumes `stream`, printing MB/s of `inputBytes` processed.
    static func measure(_ name: String, inputBytes: Int, _ stream: ByteStream) async throws -> Int {
        let clock = ContinuousClock()
        var output = 0
        let elapsed = try await clock.measure {
            for try await chunk in stream { output += chunk.count }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            String(
                format: "%@: %.0f MB/s of input (%d MiB in %.2f s, output %.1f MiB)",
                name, Double(inputBytes) / seconds / 1e6, inputBytes >> 20, seconds, Double(output) / 1_048_576))
        return output
    }

    @Test("throughput of each codec over 256 MiB")
    func throughput() async throws {
        let total = 256 << 20
        let key = try EncryptionKey(bytes: [UInt8](repeating: 7, count: 32))
        _ = try await Self.measure("read only", inputBytes: total, Self.source(repeats: 16))
        _ = try await Self.measure("sha256", inputBytes: total, Self.source(repeats: 16).transformed { HashingTransformer() })
        _ = try await Self.measure(
            "zstd -3, 0 workers", inputBytes: total, Self.source(repeats: 16).transformed { try ZstdCompressor(level: 3) })
        _ = try await Self.measure(
            "zstd -3, 2 workers", inputBytes: total, Self.source(repeats: 16).transformed { try ZstdCompressor(level: 3, threads: 2) })
        _ = try await Self.measure("gzip -6", inputBytes: 64 << 20, Self.source(repeats: 4).transformed { try GzipCompressor(level: 6) })
        _ = try await Self.measure(
            "aes-256-gcm encrypt", inputBytes: total, Self.source(repeats: 16).transformed { try FrameEncryptor(key: key) })
        let encrypted = try await Self.source(repeats: 4).transformed { try FrameEncryptor(key: key) }.collect(upTo: 1 << 30)
        _ = try await Self.measure(
            "aes-256-gcm decrypt", inputBytes: encrypted.count, ByteStream(bytes: encrypted).transformed { FrameDecryptor(key: key) })
        let zstd = try await Self.source(repeats: 16).transformed { try ZstdCompressor(level: 3, threads: 2) }.collect(upTo: 1 << 30)
        _ = try await Self.measure(
            "zstd decompress (input = compressed)", inputBytes: zstd.count, ByteStream(bytes: zstd).decompressed(.zstd))
        let gzip = try await Self.source(repeats: 4).transformed { try GzipCompressor(level: 6) }.collect(upTo: 1 << 30)
        _ = try await Self.measure(
            "gzip decompress (input = compressed)", inputBytes: gzip.count, ByteStream(bytes: gzip).decompressed(.gzip))
        _ = try await Self.measure(
            "pipeline zstd(2 workers) → encrypt → sha256", inputBytes: total,
            Self.source(repeats: 16).transformed { try ZstdCompressor(level: 3, threads: 2) }
                .transformed { try FrameEncryptor(key: key) }.transformed { HashingTransformer() })
    }
}

/// Hands out a sample `repeats` times in 1 MiB chunks.
private final class RepeatingCursor: @unchecked Sendable {
    private let sample: [UInt8]
    private var remaining: Int
    private var offset = 0

    init(sample: [UInt8], repeats: Int) {
        self.sample = sample
        self.remaining = repeats
    }

    func next() -> [UInt8]? {
        guard remaining > 0 else { return nil }
        let end = min(offset + (1 << 20), sample.count)
        let chunk = Array(sample[offset..<end])
        offset = end
        if offset == sample.count {
            offset = 0
            remaining -= 1
        }
        return chunk
    }
}
