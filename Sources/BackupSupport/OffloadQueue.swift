import Foundation

/// A thread of its own that runs submitted work in order, so that CPU work (hashing) overlaps with the
/// caller's (decompressing, writing) on another core.
///
/// At most `maxPendingBytes` of submitted work wait at once: ``submit(bytes:_:)`` blocks the caller until
/// the thread catches up, so memory stays bounded whatever the input's size. The thread only runs the
/// closures; the chunks they hold were allocated by the caller and are freed when a closure is done. The
/// thread ends when the queue is released (after the work already submitted).
package final class OffloadQueue: Sendable {
    private let worker: Worker

    /// Starts the thread.
    /// - Parameters:
    ///   - name: The thread's name, for debuggers and `top -H`.
    ///   - maxPendingBytes: How many bytes of submitted work may wait before ``submit(bytes:_:)`` blocks.
    package init(name: String, maxPendingBytes: Int = 4 << 20) {
        worker = Worker(maxPendingBytes: maxPendingBytes)
        let worker = self.worker
        let thread = Thread { worker.run() }
        thread.name = name
        thread.start()
    }

    deinit { worker.stop() }

    /// Queues `work`, which stands for `bytes` bytes; waits first while more than the limit is pending.
    package func submit(bytes: Int, _ work: @escaping @Sendable () -> Void) {
        worker.submit(bytes: bytes, work)
    }

    /// Waits until everything submitted so far has run.
    package func drain() { worker.drain() }

    private final class Worker: @unchecked Sendable {
        // Everything below is guarded by `condition`.
        private let condition = NSCondition()
        private var jobs: [(bytes: Int, work: @Sendable () -> Void)] = []
        private var head = 0
        private var pendingBytes = 0
        private var running = false
        private var stopped = false
        private let maxPendingBytes: Int

        init(maxPendingBytes: Int) { self.maxPendingBytes = maxPendingBytes }

        func submit(bytes: Int, _ work: @escaping @Sendable () -> Void) {
            condition.lock()
            while pendingBytes > 0, pendingBytes + bytes > maxPendingBytes { condition.wait() }
            jobs.append((bytes, work))
            pendingBytes += bytes
            condition.broadcast()
            condition.unlock()
        }

        func drain() {
            condition.lock()
            while head < jobs.count || running { condition.wait() }
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
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
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}
