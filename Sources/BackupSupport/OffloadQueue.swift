import Foundation

/// A thread of its own that runs submitted work in order, so that CPU work (hashing, writing) overlaps with
/// the caller's (decompressing, parsing) on another core.
///
/// At most `maxPendingBytes` of submitted work wait at once: ``submit(bytes:_:)`` suspends the calling task
/// (it never blocks a thread of the cooperative pool) until the thread catches up, so memory stays bounded
/// whatever the input's size. The thread only runs the closures; the chunks they hold were allocated by the
/// caller and are freed when a closure is done. The thread ends when the queue is released, after the work
/// already submitted.
package final class OffloadQueue: Sendable {
    private let worker: Worker

    /// Starts the thread.
    /// - Parameters:
    ///   - name: The thread's name, for debuggers and `top -H`.
    ///   - maxPendingBytes: How many bytes of submitted work may wait before ``submit(bytes:_:)`` suspends.
    package init(name: String, maxPendingBytes: Int = 4 << 20) {
        worker = Worker(maxPendingBytes: maxPendingBytes)
        let worker = self.worker
        let thread = Thread { worker.run() }
        thread.name = name
        thread.start()
    }

    deinit { worker.stop() }

    /// Queues `work`, which stands for `bytes` bytes, once no more than the limit is pending.
    package func submit(bytes: Int, _ work: @escaping @Sendable () -> Void) async {
        while !worker.tryAppend(bytes: bytes, work) {
            await withCheckedContinuation { continuation in
                worker.whenRoom(for: bytes) { continuation.resume() }
            }
        }
    }

    /// Waits until everything submitted so far has run.
    package func drain() async {
        await withCheckedContinuation { continuation in
            worker.whenIdle { continuation.resume() }
        }
    }

    /// The thread's side. Its own waits (for work) block only that thread; callers' waits are callbacks.
    private final class Worker: @unchecked Sendable {
        // Everything below is guarded by `condition`.
        private let condition = NSCondition()
        private var jobs: [(bytes: Int, work: @Sendable () -> Void)] = []
        private var head = 0
        private var pendingBytes = 0
        private var running = false
        private var stopped = false
        private var roomWaiters: [(bytes: Int, resume: @Sendable () -> Void)] = []
        private var idleWaiters: [@Sendable () -> Void] = []
        private let maxPendingBytes: Int

        init(maxPendingBytes: Int) { self.maxPendingBytes = maxPendingBytes }

        private func hasRoom(for bytes: Int) -> Bool { pendingBytes == 0 || pendingBytes + bytes <= maxPendingBytes }
        private var isIdle: Bool { head == jobs.count && !running }

        func tryAppend(bytes: Int, _ work: @escaping @Sendable () -> Void) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            guard hasRoom(for: bytes) else { return false }
            jobs.append((bytes, work))
            pendingBytes += bytes
            condition.signal()
            return true
        }

        /// Calls `resume` once `bytes` more fit (at once if they do now).
        func whenRoom(for bytes: Int, _ resume: @escaping @Sendable () -> Void) {
            condition.lock()
            guard !hasRoom(for: bytes) else {
                condition.unlock()
                return resume()
            }
            roomWaiters.append((bytes, resume))
            condition.unlock()
        }

        /// Calls `resume` once every job submitted so far has run (at once if none is left).
        func whenIdle(_ resume: @escaping @Sendable () -> Void) {
            condition.lock()
            guard !isIdle else {
                condition.unlock()
                return resume()
            }
            idleWaiters.append(resume)
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.signal()
            condition.unlock()
        }

        func run() {
            while true {
                condition.lock()
                while head == jobs.count, !stopped { condition.wait() }
                if head == jobs.count {
                    condition.unlock()
                    return
                }
                let job = jobs[head]
                jobs[head].work = {}
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                }
                running = true
                condition.unlock()

                job.work()

                condition.lock()
                running = false
                pendingBytes -= job.bytes
                var ready: [@Sendable () -> Void] = []
                roomWaiters.removeAll { waiter in
                    guard hasRoom(for: waiter.bytes) else { return false }
                    ready.append(waiter.resume)
                    return true
                }
                if isIdle {
                    ready += idleWaiters
                    idleWaiters = []
                }
                condition.unlock()
                for resume in ready { resume() }
            }
        }
    }
}
