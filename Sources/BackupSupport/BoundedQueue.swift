import Synchronization

/// A first-in, first-out queue between tasks that holds at most `capacity` elements: ``send(_:)``
/// waits while it is full and ``next()`` while it is empty, so a fast producer cannot run ahead of
/// its consumers by more than the capacity.
///
/// ``finish()`` ends it after what was sent is taken; ``fail(_:)`` ends it at once, and every
/// waiting or later call on either side throws that error (how one failing worker stops the rest).
package final class BoundedQueue<Element: Sendable>: Sendable {
    private struct State {
        /// Elements from `head` on are queued; those before it were taken and are released at once
        /// (an element kept here until the array is compacted would hold its memory past its consumer).
        var items: [Element?] = []
        var head = 0
        var waitingSenders: [(element: Element, continuation: CheckedContinuation<Void, any Error>)] = []
        var waitingReceivers: [CheckedContinuation<Element?, any Error>] = []
        var finished = false
        var failure: (any Error)?

        var count: Int { items.count - head }

        mutating func takeFirst() -> Element {
            guard let element = items[head].take() else { preconditionFailure("a queued element is missing") }
            head += 1
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return element
        }
    }

    private enum SendAction {
        case resume(CheckedContinuation<Element?, any Error>)
        case done
        case wait
        case fail(any Error)
    }

    private enum ReceiveAction {
        case take(Element, CheckedContinuation<Void, any Error>?)
        case end
        case wait
        case fail(any Error)
    }

    private let capacity: Int
    private let state = Mutex(State())

    /// Creates a queue holding at most `capacity` (at least 1) elements.
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Adds `element`, waiting while the queue is full.
    ///
    /// - Throws: the error the queue failed with, or ``BoundedQueueError`` after ``finish()``.
    package func send(_ element: Element) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let action = state.withLock { state -> SendAction in
                if let failure = state.failure { return .fail(failure) }
                if state.finished { return .fail(BoundedQueueError.finished) }
                if !state.waitingReceivers.isEmpty { return .resume(state.waitingReceivers.removeFirst()) }
                if state.count < capacity {
                    state.items.append(element)
                    return .done
                }
                state.waitingSenders.append((element, continuation))
                return .wait
            }
            switch action {
            case .resume(let receiver):
                receiver.resume(returning: element)
                continuation.resume()
            case .done: continuation.resume()
            case .wait: break
            case .fail(let error): continuation.resume(throwing: error)
            }
        }
    }

    /// The oldest element, waiting while the queue is empty; `nil` once it is finished and drained.
    ///
    /// - Throws: the error the queue failed with.
    package func next() async throws -> Element? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
            let action = state.withLock { state -> ReceiveAction in
                if let failure = state.failure { return .fail(failure) }
                if state.count > 0 {
                    let element = state.takeFirst()
                    var sender: CheckedContinuation<Void, any Error>? = nil
                    if !state.waitingSenders.isEmpty {
                        let waiting = state.waitingSenders.removeFirst()
                        state.items.append(waiting.element)
                        sender = waiting.continuation
                    }
                    return .take(element, sender)
                }
                if !state.waitingSenders.isEmpty {
                    let waiting = state.waitingSenders.removeFirst()
                    return .take(waiting.element, waiting.continuation)
                }
                if state.finished { return .end }
                state.waitingReceivers.append(continuation)
                return .wait
            }
            switch action {
            case .take(let element, let sender):
                sender?.resume()
                continuation.resume(returning: element)
            case .end: continuation.resume(returning: nil)
            case .wait: break
            case .fail(let error): continuation.resume(throwing: error)
            }
        }
    }

    /// Ends the queue: receivers get what was sent, then `nil`.
    package func finish() {
        let receivers = state.withLock { state -> [CheckedContinuation<Element?, any Error>] in
            state.finished = true
            guard state.count == 0, state.waitingSenders.isEmpty else { return [] }
            defer { state.waitingReceivers = [] }
            return state.waitingReceivers
        }
        for receiver in receivers { receiver.resume(returning: nil) }
    }

    /// Ends the queue with `error`: what it holds is dropped and every waiting or later call throws it.
    /// Only the first failure is kept.
    package func fail(_ error: any Error) {
        let (failure, senders, receivers) = state.withLock { state in
            if state.failure == nil { state.failure = error }
            defer {
                state.waitingSenders = []
                state.waitingReceivers = []
                state.items = []
                state.head = 0
            }
            return (state.failure ?? error, state.waitingSenders.map(\.continuation), state.waitingReceivers)
        }
        for sender in senders { sender.resume(throwing: failure) }
        for receiver in receivers { receiver.resume(throwing: failure) }
    }
}

/// Why a ``BoundedQueue`` refused an element.
package enum BoundedQueueError: Error, CustomStringConvertible {
    /// ``BoundedQueue/send(_:)`` after ``BoundedQueue/finish()``.
    case finished

    package var description: String { "the queue was already finished" }
}
