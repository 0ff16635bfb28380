import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process (`mariadb-dump`, `mariadb`, `mariadb-binlog`) whose pipes are served by dedicated
/// threads and whose exit is awaited through its termination handler, so no cooperative thread ever
/// blocks on it.
final class ChildProcess: Sendable {
    /// Where the child's standard input comes from.
    enum Input {
        /// `/dev/null`.
        case none
        /// A pipe fed through ``feed(_:)``.
        case pipe
        /// The standard output of a process launched after this one (`a | b`: launch `b` first).
        case pipeline(Pipe)
    }

    /// Where the child's standard output goes.
    enum Output {
        /// Read through ``output``.
        case pipe
        /// Into a pipe another child reads.
        case pipeline(Pipe)
        /// `/dev/null`.
        case discard
    }

    /// The executable's file name, for messages.
    let name: String
    /// The standard output, when it is ``Output/pipe``.
    let output: PipeReader?
    private let process: Process
    private let inputWriter: PipeWriter?
    private let errors: BoundedCapture
    private let exit: ExitStatus

    /// Starts `executable` with `arguments` and `environment` (nothing else is inherited).
    init(
        executable: String, arguments: [String], environment: [String: String], input: Input = .none,
        output: Output = .pipe, errorLimit: Int = 64 * 1024, outputChunkSize: Int = 1 << 20
    ) throws {
        name = (executable as NSString).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let exit = ExitStatus()
        process.terminationHandler = { finished in
            let status = finished.terminationReason == .uncaughtSignal ? -finished.terminationStatus : finished.terminationStatus
            exit.finish(status)
        }

        var inputPipe: Pipe? = nil
        switch input {
        case .none: process.standardInput = FileHandle.nullDevice
        case .pipe:
            let pipe = Pipe()
            inputPipe = pipe
            process.standardInput = pipe
        case .pipeline(let pipe): process.standardInput = pipe
        }
        var outputPipe: Pipe? = nil
        switch output {
        case .pipe:
            let pipe = Pipe()
            outputPipe = pipe
            process.standardOutput = pipe
        case .pipeline(let pipe): process.standardOutput = pipe
        case .discard: process.standardOutput = FileHandle.nullDevice
        }
        let errorPipe = Pipe()
        process.standardError = errorPipe

        try process.run()
        self.process = process
        self.exit = exit
        // Duplicate the parent's ends so they stay valid whatever Foundation does with the Pipe objects.
        self.errors = BoundedCapture(fd: dup(errorPipe.fileHandleForReading.fileDescriptor), limit: errorLimit)
        self.output = outputPipe.map { PipeReader(fd: dup($0.fileHandleForReading.fileDescriptor), chunkSize: outputChunkSize) }
        self.inputWriter = inputPipe.map { PipeWriter(fd: dup($0.fileHandleForWriting.fileDescriptor)) }
        try? errorPipe.fileHandleForReading.close()
        try? outputPipe?.fileHandleForReading.close()
        try? inputPipe?.fileHandleForWriting.close()
    }

    /// Writes `chunk` to the child's standard input, waiting (without blocking a thread of the pool)
    /// while the pipe is full.
    func feed(_ chunk: [UInt8]) async throws {
        guard let inputWriter else { return }
        try await inputWriter.write(chunk)
    }

    /// Closes the child's standard input (end of file for the child).
    func closeInput() async {
        await inputWriter?.close()
    }

    /// The exit status, once the child ended: its code, or minus the signal that killed it.
    func waitForExit() async -> Int32 {
        await exit.wait()
    }

    /// What the child wrote to standard error (at most the capture limit), once it closed it.
    func errorText() async -> String {
        await errors.text()
    }

    /// Sends SIGTERM if the child still runs, and stops the pipe threads.
    func terminate() {
        output?.cancel()
        inputWriter?.cancel()
        if process.isRunning { process.terminate() }
    }
}

/// The exit status of a child, awaited by any number of tasks.
final class ExitStatus: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }
    private let state = Mutex(State())

    func finish(_ status: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            state.status = status
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Reads a pipe on a dedicated thread into a small bounded queue that an async consumer drains:
/// back-pressure reaches the child through the full pipe.
final class PipeReader: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [[UInt8]] = []
    private var finished = false
    private var failure: Int32?
    private var cancelled = false
    private var waiter: CheckedContinuation<[UInt8]?, any Error>?
    private let capacity = 4

    init(fd: Int32, chunkSize: Int) {
        Thread.detachNewThread { [self] in self.pump(fd: fd, chunkSize: chunkSize) }
    }

    /// Reads until `buffer` is full or the pipe ends: a pipe hands out at most 64 KiB per read, and the
    /// pipeline (compression, hashing, upload) runs much faster on large chunks.
    ///
    /// - Returns: the bytes read, and the `errno` of a failed read (`nil` at end of file or when full).
    private static func fill(_ buffer: inout [UInt8], from fd: Int32) -> (count: Int, failure: Int32?) {
        var filled = 0
        while filled < buffer.count {
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

    private func pump(fd: Int32, chunkSize: Int) {
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
                (count, readFailure) = Self.fill(&buffer, from: fd)
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
    func next() async throws -> [UInt8]? {
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
    func cancel() {
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
final class PipeWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [UInt8]?
    private var pendingDone: CheckedContinuation<Void, any Error>?
    private var closing = false
    private var closed: CheckedContinuation<Void, Never>?
    private var failure: Int32?
    private var cancelled = false

    init(fd: Int32) {
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
    func write(_ chunk: [UInt8]) async throws {
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
    func close() async {
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

    func cancel() {
        condition.lock()
        cancelled = true
        condition.signal()
        condition.unlock()
    }
}

/// Reads a pipe to its end on a dedicated thread, keeping at most `limit` bytes.
final class BoundedCapture: @unchecked Sendable {
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var done = false
    private var waiters: [CheckedContinuation<String, Never>] = []

    init(fd: Int32, limit: Int) {
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
    }

    /// Everything captured, once the writer closed the pipe.
    func text() async -> String {
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
}

/// A read or write on a child's pipe failed.
struct PipeFailure: Error, CustomStringConvertible {
    var errorNumber: Int32
    var description: String { "pipe error: \(String(cString: strerror(errorNumber)))" }
}
