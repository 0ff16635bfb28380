import BackupSupport
import CZstd

/// Decompresses a zstd stream (one or more concatenated frames, as `zstd -d` does) with the system
/// libzstd, verifying each frame's checksum when present.
///
/// A stream that ends inside a frame, or holds no frame at all, is reported as
/// ``CodecError/Code-swift.struct/truncated`` at the end. As a ``DrainingTransformer`` it can hand out
/// bounded chunks: use ``RemoteStorage/ByteStream/transformed(maxChunkSize:_:)`` (or
/// `stream.decompressed(.zstd)`) so that highly compressed input never expands in memory at once.
package final class ZstdDecompressor: DrainingTransformer {
    private let context: OpaquePointer
    private var pending = PendingInput()
    /// Whether a frame has started and not yet ended.
    private var frameOpen = false

    /// Creates a decompressor accepting windows up to 128 MiB (libzstd's default limit, enough for
    /// every level up to `--ultra -22`).
    ///
    /// - Throws: ``CodecError/Code-swift.struct/library`` if libzstd cannot allocate a context.
    public init() throws {
        guard let context = ZSTD_createDCtx() else {
            throw CodecError(code: .library, codec: ZstdCompressor.codec, message: "cannot allocate a decompression context")
        }
        self.context = context
    }

    deinit {
        ZSTD_freeDCtx(context)
    }

    /// Takes the next compressed chunk.
    public func feed(_ chunk: [UInt8]) throws {
        try pending.accept(chunk, codec: ZstdCompressor.codec)
    }

    /// Decompressed bytes from the input fed so far, at most `limit`; empty when more input is needed.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/corrupt`` for invalid data or a checksum mismatch.
    public func drain(upTo limit: Int) throws -> [UInt8] {
        try decompress(upTo: max(1, limit))
    }

    /// The rest of the output after the last input, or `nil` when done.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/truncated`` if the input ended inside a frame or was empty.
    public func drainFinal(upTo limit: Int) throws -> [UInt8]? {
        let output = try decompress(upTo: max(1, limit))
        if !output.isEmpty { return output }
        try pending.checkEnd(open: frameOpen, codec: ZstdCompressor.codec, unit: "frame")
        return nil
    }

    /// Decompresses pending input (and flushes what the decoder holds) into at most `limit` bytes.
    private func decompress(upTo limit: Int) throws -> [UInt8] {
        let context = context
        var position = pending.position
        var open = frameOpen
        let output = try pending.bytes.withUnsafeBytes { source in
            try [UInt8](unsafeUninitializedCapacity: limit) { buffer, count in
                var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: position)
                var out = ZSTD_outBuffer(dst: buffer.baseAddress, size: limit, pos: 0)
                defer {
                    count = out.pos
                    position = input.pos
                }
                while out.pos < out.size {
                    let before = (input.pos, out.pos)
                    let result = ZSTD_decompressStream(context, &out, &input)
                    if ZSTD_isError(result) != 0 {
                        throw CodecError(
                            code: .corrupt, codec: ZstdCompressor.codec, message: String(cString: ZSTD_getErrorName(result)))
                    }
                    let progressed = before != (input.pos, out.pos)
                    // A call without progress (no input left) does not change where we are in a frame.
                    if progressed { open = result != 0 }
                    // Input used up and room left in the output: the decoder has flushed all it can.
                    if input.pos == input.size && out.pos < out.size { break }
                    if !progressed {
                        if input.pos < input.size {
                            throw CodecError(code: .library, codec: ZstdCompressor.codec, message: "the decoder made no progress")
                        }
                        break
                    }
                }
            }
        }
        pending.position = position
        frameOpen = open
        return output
    }
}
