import ArtifactFormat
import BackupModels
import BackupSupport
package import Foundation
import RemoteStorage
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process (`mariadb-dump`, `mariadb`, `mariadb-binlog`) whose pipes are served by dedicated
/// threads and whose exit is awaited through its termination handler, so no cooperative thread ever
/// blocks on it.
package final class ChildProcess: Sendable {
    /// Where the child's standard input comes from.
    package enum Input {
        /// `/dev/null`.
        case none
        /// A pipe fed through ``feed(_:)``.
        case pipe
        /// The standard output of a process launched after this one (`a | b`: launch `b` first).
        case pipeline(Pipe)
    }

    /// Where the child's standard output goes.
    package enum Output {
        /// Read through ``output``.
        case pipe
        /// Into a pipe another child reads.
        case pipeline(Pipe)
        /// `/dev/null`.
        case discard
    }

    /// The executable's file name, for messages.
    package let name: String
    /// The standard output, when it is ``Output/pipe``.
    package let output: PipeReader?
    /// The child's process id (and process group: each child leads a group of its own).
    private let pid: pid_t
    private let inputWriter: PipeWriter?
    private let errors: BoundedCapture
    private let exit: ExitStatus

    /// Starts `executable` with `arguments` and `environment` (nothing else is inherited), under
    /// `nice`/`ionice` when `priority` asks for it.
    ///
    /// The child is started with `posix_spawn` and reaped by `waitpid` on a thread of its own, not with
    /// Foundation's `Process`: on Linux that learns of a child's end through a socket the child inherits,
    /// so a background job the child leaves running (a hook's `agent &`), or a child started at the same
    /// moment from another thread, kept its end unnoticed.
    package init(
        executable: String, arguments: [String], environment: [String: String], input: Input = .none,
        output: Output = .pipe, errorLimit: Int = 64 * 1024, outputChunkSize: Int = 1 << 20, fillsOutputChunks: Bool = true,
        priority: ChildProcessPriority = .normal
    ) throws {
        name = (executable as NSString).lastPathComponent
        let command = priority.isNormal ? (executable, arguments) : priority.apply(to: [executable] + arguments)

        let spawn = ChildSpawn()
        // Pipes are created close-on-exec, so a child started at the same time from another thread
        // never inherits the parent's ends (which would keep a pipe open after its own child exits);
        // `dup2` onto 0, 1 and 2 clears the flag on the child's copies.
        var parentEnds: [Int32] = []
        var childEnds: [Int32] = []
        func closeAll() {
            for fd in parentEnds + childEnds { close(fd) }
        }
        /// The parent's copies of pipeline ends handed to this child, closed once it runs.
        var handedOver: [FileHandle] = []
        var inputFD: Int32? = nil
        switch input {
        case .none: spawn.open("/dev/null", as: STDIN_FILENO, writing: false)
        case .pipe:
            let (read, write) = try Self.makePipe()
            parentEnds.append(write)
            childEnds.append(read)
            inputFD = write
            spawn.duplicate(read, as: STDIN_FILENO)
        case .pipeline(let pipe):
            // The write end is closed in the child with every other inherited descriptor.
            spawn.duplicate(pipe.fileHandleForReading.fileDescriptor, as: STDIN_FILENO)
            handedOver.append(pipe.fileHandleForReading)
        }
        var outputFD: Int32? = nil
        switch output {
        case .pipe:
            do {
                let (read, write) = try Self.makePipe()
                parentEnds.append(read)
                childEnds.append(write)
                outputFD = read
                spawn.duplicate(write, as: STDOUT_FILENO)
            } catch {
                closeAll()
                throw error
            }
        case .pipeline(let pipe):
            spawn.duplicate(pipe.fileHandleForWriting.fileDescriptor, as: STDOUT_FILENO)
            handedOver.append(pipe.fileHandleForWriting)
        case .discard: spawn.open("/dev/null", as: STDOUT_FILENO, writing: true)
        }
        let errorFD: Int32
        do {
            let (read, write) = try Self.makePipe()
            parentEnds.append(read)
            childEnds.append(write)
            errorFD = read
            spawn.duplicate(write, as: STDERR_FILENO)
        } catch {
            closeAll()
            throw error
        }
        let pid: pid_t
        do {
            pid = try spawn.start(command.0, arguments: command.1, environment: environment)
        } catch {
            closeAll()
            throw error
        }
        for fd in childEnds { close(fd) }
        for handle in handedOver { try? handle.close() }
        self.pid = pid
        let exit = ExitStatus()
        self.exit = exit
        Thread.detachNewThread { exit.finish(ChildSpawn.waitForExit(pid)) }
        self.errors = BoundedCapture(fd: errorFD, limit: errorLimit)
        self.output = outputFD.map { PipeReader(fd: $0, chunkSize: outputChunkSize, fills: fillsOutputChunks) }
        self.inputWriter = inputFD.map { PipeWriter(fd: $0) }
    }

    /// A pipe whose two ends are closed on exec (`Process` hands the child its end through `dup2`,
    /// which clears the flag on the copy).
    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw MySQLError(code: .server, subject: "pipe", message: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    /// Writes `chunk` to the child's standard input, waiting (without blocking a thread of the pool)
    /// while the pipe is full.
    package func feed(_ chunk: [UInt8]) async throws {
        guard let inputWriter else { return }
        try await inputWriter.write(chunk)
    }

    /// Everything the child writes to standard output until it closes it, or `nil` once that passes
    /// `limit` bytes (the child is then stopped).
    package func collectOutput(limit: Int = .max) async throws -> [UInt8]? {
        var collected: [UInt8] = []
        guard let output else { return collected }
        while let chunk = try await output.next() {
            collected += chunk
            if collected.count > limit {
                terminate()
                return nil
            }
        }
        return collected
    }

    /// Closes the child's standard input (end of file for the child).
    package func closeInput() async {
        await inputWriter?.close()
    }

    /// The exit status, once the child ended: its code, or minus the signal that killed it.
    package func waitForExit() async -> Int32 {
        await exit.wait()
    }

    /// The exit status if the child ends within `timeout`; `nil` if it still runs then, or as soon as
    /// the calling task is cancelled. The child is left running: stop it with ``terminate(grace:)``.
    package func waitForExit(timeout: Duration) async -> Int32? {
        await exit.wait(timeout: timeout)
    }

    /// What the child wrote to standard error (at most the capture limit), once it closed it.
    package func errorText() async -> String {
        await errors.text()
    }

    /// The last bytes (at most ``BoundedCapture/tailLimit``) the child wrote to standard error, whatever
    /// the capture limit: once the child closed it, or after `wait` if it is still open (a background
    /// process the child started may hold it).
    package func errorTail(waitingAtMost wait: Duration) async -> String {
        await errors.tail(waitingAtMost: wait)
    }

    /// Waits for every child of a pipeline (`a | b | …`, in that order) and finds the one whose failure is
    /// the cause.
    ///
    /// A child that died of SIGPIPE, or says "Broken pipe", while a child after it failed too, failed only
    /// because that reader went away: it is not the cause. Of the others, the first in pipeline order is
    /// (a writer that failed first leaves its reader with truncated input).
    ///
    /// - Returns: the exit statuses, in the order of `children`, and the index of the cause (`nil` when all
    ///   succeeded).
    package static func waitForPipeline(_ children: [ChildProcess]) async -> (statuses: [Int32], firstFailure: Int?) {
        var statuses: [Int32] = []
        for child in children { statuses.append(await child.waitForExit()) }
        let failures = statuses.indices.filter { statuses[$0] != 0 }
        for index in failures {
            let readerFailed = failures.contains { $0 > index }
            guard readerFailed else { return (statuses, index) }
            let errors = await children[index].errorTail(waitingAtMost: .seconds(2))
            let brokenPipe =
                statuses[index] == -SIGPIPE || errors.contains("Broken pipe") || errors.contains("Errcode: 32")
            if !brokenPipe { return (statuses, index) }
        }
        return (statuses, failures.first)
    }

    /// An exit status as messages show it: `exit status 1`, `killed by signal 13`.
    package static func describe(_ status: Int32) -> String {
        status < 0 ? "killed by signal \(-status)" : "exit status \(status)"
    }

    /// Sends SIGTERM if the child still runs, and stops the pipe threads.
    package func terminate() {
        output?.cancel()
        inputWriter?.cancel()
        if !exit.hasFinished { kill(pid, SIGTERM) }
    }

    /// Stops the child and waits for its end: SIGTERM (as ``terminate()``), then SIGKILL if it still
    /// runs after `grace`. Cancelling the calling task does not shorten the grace period.
    ///
    /// - Returns: the exit status (`-SIGKILL` when it had to be killed).
    @discardableResult
    package func terminate(grace: Duration) async -> Int32 {
        terminate()
        // An unstructured task does not inherit the caller's cancellation.
        let exit = self.exit
        if let status = await Task(operation: { await exit.wait(timeout: grace) }).value { return status }
        if !exit.hasFinished { kill(pid, SIGKILL) }
        return await exit.wait()
    }
}

/// The exit status of a child, awaited by any number of tasks.
package final class ExitStatus: Sendable {
    private let completion = Completion<Int32>()

    package init() {}

    package func finish(_ status: Int32) { completion.finish(status) }

    /// Whether the child ended (and was reaped).
    package var hasFinished: Bool { completion.value != nil }

    package func wait() async -> Int32 { await completion.wait() }

    /// The status if it arrives within `timeout`; `nil` otherwise, or once the calling task is cancelled.
    package func wait(timeout: Duration) async -> Int32? { await completion.wait(timeout: timeout) }
}

/// A value set once and awaited by any number of tasks, with or without a time limit.
package final class Completion<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
        /// Waiters that give up on cancellation, by number.
        var cancellableWaiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    package init() {}

    /// The value, if it was set.
    package var value: Value? { state.withLock { $0.value } }

    /// Sets the value (the first call wins) and wakes every waiter.
    package func finish(_ value: Value) {
        let (waiters, cancellableWaiters) = state.withLock { state in
            guard state.value == nil else { return ([CheckedContinuation<Value, Never>](), [CheckedContinuation<Value?, Never>]()) }
            state.value = value
            defer {
                state.waiters = []
                state.cancellableWaiters = [:]
            }
            return (state.waiters, Array(state.cancellableWaiters.values))
        }
        for waiter in waiters { waiter.resume(returning: value) }
        for waiter in cancellableWaiters { waiter.resume(returning: value) }
    }

    /// The value, once it is set.
    package func wait() async -> Value {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Value? in
                if let value = state.value { return value }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The value if it is set within `timeout`; `nil` otherwise, or once the calling task is cancelled.
    package func wait(timeout: Duration) async -> Value? {
        let result = await withTaskGroup(of: Value?.self) { group in
            group.addTask { await self.waitUnlessCancelled() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        return result ?? value
    }

    /// The value once it is set, or `nil` once the calling task is cancelled.
    private func waitUnlessCancelled() async -> Value? {
        let number = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
                let ready = state.withLock { state -> Value?? in
                    if let value = state.value { return .some(value) }
                    if Task.isCancelled { return .some(nil) }
                    state.cancellableWaiters[number] = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.cancellableWaiters.removeValue(forKey: number) }
            waiter?.resume(returning: nil)
        }
    }
}

/// Reads a pipe on a dedicated thread into a small bounded queue that an async consumer drains:
/// back-pressure reaches the child through the full pipe.
package final class PipeReader: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var finished = false
    private var failure: Int32?
    private var cancelled = false
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?
    private let capacity = 4

    /// Starts reading `fd` on a thread of its own. With `fills`, each chunk is read until it holds
    /// `chunkSize` bytes or the pipe ends (for bulk output); without, each chunk is what one read
    /// returns (for a dialogue, where the answer to a statement must arrive without waiting for more).
    package init(fd: Int32, chunkSize: Int, fills: Bool = true) {
        Thread.detachNewThread { [self] in self.pump(fd: fd, chunkSize: chunkSize, fills: fills) }
    }

    /// Reads until `buffer` is full or the pipe ends: a pipe hands out at most 64 KiB per read, and the
    /// pipeline (compression, hashing, upload) runs much faster on large chunks. Without `fills`,
    /// returns after the first read that gave bytes.
    ///
    /// - Returns: the bytes read, and the `errno` of a failed read (`nil` at end of file or when full).
    private static func fill(_ buffer: inout [UInt8], from fd: Int32, fills: Bool) -> (count: Int, failure: Int32?) {
        var filled = 0
        while filled < buffer.count && (fills || filled == 0) {
            let count = buffer.withUnsafeMutableBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return read(fd, base + filled, bytes.count - filled)
            }
            if count > 0 {
                filled += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return (filled, count < 0 ? errno : nil)
            }
        }
        return (filled, nil)
    }

    private func pump(fd: Int32, chunkSize: Int, fills: Bool) {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var pendingFailure: Int32?
        defer { close(fd) }
        while true {
            condition.lock()
            while chunks.count >= capacity && !cancelled { condition.wait() }
            let stop = cancelled
            condition.unlock()
            if stop { return }
            let count: Int
            let readFailure: Int32?
            if let pending = pendingFailure {
                (count, readFailure) = (0, pending)
            } else {
                (count, readFailure) = Self.fill(&buffer, from: fd, fills: fills)
            }
            condition.lock()
            if count > 0 {
                // A failure after some bytes is reported once those bytes are delivered.
                pendingFailure = readFailure
                let chunk = Array(buffer[0..<count])
                if let waiter {
                    self.waiter = nil
                    condition.unlock()
                    waiter.resume(returning: chunk)
                } else {
                    chunks.append(chunk)
                    condition.unlock()
                }
                continue
            }
            finished = true
            if let readFailure { failure = readFailure }
            let waiter = self.waiter
            self.waiter = nil
            let failure = self.failure
            condition.unlock()
            if let waiter {
                if let failure {
                    waiter.resume(throwing: PipeFailure(errorNumber: failure))
                } else {
                    waiter.resume(returning: nil)
                }
            }
            return
        }
    }

    /// The next chunk, or `nil` at end of file.
    package func next() async throws -> [UInt8]? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            if !chunks.isEmpty {
                let chunk = chunks.removeFirst()
                condition.signal()
                condition.unlock()
                continuation.resume(returning: chunk)
            } else if finished || cancelled {
                let failure = self.failure
                condition.unlock()
                if let failure {
                    continuation.resume(throwing: PipeFailure(errorNumber: failure))
                } else {
                    continuation.resume(returning: nil)
                }
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// Stops reading (the thread ends after its current read returns).
    package func cancel() {
        condition.lock()
        cancelled = true
        let waiter = self.waiter
        self.waiter = nil
        condition.signal()
        condition.unlock()
        waiter?.resume(returning: nil)
    }
}

/// Writes chunks to a pipe on a dedicated thread; the async writer waits while one chunk is pending.
package final class PipeWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [UInt8]?
    private var pendingDone: CheckedContinuation<Void, any Error>?
    private var closing = false
    private var closed: CheckedContinuation<Void, Never>?
    private var failure: Int32?
    private var cancelled = false

    package init(fd: Int32) {
        Thread.detachNewThread { [self] in self.pump(fd: fd) }
    }

    private func pump(fd: Int32) {
        // A child that exits early makes writes fail with EPIPE instead of killing this process.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        while true {
            condition.lock()
            while pending == nil && !closing && !cancelled { condition.wait() }
            if cancelled || (pending == nil && closing) {
                let closed = self.closed
                self.closed = nil
                let done = pendingDone
                pendingDone = nil
                condition.unlock()
                Glibc.close(fd)
                done?.resume(throwing: PipeFailure(errorNumber: EPIPE))
                closed?.resume()
                return
            }
            let chunk = pending ?? []
            condition.unlock()
            let error = Self.writeAll(chunk, to: fd)
            condition.lock()
            pending = nil
            let done = pendingDone
            pendingDone = nil
            if let error { failure = error }
            condition.unlock()
            if let error {
                done?.resume(throwing: PipeFailure(errorNumber: error))
            } else {
                done?.resume()
            }
        }
    }

    /// Writes every byte of `chunk`, returning the error number of a failed write.
    private static func writeAll(_ chunk: [UInt8], to fd: Int32) -> Int32? {
        chunk.withUnsafeBytes { raw -> Int32? in
            guard let base = raw.baseAddress else { return nil }
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, base + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
    }

    /// Hands `chunk` to the writer thread and waits until it was written.
    package func write(_ chunk: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if let failure = self.failure {
                condition.unlock()
                continuation.resume(throwing: PipeFailure(errorNumber: failure))
                return
            }
            if cancelled || closing {
                condition.unlock()
                continuation.resume(throwing: PipeFailure(errorNumber: EPIPE))
                return
            }
            pending = chunk
            pendingDone = continuation
            condition.signal()
            condition.unlock()
        }
    }

    /// Closes the pipe once pending bytes are written.
    package func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if closing || cancelled {
                condition.unlock()
                continuation.resume()
                return
            }
            closing = true
            closed = continuation
            condition.signal()
            condition.unlock()
        }
    }

    package func cancel() {
        condition.lock()
        cancelled = true
        condition.signal()
        condition.unlock()
    }
}

