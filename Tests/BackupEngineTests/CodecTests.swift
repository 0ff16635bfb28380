import BackupModels
import Crypto
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

/// Expects `body` to throw a ``CodecError`` with `code`, and returns it.
@discardableResult
private func expectCodecError(
    _ code: CodecError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> CodecError? {
    do {
        try await body()
        Issue.record("no error, expected \(code)", sourceLocation: sourceLocation)
    } catch let error as CodecError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("unexpected error \(error), expected \(code)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite("Codecs: zstd and gzip round trips")
struct CompressionRoundTripTests {
    @Test("zstd round trip", arguments: [0, 1, 70_000, 3 << 20], [0, 2])
    func zstd(size: Int, threads: Int) async throws {
        let input = CodecFixture.text(count: size / 2) + CodecFixture.randomBytes(count: size - size / 2)
        let compressed = try await ByteStream(bytes: input, chunkSize: 100_000)
            .transformed { try ZstdCompressor(level: 3, threads: threads) }.collect()
        if size > 70_000 { #expect(compressed.count < input.count) }
        let restored = try await ByteStream(bytes: compressed, chunkSize: 4096).decompressed(.zstd).collect()
        #expect(restored == input)
        // Through the plain ChunkTransformer interface too.
        #expect(try CodecFixture.run(ZstdDecompressor(), over: compressed, chunkSize: 333) == input)
    }

    @Test("gzip round trip", arguments: [0, 1, 70_000, 3 << 20])
    func gzip(size: Int) async throws {
        let input = CodecFixture.text(count: size / 2) + CodecFixture.randomBytes(count: size - size / 2)
        let compressed = try await ByteStream(bytes: input, chunkSize: 100_000).transformed { try GzipCompressor(level: 6) }.collect()
        let restored = try await ByteStream(bytes: compressed, chunkSize: 4096).decompressed(.gzip).collect()
        #expect(restored == input)
        #expect(try CodecFixture.run(GzipDecompressor(), over: compressed, chunkSize: 333) == input)
    }

    @Test("every algorithm round trips through the factory", arguments: CompressionAlgorithm.allCases)
    func factory(algorithm: CompressionAlgorithm) async throws {
        let input = CodecFixture.text(count: 200_000)
        let settings = CompressionSettings(algorithm: algorithm, threads: 1)
        let compressed = try await ByteStream(bytes: input).compressed(settings).collect()
        if algorithm == .none { #expect(compressed == input) } else { #expect(compressed.count < input.count / 3) }
        #expect(try await ByteStream(bytes: compressed).decompressed(algorithm).collect() == input)
        let viaFactory = try await ByteStream(bytes: input).transformed { try algorithm.makeCompressor() }.collect()
        #expect(try await ByteStream(bytes: viaFactory).transformed { try algorithm.makeDecompressor() }.collect() == input)
    }

    @Test("levels out of range are refused at once")
    func invalidLevels() async throws {
        await expectCodecError(.invalidArgument) { _ = try ZstdCompressor(level: 99) }
        await expectCodecError(.invalidArgument) { _ = try GzipCompressor(level: 10) }
        await expectCodecError(.invalidArgument) { _ = try ByteStream.empty.compressed(CompressionSettings(algorithm: .gzip, level: -1)) }
    }

    @Test("decompressed output comes in bounded chunks whatever the ratio", arguments: [CompressionAlgorithm.zstd, .gzip])
    func boundedExpansion(algorithm: CompressionAlgorithm) async throws {
        // 32 MiB of zeros, produced lazily, compress to a few kilobytes.
        let total = 32 << 20
        let zeros = ByteStream {
            let remaining = Remaining(total)
            return { remaining.take(1 << 20) }
        }
        let compressed = try await zeros.compressed(CompressionSettings(algorithm: algorithm, level: 1, threads: 0)).collect()
        #expect(compressed.count < 256 << 10)
        var largest = 0
        let hashing = HashingTransformer()
        for try await chunk in ByteStream(bytes: compressed).decompressed(algorithm, maxChunkSize: 256 << 10).transformed({ hashing }) {
            largest = max(largest, chunk.count)
        }
        #expect(hashing.byteCount == Int64(total))
        #expect(hashing.digest == Array(SHA256.hash(data: [UInt8](repeating: 0, count: total))))
        #expect(largest <= 256 << 10)
    }

    @Test(
        "decompressing on a thread of its own gives the same bytes, in bounded chunks, and the same errors",
        arguments: [CompressionAlgorithm.zstd, .gzip])
    func decompressedOnThread(algorithm: CompressionAlgorithm) async throws {
        let zeros = ByteStream {
            let remaining = Remaining(32 << 20)
            return { remaining.take(1 << 20) }
        }
        let compressed = try await zeros.compressed(CompressionSettings(algorithm: algorithm, level: 1, threads: 0)).collect()
        var largest = 0
        var total = 0
        for try await chunk in ByteStream(bytes: compressed, chunkSize: 4096).decompressedOnThread(algorithm, maxChunkSize: 256 << 10) {
            largest = max(largest, chunk.count)
            total += chunk.count
            #expect(chunk.allSatisfy { $0 == 0 })
        }
        #expect(total == 32 << 20)
        #expect(largest <= 256 << 10)

        let input = CodecFixture.randomBytes(count: 3 << 20)
        let packed = try await ByteStream(bytes: input).compressed(CompressionSettings(algorithm: algorithm, level: 3)).collect()
        let unpacked = try await ByteStream(bytes: packed, chunkSize: 100_000).decompressedOnThread(algorithm).collect()
        #expect(unpacked == input)
        await expectCodecError(.truncated) {
            _ = try await ByteStream(bytes: Array(packed.dropLast(packed.count / 2))).decompressedOnThread(algorithm).collect()
        }
        // A consumer that stops early leaves nothing waiting: the next iteration starts afresh.
        var iterator = ByteStream(bytes: packed).decompressedOnThread(algorithm, maxChunkSize: 1024).makeAsyncIterator()
        #expect(try await iterator.next()?.count == 1024)
        #expect(try await ByteStream(bytes: packed).decompressedOnThread(algorithm).collect() == input)
    }

    @Test("compressor output chunks stay near the input chunk size")
    func compressorChunkSize() async throws {
        var largest = 0
        let input = CodecFixture.randomBytes(count: 4 << 20)
        for try await chunk in ByteStream(bytes: input, chunkSize: 1 << 20).transformed({ try ZstdCompressor(level: 1) }) {
            largest = max(largest, chunk.count)
        }
        #expect(largest <= (1 << 20) + (64 << 10))
    }
}

/// A countdown of zero bytes handed out in chunks.
private final class Remaining: @unchecked Sendable {
    private var bytes: Int
    init(_ bytes: Int) { self.bytes = bytes }
    func take(_ size: Int) -> [UInt8]? {
        guard bytes > 0 else { return nil }
        let count = min(size, bytes)
        bytes -= count
        return [UInt8](repeating: 0, count: count)
    }
}

@Suite("Codecs: damaged input")
struct DamagedCompressionTests {
    @Test("a cut stream is reported as truncated", arguments: [CompressionAlgorithm.zstd, .gzip])
    func truncated(algorithm: CompressionAlgorithm) async throws {
        let compressed = try await ByteStream(bytes: CodecFixture.text(count: 500_000)).compressed(
            CompressionSettings(algorithm: algorithm)
        ).collect()
        for cut in [1, 4, compressed.count / 2] {
            await expectCodecError(.truncated) {
                _ = try await ByteStream(bytes: Array(compressed.dropLast(cut))).decompressed(algorithm).collect()
            }
        }
    }

    @Test("empty input is not a compressed stream", arguments: [CompressionAlgorithm.zstd, .gzip])
    func empty(algorithm: CompressionAlgorithm) async throws {
        await expectCodecError(.truncated) { _ = try await ByteStream.empty.decompressed(algorithm).collect() }
    }

    @Test("a flipped byte is detected", arguments: [CompressionAlgorithm.zstd, .gzip])
    func corrupt(algorithm: CompressionAlgorithm) async throws {
        let input = CodecFixture.randomBytes(count: 300_000)
        var compressed = try await ByteStream(bytes: input).compressed(CompressionSettings(algorithm: algorithm)).collect()
        compressed[compressed.count / 2] ^= 0x20
        await expectCodecError(.corrupt) { _ = try await ByteStream(bytes: compressed).decompressed(algorithm).collect() }
    }

    @Test("garbage is refused", arguments: [CompressionAlgorithm.zstd, .gzip])
    func garbage(algorithm: CompressionAlgorithm) async throws {
        await expectCodecError(.corrupt) {
            _ = try await ByteStream(bytes: Array("this is not compressed at all".utf8)).decompressed(algorithm).collect()
        }
    }
}

@Suite("Codecs: interoperability with the zstd and gzip tools")
struct CompressionToolTests {
    static let tools: [(algorithm: CompressionAlgorithm, path: String)] = [(.zstd, "/usr/bin/zstd"), (.gzip, "/usr/bin/gzip")]

    @Test("the command-line tool reads our output", arguments: [CompressionAlgorithm.zstd, .gzip])
    func toolReadsOurs(algorithm: CompressionAlgorithm) async throws {
        let tool = "/usr/bin/\(algorithm.rawValue)"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            print("skipping: \(tool) is not installed")
            return
        }
        try await CodecFixture.withTemporaryFolder { folder in
            let input = CodecFixture.text(count: 1 << 20) + CodecFixture.randomBytes(count: 1 << 20)
            let compressed = try await ByteStream(bytes: input, chunkSize: 64 << 10)
                .compressed(CompressionSettings(algorithm: algorithm, threads: 2)).collect()
            try CodecFixture.write(compressed, to: folder + "/data.z")
            let result = try await CodecFixture.runTool(tool, ["-d", "-c", folder + "/data.z"], output: folder + "/data")
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(try CodecFixture.read(folder + "/data") == input)
        }
    }

    @Test(
        "we read the command-line tool's output, concatenated members and frames included", arguments: [CompressionAlgorithm.zstd, .gzip])
    func oursReadsTool(algorithm: CompressionAlgorithm) async throws {
        let tool = "/usr/bin/\(algorithm.rawValue)"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            print("skipping: \(tool) is not installed")
            return
        }
        try await CodecFixture.withTemporaryFolder { folder in
            let first = CodecFixture.text(count: 700_000)
            let second = CodecFixture.randomBytes(count: 300_000, seed: 7)
            try CodecFixture.write(first, to: folder + "/first")
            try CodecFixture.write(second, to: folder + "/second")
            let strong = algorithm == .zstd ? "-19" : "-9"
            let one = try await CodecFixture.runTool(tool, ["-c", strong, folder + "/first"], output: folder + "/first.z")
            let two = try await CodecFixture.runTool(tool, ["-c", "-1", folder + "/second"], output: folder + "/second.z")
            #expect(one.status == 0 && two.status == 0)

            let single = try CodecFixture.read(folder + "/first.z")
            #expect(try await ByteStream(bytes: single, chunkSize: 1000).decompressed(algorithm).collect() == first)
            let concatenated = single + (try CodecFixture.read(folder + "/second.z"))
            #expect(try await ByteStream(bytes: concatenated, chunkSize: 777).decompressed(algorithm).collect() == first + second)
        }
    }
}

@Suite("Codecs: SHA-256 hashing")
struct HashingTransformerTests {
    @Test("passes bytes through and reports their digest and count", arguments: [0, 1, 3, 1 << 20, (2 << 20) + 5])
    func digest(size: Int) async throws {
        let input = CodecFixture.randomBytes(count: size)
        let hashing = HashingTransformer()
        #expect(hashing.hexDigest == nil)
        let output = try await ByteStream(bytes: input, chunkSize: 100_000).transformed { hashing }.collect()
        #expect(output == input)
        #expect(hashing.byteCount == Int64(size))
        let expected = SHA256.hash(data: input).map { String(format: "%02x", $0) }.joined()
        #expect(hashing.hexDigest == expected)
        #expect(hashing.digest?.count == 32)
    }

    @Test("matches the published test vector for \"abc\"")
    func vector() async throws {
        let hashing = HashingTransformer()
        _ = try await ByteStream(bytes: Array("abc".utf8)).transformed { hashing }.collect()
        #expect(hashing.hexDigest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("a second iteration starts the hash over")
    func reiteration() async throws {
        let hashing = HashingTransformer()
        let stream = ByteStream(bytes: Array("payload".utf8)).transformed { hashing }
        _ = try await stream.collect()
        let first = hashing.hexDigest
        _ = try await stream.collect()
        #expect(hashing.hexDigest == first)
        #expect(hashing.byteCount == 7)
    }

    @Test("restarted() starts every iteration afresh, also after a failed one")
    func restartAfterFailure() async throws {
        let hashing = HashingTransformer()
        let failing = ByteStream {
            let remaining = Remaining(300)
            return {
                guard let chunk = remaining.take(100) else { throw CodecError(code: .truncated, codec: "test", message: "source failed") }
                return chunk
            }
        }
        await #expect(throws: CodecError.self) { _ = try await failing.transformed { hashing.restarted() }.collect() }
        #expect(hashing.byteCount == 300)
        let payload = Array("payload".utf8)
        _ = try await ByteStream(bytes: payload).transformed { hashing.restarted() }.collect()
        #expect(hashing.byteCount == Int64(payload.count))
        #expect(hashing.digest == Array(SHA256.hash(data: payload)))
    }

    @Test("the results can be read from another task after the stream ended")
    func readFromAnotherTask() async throws {
        let hashing = HashingTransformer()
        let stream = ByteStream(bytes: CodecFixture.randomBytes(count: 10_000)).transformed { hashing }
        try await Task.detached { _ = try await stream.collect() }.value
        let digest = await Task.detached { hashing.hexDigest }.value
        #expect(digest?.count == 64)
    }
}
