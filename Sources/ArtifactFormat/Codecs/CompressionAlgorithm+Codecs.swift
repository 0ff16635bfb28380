public import BackupModels
import BackupSupport
import Foundation
public import RemoteStorage

extension CompressionAlgorithm {
    /// A compressor for this algorithm (a pass-through step for ``none``).
    ///
    /// - Parameters:
    ///   - level: the level; `nil` picks the algorithm's default (zstd 3, gzip 6).
    ///   - threads: zstd worker threads (ignored by gzip); 0 compresses on the calling thread.
    /// - Throws: ``CodecError/Code-swift.struct/invalidArgument`` for a level out of range.
    package func makeCompressor(level: Int? = nil, threads: Int = 0) throws -> AnyChunkTransformer {
        switch self {
        case .zstd: AnyChunkTransformer(try ZstdCompressor(level: level ?? 3, threads: threads))
        case .gzip: AnyChunkTransformer(try GzipCompressor(level: level ?? 6))
        case .none: AnyChunkTransformer(PassThroughTransformer())
        }
    }

    /// A decompressor for this algorithm (a pass-through step for ``none``).
    ///
    /// For bounded output chunks prefer ``RemoteStorage/ByteStream/decompressed(_:maxChunkSize:)``.
    package func makeDecompressor() throws -> AnyChunkTransformer {
        switch self {
        case .zstd: AnyChunkTransformer(try ZstdDecompressor())
        case .gzip: AnyChunkTransformer(try GzipDecompressor())
        case .none: AnyChunkTransformer(PassThroughTransformer())
        }
    }
}

extension CompressionSettings {
    /// The zstd worker threads to use: the configured number, or one per core up to 4.
    public var effectiveThreads: Int {
        threads ?? min(4, ProcessInfo.processInfo.activeProcessorCount)
    }
}

extension ByteStream {
    /// This stream compressed as `settings` say.
    ///
    /// The settings are checked now, so a bad level fails here rather than during the upload.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/invalidArgument`` for a level out of range.
    public func compressed(_ settings: CompressionSettings) throws -> ByteStream {
        let level = settings.effectiveLevel
        switch settings.algorithm {
        case .zstd:
            let threads = settings.effectiveThreads
            _ = try ZstdCompressor(level: level, threads: 0)
            return transformed { try ZstdCompressor(level: level, threads: threads) }
        case .gzip:
            _ = try GzipCompressor(level: level)
            return transformed { try GzipCompressor(level: level) }
        case .none:
            return self
        }
    }

    /// This stream decompressed, in chunks of at most `maxChunkSize` bytes however well the data
    /// was compressed.
    ///
    /// - Parameters:
    ///   - algorithm: the compression the stream holds.
    ///   - maxChunkSize: the largest chunk handed out, 1 MiB by default.
    public func decompressed(_ algorithm: CompressionAlgorithm, maxChunkSize: Int = 1 << 20) -> ByteStream {
        switch algorithm {
        case .zstd: transformed(maxChunkSize: maxChunkSize) { try ZstdDecompressor() }
        case .gzip: transformed(maxChunkSize: maxChunkSize) { try GzipDecompressor() }
        case .none: self
        }
    }

    /// This stream decompressed like ``decompressed(_:maxChunkSize:)``, on a thread of its own a few chunks
    /// ahead of the consumer (see ``transformedOnThread(maxChunkSize:inputsAhead:outputsAhead:_:)``).
    package func decompressedOnThread(_ algorithm: CompressionAlgorithm, maxChunkSize: Int = 1 << 20) -> ByteStream {
        switch algorithm {
        case .zstd: transformedOnThread(maxChunkSize: maxChunkSize) { try ZstdDecompressor() }
        case .gzip: transformedOnThread(maxChunkSize: maxChunkSize) { try GzipDecompressor() }
        case .none: self
        }
    }
}

extension ByteStream {
    /// This stream encrypted in the framed AES-256-GCM format (see `Documentation/EncryptedFormat.md`),
    /// with `frameSize` plaintext bytes per frame.
    public func encrypted(with key: EncryptionKey, frameSize: Int = 64 * 1024) -> ByteStream {
        transformed { try FrameEncryptor(key: key, frameSize: frameSize) }
    }

    /// This stream decrypted from the framed AES-256-GCM format; a frame that fails authentication, is
    /// reordered or truncated fails the stream with a ``CodecError``.
    public func decrypted(with key: EncryptionKey) -> ByteStream {
        transformed { FrameDecryptor(key: key) }
    }
}
