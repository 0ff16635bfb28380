import BackupSupport
import NIOCore

/// The part buffers of one multipart upload, refilled once their part is uploaded.
///
/// A multipart upload of a large object reads hundreds of multi-megabyte parts. Allocating a fresh
/// buffer per part and freeing it after the upload leaves the freed blocks in the allocator's
/// per-thread arenas (glibc keeps them for reuse rather than returning them to the system), so the
/// resident size grows well past the bytes actually in flight. Recycling keeps the upload at about
/// ``S3StorageOptions/partsInFlight`` buffers for its whole length.
///
/// Refilling never overwrites bytes something else still reads: a returned buffer is reused only
/// once nothing else holds its memory. The HTTP client can keep a sent request's body for a while
/// (measured: a few buffers in a hundred were still held when the next part was read, and were let
/// go of a few parts later), so a buffer still held is kept for a later part and a new one allocated
/// meanwhile; a 1 GiB upload in 8 MiB parts, 4 in flight, allocates 4 or 5 buffers in all. A part
/// upload hands its buffer back itself rather than as its task's result, which the finished child
/// task may still hold when the reader resumes. Safe to use from several tasks.
final class S3PartBufferPool: Sendable {
    /// How many returned buffers the pool keeps for refilling; beyond that the oldest is let go
    /// of, so buffers held elsewhere for long cannot make the pool grow.
    let spareLimit: Int

    private struct State {
        var spare: [ByteBuffer] = []
        var allocations = 0
    }

    private let allocator = ByteBufferAllocator()
    private let state = Shared(State())

    /// Creates an empty pool.
    ///
    /// - Parameter spareLimit: How many returned buffers to keep (at least 1); the parts in flight
    ///   suit, since each connection may still hold the last body it sent.
    init(spareLimit: Int) {
        self.spareLimit = max(1, spareLimit)
    }

    /// How many buffers the pool allocated rather than refilled.
    var allocations: Int { state.withLock { $0.allocations } }

    /// An empty buffer with room for at least `capacity` bytes: a returned one that nothing else
    /// holds any more when there is one, else a new one.
    ///
    /// - Parameter capacity: The bytes the buffer must hold (the size of the part to read).
    /// - Returns: A buffer with no readable bytes.
    func buffer(capacity: Int) -> ByteBuffer {
        state.withLock { state in
            for index in state.spare.indices {
                let emptied =
                    state.spare[index].modifyIfUniquelyOwned { buffer -> Bool in
                        buffer.clear(minimumCapacity: capacity)
                        return true
                    } ?? false
                if emptied { return state.spare.remove(at: index) }
            }
            state.allocations += 1
            return allocator.buffer(capacity: capacity)
        }
    }

    /// Takes back a buffer whose bytes are no longer needed, to refill it for a later part.
    ///
    /// - Parameter buffer: A buffer from ``buffer(capacity:)``, once the server acknowledged its part.
    func recycle(_ buffer: ByteBuffer) {
        state.withLock { state in
            state.spare.append(buffer)
            if state.spare.count > spareLimit { state.spare.removeFirst() }
        }
    }
}
