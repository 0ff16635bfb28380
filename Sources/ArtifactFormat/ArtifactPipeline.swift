package import BackupModels
package import BackupSupport
package import RemoteStorage

/// The byte pipeline of one artifact: compress → encrypt → hash/count on the way to storage, and
/// hash/count → decrypt → decompress on the way back.
///
/// Every stage is a ``ChunkTransformer`` pulled by the consumer, so memory holds a few chunks whatever
/// the artifact's size, and a slow store slows the reader (back-pressure).
package final class Pipeline: Sendable {
    /// Plaintext bytes per encrypted frame.
    package static let frameSize = 64 * 1024

    private let compression: CompressionSettings
    private let encryptionKey: EncryptionKey?
    private let hashing = HashingTransformer()
    private let plain = Shared(Int64(0))

    package init(compression: CompressionSettings, encryptionKey: EncryptionKey?) {
        self.compression = compression
        self.encryptionKey = encryptionKey
    }

    /// The stream to store for `payload`.
    ///
    /// - Throws: ``CodecError`` for compression settings out of range (checked before any byte moves).
    package func encode(_ payload: ByteStream) throws -> ByteStream {
        let plain = self.plain
        var stream = try payload.transformed { ByteCounter(into: plain) }.compressed(compression)
        if let key = encryptionKey {
            stream = stream.transformed { try FrameEncryptor(key: key, frameSize: Self.frameSize) }
        }
        let hashing = self.hashing
        return stream.transformed { hashing.restarted() }
    }

    /// SHA-256 and size of the bytes produced by ``encode(_:)``, once its stream has ended.
    package func digest() -> DigestResult { DigestResult(hex: hashing.hexDigest ?? "", byteCount: hashing.byteCount) }

    /// Bytes that entered compression.
    package func uncompressedByteCount() -> Int64 { plain.value }

    /// A decoding of stored bytes: the payload stream and, after it ended, the stored bytes' digest.
    package struct Decoding: Sendable {
        package var stream: ByteStream
        fileprivate let hashing: OffloadedHashing
        package func storedDigest() -> DigestResult { DigestResult(hex: hashing.hexDigest ?? "", byteCount: hashing.byteCount) }
    }

    /// Decodes stored bytes back to the payload, hashing the stored bytes on the way (on a thread of its
    /// own, while the payload's consumer works).
    package static func decode(_ stored: ByteStream, compression: CompressionAlgorithm, key: EncryptionKey?) throws -> Decoding {
        let hashing = OffloadedHashing()
        var stream = stored.hashedOnThread(into: hashing)
        if let key {
            stream = stream.transformed { FrameDecryptor(key: key) }
        }
        return Decoding(stream: stream.decompressedOnThread(compression), hashing: hashing)
    }
}

/// A SHA-256 digest and byte count.
package struct DigestResult: Sendable, Hashable {
    package var hex: String
    package var byteCount: Int64
}

/// Passes bytes through, counting them.
package final class ByteCounter: ChunkTransformer {
    private let total: Shared<Int64>
    package init(into total: Shared<Int64>) { self.total = total }

    package func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        total.withLock { $0 += Int64(chunk.count) }
        return chunk
    }

    package func finish() throws -> [UInt8] { [] }
}
