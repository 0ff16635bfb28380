import BackupSupport
import Crypto
import RemoteStorage

/// A pass-through step like ``HashingTransformer`` whose hashing runs on a thread of its own
/// (``BackupSupport/OffloadQueue``), overlapping with what the stream's consumer does with the chunks
/// (decompressing, writing files) on another core.
///
/// The digest and count are complete once the stream has ended (``finish()`` waits for the thread).
package final class OffloadedHashingTransformer: ChunkTransformer, Sendable {
    private struct State {
        var hasher = SHA256()
        var count: Int64 = 0
        var digest: [UInt8]?
    }

    private let state = Shared(State())
    private let queue = OffloadQueue(name: "backupkit-artifact-hash")

    package init() {}

    /// Waits for the thread, resets the hash and the count, and returns this transformer (the factory
    /// of a transformed stream that may be iterated again).
    package func restarted() -> OffloadedHashingTransformer {
        queue.drain()
        state.withLock { $0 = State() }
        return self
    }

    /// Queues `chunk` for hashing and returns it unchanged.
    package func transform(_ chunk: [UInt8]) -> [UInt8] {
        let state = self.state
        queue.submit(bytes: chunk.count) {
            state.withLock { state in
                state.hasher.update(data: chunk)
                state.count += Int64(chunk.count)
            }
        }
        return chunk
    }

    /// Waits until every chunk is hashed and completes the digest; outputs nothing.
    package func finish() -> [UInt8] {
        queue.drain()
        state.withLock { $0.digest = Array($0.hasher.finalize()) }
        return []
    }

    /// The digest as 64 lowercase hexadecimal characters, or `nil` before the stream ended.
    package var hexDigest: String? { state.withLock { $0.digest.map(HashingTransformer.hex) } }

    /// The number of bytes hashed (the total once the stream ended).
    package var byteCount: Int64 { state.withLock { $0.count } }
}
