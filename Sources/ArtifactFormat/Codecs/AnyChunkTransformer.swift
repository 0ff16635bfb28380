import BackupSupport
package import RemoteStorage

/// A type-erased ``RemoteStorage/ChunkTransformer``, for choosing a codec at run time:
///
/// ```swift
/// let compressed = stream.transformed { try CompressionAlgorithm.zstd.makeCompressor(level: 3) }
/// ```
package final class AnyChunkTransformer: ChunkTransformer {
    private let base: any ChunkTransformer

    /// Wraps `base`.
    public init(_ base: any ChunkTransformer) {
        self.base = base
    }

    /// Forwards to the wrapped transformer.
    public func transform(_ chunk: [UInt8]) throws -> [UInt8] { try base.transform(chunk) }

    /// Forwards to the wrapped transformer.
    public func finish() throws -> [UInt8] { try base.finish() }
}
