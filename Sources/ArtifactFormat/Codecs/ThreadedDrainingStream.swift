import BackupSupport
import Foundation
package import RemoteStorage

extension ByteStream {
    /// Like ``transformed(maxChunkSize:_:)``, with the transformer running on a thread of its own, a few
    /// chunks ahead of the consumer: a decompressor then works on one core while the consumer (writing
    /// files, loading a database) works on another.
    ///
    /// Memory stays bounded: at most `inputsAhead` input chunks and `outputsAhead` output pieces of at most
    /// `maxChunkSize` bytes wait between the two. The input is read by the consumer's task (the upstream
    /// is asynchronous); only the transformer's synchronous work moves to the thread.
    ///
    /// - Parameters:
    ///   - maxChunkSize: the largest output chunk, 1 MiB by default.
    ///   - inputsAhead: input chunks read ahead of the transformer.
    ///   - outputsAhead: output pieces made ahead of the consumer.
    ///   - makeTransformer: called once per iteration to create fresh state.
    package func transformedOnThread<T: DrainingTransformer>(
        maxChunkSize: Int = 1 << 20, inputsAhead: Int = 2, outputsAhead: Int = 4,
        _ makeTransformer: @escaping @Sendable () throws -> T
    ) -> ByteStream {
        let upstream = self
        let limit = Swift.max(1, maxChunkSize)
        return ByteStream {
            let state = ThreadedDrainingState(
                upstream: upstream.makeAsyncIterator(), make: makeTransformer, limit: limit,
                inputsAhead: Swift.max(1, inputsAhead), outputsAhead: Swift.max(1, outputsAhead))
            return { try await state.next() }
        }
    }
}

/// The consumer's side of one iteration: reads the upstream and takes the thread's output. Iteration is
/// sequential (one consumer), which makes the unchecked conformance sound.
private final class ThreadedDrainingState<T: DrainingTransformer>: @unchecked Sendable {
    private var upstream: ByteStream.AsyncIterator
    private let channel: DrainingChannel
    private var inputEnded = false
    private var done = false

    init(upstream: ByteStream.AsyncIterator, make: @escaping @Sendable () throws -> T, limit: Int, inputsAhead: Int, outputsAhead: Int) {
        self.upstream = upstream
        let channel = DrainingChannel(inputsAhead: inputsAhead, outputsAhead: outputsAhead)
        self.channel = channel
        let thread = Thread { channel.work(make: make, limit: limit) }
        thread.name = "backupkit-decode"
        thread.start()
    }

    deinit { channel.stop() }

    func next() async throws -> [UInt8]? {
        if done { return nil }
        while true {
            var output = channel.takeOutput()
            if output == nil {
                if !inputEnded, channel.hasRoomForInput {
                    if let chunk = try await upstream.next() {
                        channel.giveInput(chunk)
                    } else {
                        inputEnded = true
                        channel.giveInput(nil)
                    }
                    continue
                }
                output = await channel.nextOutput()
            }
            switch output {
            case .piece(let piece)?: return piece
            case .failure(let error)?:
                done = true
                throw error
            case .end?, nil:
                done = true
                return nil
            }
        }
    }
}

/// The two queues between the consumer and the transformer's thread, guarded by one condition. The thread
/// waits on the condition; the consumer never blocks: it suspends until the thread hands it an output.
private final class DrainingChannel: @unchecked Sendable {
    enum Output {
        case piece([UInt8])
        case end
        case failure(any Error)
    }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var inputs: [[UInt8]?] = []
    private var outputs: [Output] = []
    private var outputWaiter: CheckedContinuation<Output, Never>?
    private var stopped = false
    private let inputsAhead: Int
    private let outputsAhead: Int

    init(inputsAhead: Int, outputsAhead: Int) {
        self.inputsAhead = inputsAhead
        self.outputsAhead = outputsAhead
    }

    var hasRoomForInput: Bool {
        condition.lock()
        defer { condition.unlock() }
        return inputs.count < inputsAhead
    }

    /// Queues an input chunk, or `nil` for the end of the input.
    func giveInput(_ chunk: [UInt8]?) {
        condition.lock()
        inputs.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

    /// The next output if there is one now.
    func takeOutput() -> Output? {
        condition.lock()
        defer { condition.unlock() }
        guard !outputs.isEmpty else { return nil }
        condition.broadcast()
        return outputs.removeFirst()
    }

    /// The next output, once the thread has made it.
    func nextOutput() async -> Output {
        await withCheckedContinuation { continuation in
            condition.lock()
            if outputs.isEmpty {
                outputWaiter = continuation
                condition.unlock()
                return
            }
            let output = outputs.removeFirst()
            condition.broadcast()
            condition.unlock()
            continuation.resume(returning: output)
        }
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// The thread's loop: feed each input, drain its output in pieces, end with the final output.
    func work<T: DrainingTransformer>(make: () throws -> T, limit: Int) {
        do {
            let transformer = try make()
            while true {
                guard let next = takeInput() else { return }
                guard let chunk = next else {
                    while let piece = try transformer.drainFinal(upTo: limit) {
                        if !piece.isEmpty, !put(.piece(piece)) { return }
                    }
                    _ = put(.end)
                    return
                }
                try transformer.feed(chunk)
                while true {
                    let piece = try transformer.drain(upTo: limit)
                    if piece.isEmpty { break }
                    if !put(.piece(piece)) { return }
                }
            }
        } catch {
            _ = put(.failure(error))
        }
    }

    /// The next input (`.some(nil)` at the end of the input), or `nil` once stopped.
    private func takeInput() -> [UInt8]?? {
        condition.lock()
        defer { condition.unlock() }
        while inputs.isEmpty, !stopped { condition.wait() }
        guard !stopped else { return nil }
        condition.broadcast()
        return .some(inputs.removeFirst())
    }

    /// Hands an output to the waiting consumer, or queues it, waiting while `outputsAhead` wait already;
    /// `false` once stopped.
    private func put(_ output: Output) -> Bool {
        condition.lock()
        if let waiter = outputWaiter {
            outputWaiter = nil
            condition.unlock()
            waiter.resume(returning: output)
            return true
        }
        defer { condition.unlock() }
        while outputs.count >= outputsAhead, !stopped { condition.wait() }
        guard !stopped else { return false }
        if let waiter = outputWaiter {
            outputWaiter = nil
            waiter.resume(returning: output)
            return true
        }
        outputs.append(output)
        return true
    }
}
