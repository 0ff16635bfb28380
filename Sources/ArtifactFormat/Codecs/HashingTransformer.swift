import BackupSupport
import Crypto
public import RemoteStorage
import Synchronization

/// A pass-through step that computes the SHA-256 digest and the byte count of what flows through it.
///
/// Create it outside the stream, hand it to `transformed`, and read ``hexDigest`` and ``byteCount``
/// once the stream has been consumed to the end:
///
/// ```swift
/// let hashing = HashingTransformer()
/// let info = try await storage.put(stream.transformed { hashing }, at: key, options: .createOnly)
/// let checksum = hashing.hexDigest   // available after the stream ended
/// ```
///
/// The results are guarded by a lock and safe to read from any task. A stream that may be iterated
/// more than once (a retried upload) should hand out ``restarted()``, so that every iteration, also
/// one after a failed iteration, starts from an empty hash:
///
/// ```swift
/// let stored = stream.transformed { hashing.restarted() }
/// ```
///
/// Without it, an iteration after a *completed* one still starts over on its first chunk.
public final class HashingTransformer: ChunkTransformer, Sendable {
    private struct State {
        var hasher = SHA256()
        var count: Int64 = 0
        var digest: [UInt8]?
        /// The byte count of the last completed pass, readable while a new pass runs.
        var completedCount: Int64?
    }

    private let state = Mutex(State())

    /// Creates a transformer with an empty hash.
    public init() {}

    /// Resets the hash and the count and returns this transformer, for use as the factory of a
    /// transformed stream: `stream.transformed { hashing.restarted() }`.
    public func restarted() -> HashingTransformer {
        state.withLock { $0 = State() }
        return self
    }

    /// Feeds `chunk` to the hash and returns it unchanged.
    public func transform(_ chunk: [UInt8]) -> [UInt8] {
        state.withLock { state in
            if state.digest != nil {
                // A new iteration after a completed one: start over.
                state = State()
            }
            state.hasher.update(data: chunk)
            state.count += Int64(chunk.count)
        }
        return chunk
    }

    /// Completes the digest; outputs nothing.
    public func finish() -> [UInt8] {
        state.withLock { state in
            if state.digest != nil { state = State() }
            state.digest = Array(state.hasher.finalize())
            state.completedCount = state.count
        }
        return []
    }

    /// The SHA-256 digest of everything that went through, or `nil` before the stream ended.
    public var digest: [UInt8]? { state.withLock { $0.digest } }

    /// The digest as 64 lowercase hexadecimal characters, or `nil` before the stream ended.
    public var hexDigest: String? { digest.map(Self.hex) }

    /// The number of bytes that went through so far (the total once the stream ended).
    public var byteCount: Int64 { state.withLock { $0.count } }

    /// Lowercase hexadecimal text of `bytes`.
    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
