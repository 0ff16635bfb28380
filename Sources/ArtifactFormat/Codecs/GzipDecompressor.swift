import BackupSupport
import CZlib

/// Decompresses a gzip stream with the system zlib, verifying each member's CRC-32 and length.
///
/// Several concatenated members (what `cat a.gz b.gz` or `pigz` produce) decompress to the
/// concatenation of their contents, as with `gzip -d`. A stream that ends inside a member, or is
/// empty, is reported as ``CodecError/Code-swift.struct/truncated`` at the end. As a
/// ``DrainingTransformer`` it can hand out bounded chunks (see `stream.decompressed(.gzip)`).
package final class GzipDecompressor: DrainingTransformer {
    private let stream: UnsafeMutablePointer<z_stream>
    private var pending = PendingInput()
    /// Whether a member has started and not yet ended.
    private var memberOpen = false
    /// Whether the last member ended and the inflater must be reset before more input.
    private var memberEnded = false

    /// Creates a decompressor.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/library`` if zlib cannot initialise.
    public init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let result = inflateInit2_(stream, GzipCompressor.gzipWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard result == Z_OK else {
            stream.deallocate()
            throw CodecError(code: .library, codec: GzipCompressor.codec, message: "inflateInit2 failed with code \(result)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    /// Takes the next compressed chunk.
    public func feed(_ chunk: [UInt8]) throws {
        try pending.accept(chunk, codec: GzipCompressor.codec)
    }

    /// Decompressed bytes from the input fed so far, at most `limit`; empty when more input is needed.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/corrupt`` for invalid data or a CRC mismatch.
    public func drain(upTo limit: Int) throws -> [UInt8] {
        try inflate(upTo: max(1, limit))
    }

    /// The rest of the output after the last input, or `nil` when done.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/truncated`` if the input ended inside a member or was empty.
    public func drainFinal(upTo limit: Int) throws -> [UInt8]? {
        let output = try inflate(upTo: max(1, limit))
        if !output.isEmpty { return output }
        try pending.checkEnd(open: memberOpen, codec: GzipCompressor.codec, unit: "member")
        return nil
    }

    /// Inflates pending input (and what zlib holds back) into at most `limit` bytes.
    private func inflate(upTo limit: Int) throws -> [UInt8] {
        let stream = stream
        var position = pending.position
        var open = memberOpen
        var ended = memberEnded
        let output = try pending.bytes.withUnsafeBytes { source in
            try [UInt8](unsafeUninitializedCapacity: limit) { buffer, count in
                count = 0
                defer {
                    stream.pointee.next_in = nil
                    stream.pointee.avail_in = 0
                    stream.pointee.next_out = nil
                    stream.pointee.avail_out = 0
                }
                while count < limit {
                    if ended {
                        // Another member follows only if input does.
                        guard position < source.count else { break }
                        guard CZlib.inflateReset(stream) == Z_OK else {
                            throw CodecError(code: .library, codec: GzipCompressor.codec, message: "inflateReset failed")
                        }
                        ended = false
                    }
                    let available = source.count - position
                    stream.pointee.next_in =
                        available > 0
                        ? UnsafeMutablePointer(mutating: source.bindMemory(to: Bytef.self).baseAddress! + position) : nil
                    stream.pointee.avail_in = uInt(available)
                    stream.pointee.next_out = buffer.baseAddress! + count
                    stream.pointee.avail_out = uInt(limit - count)
                    let result = CZlib.inflate(stream, Z_NO_FLUSH)
                    let consumed = available - Int(stream.pointee.avail_in)
                    let produced = (limit - count) - Int(stream.pointee.avail_out)
                    position += consumed
                    count += produced
                    switch result {
                    case Z_STREAM_END:
                        open = false
                        ended = true
                    case Z_OK:
                        if consumed > 0 { open = true }
                        if consumed == 0 && produced == 0 { return }
                    case Z_BUF_ERROR:
                        // No progress possible: more input (or output room) is needed.
                        return
                    case Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR:
                        let detail = stream.pointee.msg.map { String(cString: $0) } ?? "code \(result)"
                        throw CodecError(code: .corrupt, codec: GzipCompressor.codec, message: "invalid data: \(detail)")
                    default:
                        throw CodecError(code: .library, codec: GzipCompressor.codec, message: "inflate failed with code \(result)")
                    }
                }
            }
        }
        pending.position = position
        memberOpen = open
        memberEnded = ended
        return output
    }
}
