import BackupSupport
import CZlib
import RemoteStorage

/// Compresses a byte stream into the gzip format (RFC 1952) with the system zlib, readable by `gzip -d`.
///
/// ```swift
/// let compressed = stream.transformed { try GzipCompressor(level: 6) }
/// ```
package final class GzipCompressor: ChunkTransformer {
    /// The codec name used in errors.
    package static let codec = "gzip"
    /// zlib's window bits for a gzip wrapper: a 32 KiB window (15) plus 16.
    package static let gzipWindowBits: Int32 = 15 + 16

    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch = [UInt8](repeating: 0, count: 256 << 10)

    /// The compression level in use.
    public let level: Int

    /// Creates a compressor.
    ///
    /// - Parameter level: 1 (fast) to 9 (small), 0 stores without compression; 6 by default.
    /// - Throws: ``CodecError/Code-swift.struct/invalidArgument`` for a level out of range.
    public init(level: Int = 6) throws {
        guard (0...9).contains(level) else {
            throw CodecError(code: .invalidArgument, codec: Self.codec, message: "level \(level) is not in 0...9")
        }
        self.level = level
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let result = deflateInit2_(
            stream, Int32(level), Z_DEFLATED, Self.gzipWindowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
            Int32(MemoryLayout<z_stream>.size))
        guard result == Z_OK else {
            stream.deallocate()
            throw CodecError(code: .library, codec: Self.codec, message: "deflateInit2 failed with code \(result)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Compresses `chunk`; returns what deflate released so far.
    public func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        guard !chunk.isEmpty else { return [] }
        var output: [UInt8] = []
        try chunk.withUnsafeBytes { bytes in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.bindMemory(to: Bytef.self).baseAddress)
            stream.pointee.avail_in = uInt(bytes.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            // A full output buffer means deflate may hold more output: call again until it has room left.
            var filled = false
            repeat {
                filled = try step(flush: Z_NO_FLUSH, into: &output).filled
            } while stream.pointee.avail_in > 0 || filled
        }
        return output
    }

    /// Flushes the rest and writes the gzip trailer (CRC-32 and length).
    public func finish() throws -> [UInt8] {
        var output: [UInt8] = []
        while try step(flush: Z_FINISH, into: &output).result != Z_STREAM_END {}
        return output
    }

    /// One call of `deflate` into the scratch buffer; appends what it wrote and returns its result and
    /// whether it filled the buffer.
    private func step(flush: Int32, into output: inout [UInt8]) throws -> (result: Int32, filled: Bool) {
        let stream = stream
        let (result, written) = scratch.withUnsafeMutableBytes { buffer in
            stream.pointee.next_out = buffer.bindMemory(to: Bytef.self).baseAddress
            stream.pointee.avail_out = uInt(buffer.count)
            let result = deflate(stream, flush)
            let written = buffer.count - Int(stream.pointee.avail_out)
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
            return (result, written)
        }
        // Z_BUF_ERROR only says no progress was possible this call; the loops above end on their own.
        guard result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR else {
            throw CodecError(code: .library, codec: Self.codec, message: "deflate failed with code \(result)")
        }
        output += scratch[..<written]
        return (result, written == scratch.count)
    }
}
