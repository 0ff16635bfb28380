/// A token bucket that caps the average rate of a transfer, shared by every stream that should count
/// against the same limit (all parts of a multipart upload, all uploads of one run).
///
/// The bucket holds at most one second's worth of bytes, so a transfer never bursts above
/// ``bytesPerSecond`` for longer than a second. A caller asking for more bytes than the bucket holds
/// (a 1 MiB chunk at 100 KB/s) takes them on credit and waits until the debt is paid back; callers
/// after it wait their turn behind that debt, so the long-run rate stays at ``bytesPerSecond`` however
/// the chunks are sized or interleaved.
///
/// Time is injected: the limiter reads the elapsed time and sleeps through the functions given at
/// initialisation, so tests run without waiting.
public actor BandwidthLimiter {
    /// The average rate allowed, in bytes per second (at least 1).
    public nonisolated let bytesPerSecond: Int64

    private let elapsed: @Sendable () -> Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    /// Bytes available now; negative while a large request is being paid back.
    private var tokens: Double
    /// When ``tokens`` was last brought up to date, as read from ``elapsed``.
    private var updatedAt: Duration

    /// Creates a limiter that measures and waits with `clock`.
    ///
    /// - Parameters:
    ///   - bytesPerSecond: the average rate allowed; values below 1 are raised to 1.
    ///   - clock: the clock that measures time and sleeps; the continuous clock by default.
    public init(bytesPerSecond: Int64, clock: some Clock<Duration> = ContinuousClock()) {
        let start = clock.now
        self.init(
            bytesPerSecond: bytesPerSecond,
            elapsed: { start.duration(to: clock.now) },
            sleep: { duration in try await clock.sleep(for: duration) })
    }

    /// Creates a limiter with injected time functions.
    ///
    /// - Parameters:
    ///   - bytesPerSecond: the average rate allowed; values below 1 are raised to 1.
    ///   - elapsed: the time elapsed since any fixed origin; it must never go backwards.
    ///   - sleep: suspends the caller for the given duration and throws `CancellationError` if the task
    ///     is cancelled meanwhile.
    public init(
        bytesPerSecond: Int64,
        elapsed: @escaping @Sendable () -> Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        let rate = max(1, bytesPerSecond)
        self.bytesPerSecond = rate
        self.elapsed = elapsed
        self.sleep = sleep
        self.tokens = Double(rate)
        self.updatedAt = elapsed()
    }

    /// Waits until `bytes` may be sent without exceeding the rate, then returns.
    ///
    /// - Parameter bytes: how many bytes the caller is about to send; zero or negative returns at once.
    /// - Throws: `CancellationError` if the task is cancelled before or while waiting; the bytes are then
    ///   given back to the bucket.
    public func acquire(_ bytes: Int) async throws {
        try Task.checkCancellation()
        guard bytes > 0 else { return }
        refill()
        tokens -= Double(bytes)
        guard tokens < 0 else { return }
        let wait = -tokens / Double(bytesPerSecond)
        do {
            try await sleep(.nanoseconds(Int64((wait * 1e9).rounded(.up))))
            try Task.checkCancellation()
        } catch {
            refill()
            tokens = min(Double(bytesPerSecond), tokens + Double(bytes))
            throw error
        }
    }

    /// Adds the tokens earned since the last update, up to one second's worth.
    private func refill() {
        let now = elapsed()
        let earned = Self.seconds(now - updatedAt) * Double(bytesPerSecond)
        updatedAt = now
        if earned > 0 { tokens = min(Double(bytesPerSecond), tokens + earned) }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}

extension ByteStream {
    /// The same bytes, handed out no faster than `limiter` allows; `nil` returns the stream unchanged.
    ///
    /// Each chunk is read from this stream first and then waits for its bytes in the bucket, so the
    /// producer is paced by the consumer as usual and the limiter only adds the pauses.
    ///
    /// - Parameter limiter: the shared limit, or `nil` for none.
    /// - Returns: the throttled stream.
    public func throttled(by limiter: BandwidthLimiter?) -> ByteStream {
        guard let limiter else { return self }
        let upstream = self
        return ByteStream {
            let source = ThrottledSource(upstream: upstream.makeAsyncIterator(), limiter: limiter)
            return { try await source.next() }
        }
    }
}

/// The iterator behind a throttled stream. Iteration is sequential (one consumer), which is what makes
/// the unchecked conformance sound.
private final class ThrottledSource: @unchecked Sendable {
    private var upstream: ByteStream.AsyncIterator
    private let limiter: BandwidthLimiter

    init(upstream: ByteStream.AsyncIterator, limiter: BandwidthLimiter) {
        self.upstream = upstream
        self.limiter = limiter
    }

    func next() async throws -> [UInt8]? {
        guard let chunk = try await upstream.next() else { return nil }
        try await limiter.acquire(chunk.count)
        return chunk
    }
}
