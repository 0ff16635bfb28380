import BackupSupport
import CZstd
import RemoteStorage

/// Compresses a byte stream into the zstd format (RFC 8878) with the system libzstd, readable by
/// `zstd -d`. Frames carry a content checksum.
///
/// With `threads > 0`, compression runs on libzstd's worker threads while the pipeline keeps reading,
/// which roughly multiplies throughput by the number of cores; the output is then produced with a delay
/// of a few jobs and flushed by ``finish()``.
///
/// ```swift
/// let compressed = stream.transformed { try ZstdCompressor(level: 3, threads: 2) }
/// ```
package final class ZstdCompressor: ChunkTransformer {
    /// The codec name used in errors.
    package static let codec = "zstd"

    private let context: OpaquePointer
    private var scratch: [UInt8]

    /// The compression level in use.
    public let level: Int
    /// The number of worker threads in use (0 when compressing on the calling thread, or when the
    /// system library was built without multithreading).
    public private(set) var threads: Int

    /// The compression levels libzstd accepts (negative levels are the fast modes).
    public static var levels: ClosedRange<Int> { Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel()) }

    /// Creates a compressor.
    ///
    /// - Parameters:
    ///   - level: 1 (fast) to 19 (small), up to 22 with more memory; 3 by default.
    ///   - threads: worker threads; 0 compresses on the calling thread.
    /// - Throws: ``CodecError/Code-swift.struct/invalidArgument`` for a level or thread count out of range.
    public init(level: Int = 3, threads: Int = 0) throws {
        guard Self.levels.contains(level), level != 0 else {
            throw CodecError(code: .invalidArgument, codec: Self.codec, message: "level \(level) is not in \(Self.levels) (0 excluded)")
        }
        guard (0...256).contains(threads) else {
            throw CodecError(code: .invalidArgument, codec: Self.codec, message: "thread count \(threads) is not in 0...256")
        }
        guard let context = ZSTD_createCCtx() else {
            throw CodecError(code: .library, codec: Self.codec, message: "cannot allocate a compression context")
        }
        self.context = context
        self.level = level
        self.threads = 0
        self.scratch = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)))
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
        if threads > 0 {
            // A library built without multithreading refuses workers: compress on this thread then.
            if ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(threads))) == 0 {
                self.threads = threads
                // Jobs of ZSTDMT_JOBSIZE default to 4 × the window (8 MiB at level 3), and zstd keeps
                // several jobs' input and output buffers per worker. Smaller jobs keep a backup's memory
                // flat (measured in Benchmarks/pipeline.sh) at a negligible cost in ratio.
                _ = ZSTD_CCtx_setParameter(context, ZSTD_c_jobSize, Int32(Self.jobSize))
            }
        }
    }

    /// Bytes of input per multithreaded job.
    package static let jobSize = 1 << 20

    deinit {
        ZSTD_freeCCtx(context)
    }

    /// Compresses `chunk`; returns what libzstd released so far.
    public func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        try chunk.withUnsafeBytes { bytes in
            var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
            while input.pos < input.size {
                _ = try step(&input, directive: ZSTD_e_continue, into: &output)
            }
        }
        return output
    }

    /// Flushes the rest and ends the frame (with its checksum), waiting for the workers.
    public func finish() throws -> [UInt8] {
        var output: [UInt8] = []
        var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&input, directive: ZSTD_e_end, into: &output) != 0 {}
        return output
    }

    /// One call of `ZSTD_compressStream2`; appends what it wrote and returns its result (for
    /// `ZSTD_e_end`, the bytes still to flush).
    private func step(_ input: inout ZSTD_inBuffer, directive: ZSTD_EndDirective, into output: inout [UInt8]) throws -> Int {
        let context = context
        let (remaining, written) = try scratch.withUnsafeMutableBytes { buffer in
            var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
            let result = ZSTD_compressStream2(context, &out, &input, directive)
            try check(result)
            return (result, out.pos)
        }
        output += scratch[..<written]
        return remaining
    }

    private func check(_ result: Int) throws {
        if ZSTD_isError(result) != 0 {
            throw CodecError(code: .library, codec: Self.codec, message: String(cString: ZSTD_getErrorName(result)))
        }
    }
}
