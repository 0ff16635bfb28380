import NIOCore
import Testing

@testable import RemoteStorage

struct S3PartBufferPoolTests {
    /// The address of the memory behind `buffer`.
    private func address(of buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withVeryUnsafeBytes { $0.baseAddress }
    }

    @Test func returnedBufferIsRefilledInItsOwnMemory() {
        let pool = S3PartBufferPool(spareLimit: 2)
        var first = pool.buffer(capacity: 4096)
        first.writeBytes([1, 2, 3])
        let memory = address(of: first)
        pool.recycle(first)
        first = ByteBuffer()

        let second = pool.buffer(capacity: 4096)
        #expect(second.readableBytes == 0)
        #expect(second.capacity >= 4096)
        #expect(address(of: second) == memory)
        #expect(pool.allocations == 1)
    }

    @Test func bufferStillHeldElsewhereKeepsItsBytes() {
        let pool = S3PartBufferPool(spareLimit: 2)
        var sent = pool.buffer(capacity: 4096)
        sent.writeBytes([1, 2, 3])
        var stillHeld: ByteBuffer? = sent
        pool.recycle(sent)
        sent = ByteBuffer()

        var next = pool.buffer(capacity: 4096)
        next.writeBytes([9, 9, 9, 9])
        #expect(stillHeld.map { Array($0.readableBytesView) } == [1, 2, 3])
        #expect(pool.allocations == 2)

        // Once let go of, the kept buffer is refilled for a later part instead of a new one.
        let keptMemory = stillHeld.map { address(of: $0) }
        stillHeld = nil
        let later = pool.buffer(capacity: 4096)
        #expect(address(of: later) == keptMemory)
        #expect(later.readableBytes == 0)
        #expect(pool.allocations == 2)
    }

    @Test func returnedBufferGrowsForALargerPart() {
        let pool = S3PartBufferPool(spareLimit: 2)
        var small = pool.buffer(capacity: 1000)
        small.writeBytes(Array(repeating: 7, count: 1000))
        pool.recycle(small)
        small = ByteBuffer()

        var large = pool.buffer(capacity: 5000)
        #expect(large.readableBytes == 0)
        #expect(large.capacity >= 5000)
        large.writeBytes(Array(repeating: 8, count: 5000))
        #expect(large.readableBytes == 5000)
        #expect(pool.allocations == 1)
    }

    @Test func keepsOnlyALimitedNumberOfReturnedBuffers() {
        let pool = S3PartBufferPool(spareLimit: 2)
        let count = pool.spareLimit + 2
        var held = (0..<count).map { _ in pool.buffer(capacity: 64) }
        for buffer in held { pool.recycle(buffer) }
        held = []

        // Only `spareLimit` of the returned buffers were kept; the rest need new memory.
        let taken = (0..<count).map { _ in pool.buffer(capacity: 64) }
        #expect(taken.count == count)
        #expect(pool.allocations == count + (count - pool.spareLimit))
    }
}
