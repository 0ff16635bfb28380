import BackupSupport
import Crypto
package import RemoteStorage

/// The SHA-256 digest and byte count of a stream, computed on a thread of its own
/// (``BackupSupport/OffloadQueue``) while the stream's consumer works on the chunks (decompressing,
/// writing files) on another core. Pass it to ``RemoteStorage/ByteStream/hashedOnThread(into:)`` and read the
/// results once the stream has ended; each iteration of the stream starts a new hash.
package final class OffloadedHashing: Sendable {
    private let current = Shared<HashRun?>(nil)

    package init() {}

    fileprivate func start() -> HashRun {
        let run = HashRun()
        current.withLock { $0 = run }
        return run
    }

    /// The digest as 64 lowercase hexadecimal characters, or `nil` before the stream ended.
    package var hexDigest: String? { current.value?.state.value.digest.map(HashingTransformer.hex) }

    /// The number of bytes hashed (the total once the stream ended).
    package var byteCount: Int64 { current.value?.state.value.count ?? 0 }
}

/// One iteration's hash: its thread and its state.
private final class HashRun: Sendable {
    struct State {
        var hasher = SHA256()
        var count: Int64 = 0
        var digest: [UInt8]?
    }

    let state = Shared(State())
    private let queue = OffloadQueue(name: "backupkit-hash")

    func add(_ chunk: [UInt8]) async {
        let state = self.state
        await queue.submit(bytes: chunk.count) {
            state.withLock { state in
                state.hasher.update(data: chunk)
                state.count += Int64(chunk.count)
            }
        }
    }

    func finish() async {
        await queue.drain()
        state.withLock { state in
            if state.digest == nil { state.digest = Array(state.hasher.finalize()) }
        }
    }
}

extension ByteStream {
    /// This stream, unchanged, with its SHA-256 digest and byte count computed into `hashing` on a thread of
    /// its own; they are complete once the stream has ended.
    package func hashedOnThread(into hashing: OffloadedHashing) -> ByteStream {
        let upstream = self
        return ByteStream {
            let run = hashing.start()
            let iterator = IteratorBox(upstream.makeAsyncIterator())
            return {
                if let chunk = try await iterator.next() {
                    await run.add(chunk)
                    return chunk
                }
                await run.finish()
                return nil
            }
        }
    }
}

/// The upstream iterator of one iteration; iteration is sequential (one consumer).
private final class IteratorBox: @unchecked Sendable {
    private var iterator: ByteStream.AsyncIterator
    init(_ iterator: ByteStream.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> [UInt8]? { try await iterator.next() }
}
