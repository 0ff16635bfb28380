import NIOCore

/// Cuts a ``ByteStream`` into buffers of requested sizes for single and multipart uploads.
///
/// Used by one task only (the one reading the body), so it needs no synchronisation. ``next(_:)``
/// returns a freshly allocated buffer; ``fill(_:upTo:)`` appends to a buffer of the caller's (a
/// multipart upload refills the buffers of parts already sent, see ``S3PartBufferPool``).
final class S3PartReader {
    private var iterator: ByteStream.AsyncIterator
    /// Bytes read from the stream but not yet handed out.
    private var carry: [UInt8] = []
    private var carryOffset = 0
    private var ended = false
    /// Bytes handed out so far.
    private(set) var consumed: Int64 = 0

    init(_ body: ByteStream) {
        iterator = body.makeAsyncIterator()
    }

    private var carried: Int { carry.count - carryOffset }

    /// The next `size` bytes, or fewer at the end of the stream; an empty buffer once it is exhausted.
    func next(_ size: Int) async throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        try await fill(&buffer, upTo: size)
        return buffer
    }

    /// Appends bytes to `buffer` until it holds `size` readable bytes or the stream ends.
    func fill(_ buffer: inout ByteBuffer, upTo size: Int) async throws {
        let before = buffer.readableBytes
        while buffer.readableBytes < size {
            if carried == 0 {
                guard !ended, let chunk = try await iterator.next() else {
                    ended = true
                    break
                }
                carry = chunk
                carryOffset = 0
            }
            let take = min(size - buffer.readableBytes, carried)
            _ = carry.withUnsafeBytes { raw in
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[carryOffset..<carryOffset + take]))
            }
            carryOffset += take
            if carried == 0 {
                carry = []
                carryOffset = 0
            }
        }
        consumed += Int64(buffer.readableBytes - before)
    }

    /// Whether the stream has no more bytes; reads ahead one chunk to find out.
    func isAtEnd() async throws -> Bool {
        if carried > 0 { return false }
        if ended { return true }
        guard let chunk = try await iterator.next() else {
            ended = true
            return true
        }
        carry = chunk
        carryOffset = 0
        return false
    }
}
