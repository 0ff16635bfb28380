import BackupSupport

/// A step that hands every chunk on unchanged: the compressor and decompressor of
/// ``BackupModels/CompressionAlgorithm/none``.
package final class PassThroughTransformer: DrainingTransformer {
    private var pending: [UInt8] = []

    /// Creates a pass-through step.
    public init() {}

    /// Takes the next chunk.
    public func feed(_ chunk: [UInt8]) {
        pending = chunk
    }

    /// The chunk last fed, at most `limit` bytes at a time.
    public func drain(upTo limit: Int) -> [UInt8] {
        let count = min(max(1, limit), pending.count)
        let piece = Array(pending[..<count])
        pending.removeFirst(count)
        return piece
    }

    /// The rest of the last chunk, or `nil` when it was handed out.
    public func drainFinal(upTo limit: Int) -> [UInt8]? {
        let piece = drain(upTo: limit)
        return piece.isEmpty ? nil : piece
    }

    /// Returns `chunk` unchanged.
    public func transform(_ chunk: [UInt8]) -> [UInt8] { chunk }

    /// Returns nothing.
    public func finish() -> [UInt8] { [] }
}
