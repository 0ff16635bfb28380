import BackupSupport
package import RemoteStorage

/// A ``ChunkTransformer`` that can hand out its output in pieces of bounded size, for codecs whose
/// output can be much larger than their input (decompressors: a 1 MiB chunk of zstd can expand to
/// gigabytes).
///
/// Drive it with ``ByteStream/transformed(maxChunkSize:_:)`` to keep memory bounded whatever the
/// compression ratio. Through the plain ``ChunkTransformer`` methods it still works, but then each
/// call returns all output of one input chunk at once.
package protocol DrainingTransformer: ChunkTransformer {
    /// Hands the transformer its next input chunk. Call only once ``drain(upTo:)`` has returned an
    /// empty array, i.e. the previous input is used up.
    func feed(_ chunk: [UInt8]) throws
    /// Output from the input fed so far, at most `limit` bytes; an empty array means the transformer
    /// needs more input.
    func drain(upTo limit: Int) throws -> [UInt8]
    /// After the last input: the next piece of the remaining output (at most `limit` bytes), or `nil`
    /// when all output was handed out.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/truncated`` if the input stopped before its end marker.
    func drainFinal(upTo limit: Int) throws -> [UInt8]?
}

extension DrainingTransformer {
    /// Feeds `chunk` and returns all the output it produced.
    public func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        try feed(chunk)
        var output: [UInt8] = []
        while true {
            let piece = try drain(upTo: 1 << 20)
            if piece.isEmpty { return output }
            output += piece
        }
    }

    /// Returns all remaining output after the last input chunk.
    public func finish() throws -> [UInt8] {
        var output: [UInt8] = []
        while let piece = try drainFinal(upTo: 1 << 20) { output += piece }
        return output
    }
}

extension ByteStream {
    /// A stream that runs a ``DrainingTransformer`` and hands out chunks of at most `maxChunkSize`
    /// bytes, reading the next input chunk only when the transformer needs it: memory stays bounded
    /// whatever the expansion ratio.
    ///
    /// - Parameters:
    ///   - maxChunkSize: the largest output chunk, 1 MiB by default.
    ///   - makeTransformer: called once per iteration to create fresh state.
    package func transformed<T: DrainingTransformer>(
        maxChunkSize: Int = 1 << 20, _ makeTransformer: @escaping @Sendable () throws -> T
    ) -> ByteStream {
        let upstream = self
        let limit = Swift.max(1, maxChunkSize)
        return ByteStream {
            let state = DrainingState(upstream: upstream.makeAsyncIterator(), make: makeTransformer, limit: limit)
            return { try await state.next() }
        }
    }
}

/// The state of one iteration of a draining stream. Iteration is sequential (one consumer), which is
/// what makes the unchecked conformance sound.
private final class DrainingState<T: DrainingTransformer>: @unchecked Sendable {
    private var upstream: ByteStream.AsyncIterator
    private let make: () throws -> T
    private let limit: Int
    private var transformer: T?
    private var inputEnded = false
    private var done = false

    init(upstream: ByteStream.AsyncIterator, make: @escaping () throws -> T, limit: Int) {
        self.upstream = upstream
        self.make = make
        self.limit = limit
    }

    func next() async throws -> [UInt8]? {
        if done { return nil }
        if transformer == nil { transformer = try make() }
        guard let transformer else { return nil }
        while true {
            if inputEnded {
                guard let piece = try transformer.drainFinal(upTo: limit) else {
                    done = true
                    return nil
                }
                if !piece.isEmpty { return piece }
                continue
            }
            let piece = try transformer.drain(upTo: limit)
            if !piece.isEmpty { return piece }
            if let chunk = try await upstream.next() {
                try transformer.feed(chunk)
            } else {
                inputEnded = true
            }
        }
    }
}