/// Reads a pipe to its end on a dedicated thread, keeping at most `limit` bytes from its start and
/// the last ``tailLimit`` bytes.
package final class BoundedCapture: @unchecked Sendable {
    /// How many of the last bytes ``tail(waitingAtMost:)`` keeps, whatever the limit.
    package static let tailLimit = 4 * 1024
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var lastBytes: [UInt8] = []
    private var done = false
    private var waiters: [CheckedContinuation<String, Never>] = []
    private let closed = Completion<Void>()

    package init(fd: Int32, limit: Int) {
        Thread.detachNewThread { [self] in self.pump(fd: fd, limit: limit) }
    }

    private func pump(fd: Int32, limit: Int) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            condition.lock()
            let room = max(0, limit - bytes.count)
            bytes += buffer[0..<min(count, room)]
            lastBytes += buffer[max(0, count - Self.tailLimit)..<count]
            if lastBytes.count > Self.tailLimit { lastBytes.removeFirst(lastBytes.count - Self.tailLimit) }
            condition.unlock()
        }
        close(fd)
        condition.lock()
        done = true
        let text = String(decoding: bytes, as: UTF8.self)
        let waiters = self.waiters
        self.waiters = []
        condition.unlock()
        for waiter in waiters { waiter.resume(returning: text) }
        closed.finish(())
    }

    /// Everything captured, once the writer closed the pipe.
    package func text() async -> String {
        await withCheckedContinuation { continuation in
            condition.lock()
            if done {
                let text = String(decoding: bytes, as: UTF8.self)
                condition.unlock()
                continuation.resume(returning: text)
            } else {
                waiters.append(continuation)
                condition.unlock()
            }
        }
    }

    /// The last bytes read (at most ``tailLimit``), once the writer closed the pipe or after `wait`.
    package func tail(waitingAtMost wait: Duration) async -> String {
        _ = await closed.wait(timeout: wait)
        return tailSoFar()
    }

    private func tailSoFar() -> String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: lastBytes, as: UTF8.self)
    }
}

/// A read or write on a child's pipe failed.
package struct PipeFailure: Error, CustomStringConvertible {
    package var errorNumber: Int32
    package var description: String { "pipe error: \(String(cString: strerror(errorNumber)))" }
}
