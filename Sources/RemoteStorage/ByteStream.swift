/// A pull-based stream of byte chunks: nothing is read until the consumer asks for the next chunk,
/// so a chain of streams (read → compress → encrypt → hash → upload) has back-pressure built in and
/// holds only the chunks in flight.
///
/// A `ByteStream` can be iterated once per ``makeAsyncIterator()``; each iteration starts the
/// underlying producer afresh where the producer supports it (files do, network bodies do not).
public struct ByteStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias Failure = any Error

    private let makeNext: @Sendable () -> @Sendable () async throws -> [UInt8]?

    /// Creates a stream from a factory: the factory is called once per iteration and returns the
    /// function that produces the next chunk, or `nil` at the end.
    ///
    /// Producers must not return empty chunks except to signal nothing; empty chunks are skipped.
    public init(_ makeNext: @escaping @Sendable () -> @Sendable () async throws -> [UInt8]?) {
        self.makeNext = makeNext
    }

    /// A stream over bytes already in memory, in chunks of `chunkSize`.
    public init(bytes: [UInt8], chunkSize: Int = 1 << 20) {
        self.init {
            let box = Cursor(bytes: bytes)
            return { box.next(chunkSize) }
        }
    }

    /// An empty stream.
    public static var empty: ByteStream { ByteStream(bytes: []) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let produce: @Sendable () async throws -> [UInt8]?

        public mutating func next() async throws -> [UInt8]? {
            while let chunk = try await produce() {
                if !chunk.isEmpty { return chunk }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(produce: makeNext()) }

    /// Reads the whole stream into memory. Meant for small objects such as manifests.
    ///
    /// - Parameter limit: the most bytes accepted; larger streams throw ``StorageError/Code-swift.struct/tooLarge``.
    public func collect(upTo limit: Int = 64 << 20) async throws -> [UInt8] {
        var result: [UInt8] = []
        for try await chunk in self {
            guard result.count + chunk.count <= limit else {
                throw StorageError(code: .tooLarge, key: nil, message: "stream exceeds \(limit) bytes")
            }
            result.append(contentsOf: chunk)
        }
        return result
    }

    /// A stream that applies `transform` to each chunk in order and appends `finish()`'s output at the end.
    ///
    /// `makeTransformer` is called once per iteration to create fresh state (a compressor, a hasher).
    public func transformed<T: ChunkTransformer>(_ makeTransformer: @escaping @Sendable () throws -> T) -> ByteStream {
        let upstream = self
        return ByteStream {
            let state = TransformState(upstream: upstream.makeAsyncIterator(), make: makeTransformer)
            return { try await state.next() }
        }
    }
}

/// A stateful step of a byte pipeline: compression, encryption, hashing.
public protocol ChunkTransformer: AnyObject, SendableMetatype {
    /// Consumes one input chunk and returns the output it produced (possibly empty).
    func transform(_ chunk: [UInt8]) throws -> [UInt8]
    /// Called once after the last input chunk; returns the remaining output.
    func finish() throws -> [UInt8]
}

/// Mutable state behind a transformed stream. Iteration is sequential (one consumer), which is what
/// makes the unchecked conformance sound.
private final class TransformState<T: ChunkTransformer>: @unchecked Sendable {
    private var upstream: ByteStream.AsyncIterator
    private let make: () throws -> T
    private var transformer: T?
    private var finished = false

    init(upstream: ByteStream.AsyncIterator, make: @escaping () throws -> T) {
        self.upstream = upstream
        self.make = make
    }

    func next() async throws -> [UInt8]? {
        if transformer == nil { transformer = try make() }
        guard let transformer else { return nil }
        while !finished {
            if let chunk = try await upstream.next() {
                let output = try transformer.transform(chunk)
                if !output.isEmpty { return output }
            } else {
                finished = true
                let tail = try transformer.finish()
                return tail.isEmpty ? nil : tail
            }
        }
        return nil
    }
}

private final class Cursor: @unchecked Sendable {
    private let bytes: [UInt8]
    private var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func next(_ size: Int) -> [UInt8]? {
        guard offset < bytes.count else { return nil }
        let end = min(offset + size, bytes.count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}
