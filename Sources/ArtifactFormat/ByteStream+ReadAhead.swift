import BackupSupport
package import RemoteStorage

extension ByteStream {
    /// This stream, produced on a task of its own up to `chunks` chunks ahead of the consumer.
    ///
    /// Pulling is sequential: a restore that reads, hashes and decompresses an artifact and then writes
    /// files from it uses one core. Reading ahead overlaps the two halves — the upstream (storage read,
    /// checksum, decryption, decompression) runs while the consumer (tar parsing, file writes, per-file
    /// checksums) works on earlier chunks. Memory stays bounded: at most `chunks` chunks wait in the
    /// queue (with the decompressor's 1 MiB chunks, 4 MiB by default), one more in each stage.
    ///
    /// The producer stops when the consumer stops iterating (its iterator is released) or fails; an
    /// upstream error reaches the consumer at the point it would have, after the chunks before it.
    package func readingAhead(chunks: Int = 4) -> ByteStream {
        let upstream = self
        return ByteStream {
            let reader = ReadAhead(upstream: upstream, capacity: chunks)
            return { try await reader.next() }
        }
    }
}

/// The producing task and the queue between it and the consumer of a ``ByteStream/readingAhead(chunks:)``.
private final class ReadAhead: Sendable {
    private let queue: BoundedQueue<[UInt8]>
    private let producer: Task<Void, Never>

    init(upstream: ByteStream, capacity: Int) {
        let queue = BoundedQueue<[UInt8]>(capacity: capacity)
        self.queue = queue
        producer = Task {
            do {
                for try await chunk in upstream { try await queue.send(chunk) }
                queue.finish()
            } catch {
                queue.fail(error)
            }
        }
    }

    func next() async throws -> [UInt8]? {
        try Task.checkCancellation()
        return try await queue.next()
    }

    deinit {
        // The consumer stopped (finished, failed or was cancelled): stop the producer and release
        // anything it is waiting on.
        producer.cancel()
        queue.fail(CancellationError())
    }
}
