import BackupSupport

/// How a transfer retries a failed step: exponential backoff with full jitter, a bounded number of
/// attempts and a bounded total time.
///
/// The delay before retry *n* (1-based) is a random duration in `0...min(maximumDelay, initialDelay × 2ⁿ⁻¹)`
/// ("full jitter"), so many clients that failed together do not come back together. A retry is not
/// attempted when its delay would end after ``totalTimeLimit`` measured from the first attempt (the time
/// spent in attempts plus the delays waited). The algorithm is the package's one shared backoff.
///
/// Time and randomness are injected: tests pass a `sleep` that returns at once and a fixed `random`.
public struct TransferRetry: Sendable {
    /// One retry about to happen, handed to ``observer``.
    public struct Event: Sendable {
        /// The attempt that failed (1 for the first try).
        public var failedAttempt: Int
        /// What the failed attempt threw.
        public var error: any Error
        /// How long the transfer waits before the next attempt.
        public var delay: Duration
    }

    /// The most attempts of one step, the first included (1 disables retries).
    public var maximumAttempts: Int
    /// The backoff ceiling of the first retry.
    public var initialDelay: Duration
    /// The largest backoff ceiling.
    public var maximumDelay: Duration
    /// The most time one step may take across all its attempts and waits.
    public var totalTimeLimit: Duration
    /// Suspends for a duration; throws `CancellationError` when the task is cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void
    /// The time elapsed since a fixed origin, which measures the attempts; it must never go backwards.
    public var elapsed: @Sendable () -> Duration
    /// A random number in `0...1` (the jitter factor).
    public var random: @Sendable () -> Double
    /// Called before each retry (metrics, tests); never given secrets.
    public var observer: (@Sendable (Event) -> Void)?

    /// Creates a retry policy.
    ///
    /// - Parameters:
    ///   - maximumAttempts: The most attempts of one step, the first included; at least 1.
    ///   - initialDelay: The backoff ceiling of the first retry.
    ///   - maximumDelay: The largest backoff ceiling.
    ///   - totalTimeLimit: The most time one step may take across attempts.
    ///   - clock: The clock that measures and sleeps.
    ///   - random: The jitter source, a number in `0...1`.
    ///   - observer: Called before each retry.
    public init(
        maximumAttempts: Int = 8,
        initialDelay: Duration = .milliseconds(200),
        maximumDelay: Duration = .seconds(20),
        totalTimeLimit: Duration = .seconds(300),
        clock: some Clock<Duration> = ContinuousClock(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        observer: (@Sendable (Event) -> Void)? = nil
    ) {
        let start = clock.now
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.totalTimeLimit = totalTimeLimit
        self.sleep = { try await clock.sleep(for: $0) }
        self.elapsed = { start.duration(to: clock.now) }
        self.random = random
        self.observer = observer
    }

    /// A policy that never retries.
    public static var never: TransferRetry { TransferRetry(maximumAttempts: 1) }

    /// The policy as the package's one retry algorithm: doubling ceilings and full jitter (`jitter = 1`).
    var backoff: Backoff {
        Backoff(
            maxAttempts: maximumAttempts, initialDelay: initialDelay, multiplier: 2, maxDelay: maximumDelay,
            maxTotalTime: totalTimeLimit, jitter: 1)
    }

    /// Runs `operation` until it succeeds, it throws an error `isRetryable` refuses, the task is
    /// cancelled, or the attempts or the time run out; then rethrows the last error.
    ///
    /// - Parameters:
    ///   - isRetryable: Whether an error is worth another attempt (a 503, a reset connection).
    ///   - operation: The step, given its attempt number (1 for the first try).
    /// - Returns: The operation's result.
    func run<T: Sendable>(
        isRetryable: (any Error) -> Bool,
        _ operation: (Int) async throws -> T
    ) async throws -> T {
        // Full jitter draws the delay as `ceiling × random`; `Backoff` shortens by `jitter × r`, so r = 1 − random.
        try await backoff.run(
            sleep: sleep, elapsed: elapsed, random: { 1 - min(max(random(), 0), 1) }, isRetryable: isRetryable,
            onRetry: { retry in observer?(Event(failedAttempt: retry.failedAttempt, error: retry.error, delay: retry.delay)) },
            operation)
    }
}
