/// The one retry algorithm of the package: exponential backoff with jitter, bounded by a number of attempts
/// and, optionally, by a total time.
///
/// - **Delay.** After failed attempt *n* (1-based) the ceiling is `initialDelay × multiplier^(n − 1)`, at most
///   ``maxDelay``. The delay is that ceiling shrunk by a random fraction:
///   `ceiling × (1 − jitter × random)` with `random` in `0...1`. Jitter therefore only ever *shortens* a delay:
///   it lies in `ceiling × (1 − jitter) ... ceiling`, never above ``maxDelay``. `jitter = 0` gives the exact
///   ceiling; `jitter = 1` is "full jitter" (anywhere between zero and the ceiling).
/// - **Attempts.** At most ``maxAttempts`` calls of the body, the first included; no wait follows the last one.
/// - **Time.** With ``maxTotalTime`` set, the time spent so far is the time spent inside the body (read from
///   the `elapsed` clock) plus the delays waited; a retry whose delay would bring it to ``maxTotalTime`` or
///   beyond is not attempted, and the last error is thrown instead.
/// - **Cancellation.** No retry starts once the task is cancelled (the last error is thrown); a cancelled
///   wait throws what `sleep` throws, `CancellationError` for the default one.
///
/// Types with their own public retry settings (transfers, webhooks, the cluster client) convert themselves to
/// a `Backoff` and delegate to it.
package struct Backoff: Sendable, Hashable {
    /// One retry about to happen, handed to `onRetry`.
    package struct Retry {
        /// The attempt that failed (1 for the first try).
        package var failedAttempt: Int
        /// What the failed attempt threw.
        package var error: any Error
        /// How long the loop waits before the next attempt.
        package var delay: Duration
    }

    /// The most attempts, the first one included (1 means no retry); at least 1.
    package var maxAttempts: Int
    /// The delay ceiling after the first failed attempt.
    package var initialDelay: Duration
    /// How much each ceiling grows over the previous one; at least 1.
    package var multiplier: Double
    /// The largest ceiling: no delay is longer.
    package var maxDelay: Duration
    /// The time budget of all attempts and waits together; `nil` bounds by attempts only.
    package var maxTotalTime: Duration?
    /// The largest fraction (0…1) by which a delay is randomly shortened.
    package var jitter: Double

    /// Creates a backoff; out-of-range values are clamped (attempts to at least 1, multiplier to at least 1,
    /// jitter to `0...1`).
    package init(
        maxAttempts: Int, initialDelay: Duration, multiplier: Double = 2, maxDelay: Duration,
        maxTotalTime: Duration? = nil, jitter: Double = 0
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = max(initialDelay, .zero)
        self.multiplier = multiplier.isNaN ? 1 : max(1, multiplier)
        self.maxDelay = max(maxDelay, .zero)
        self.maxTotalTime = maxTotalTime
        self.jitter = jitter.isNaN ? 0 : min(max(jitter, 0), 1)
    }

    /// The delay ceiling after failed attempt `attempt` (1-based), before jitter:
    /// `initialDelay × multiplier^(attempt − 1)`, at most ``maxDelay``.
    package func ceiling(afterAttempt attempt: Int) -> Duration {
        guard initialDelay > .zero else { return .zero }
        guard initialDelay < maxDelay else { return maxDelay }
        var factor = 1.0
        for _ in 0..<min(max(attempt - 1, 0), 2_048) {
            factor *= multiplier
            // Stop before the product overflows: past the cap, the cap it is.
            if factor >= maxDelay / initialDelay { return maxDelay }
        }
        let scaled =
            factor == factor.rounded() && factor < 0x1p62 ? initialDelay * Int64(factor) : initialDelay * factor
        return min(scaled, maxDelay)
    }

    /// The delay after failed attempt `attempt` (1-based): the ceiling × `(1 − jitter × random)`.
    ///
    /// - Parameters:
    ///   - attempt: The attempt that just failed, from 1.
    ///   - random: A number in `0...1` (clamped); 0 gives the full ceiling.
    /// - Returns: The time to wait before the next attempt, in `ceiling × (1 − jitter) ... ceiling`.
    package func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let ceiling = ceiling(afterAttempt: attempt)
        let fraction = jitter * (random.isNaN ? 0 : min(max(random, 0), 1))
        guard fraction > 0 else { return ceiling }
        return min(max(ceiling * (1 - fraction), .zero), ceiling)
    }

    /// Runs `body` until it succeeds, it throws an error `isRetryable` refuses, the task is cancelled, or the
    /// attempts or the time budget run out; then rethrows the last error.
    ///
    /// - Parameters:
    ///   - sleep: Waits between attempts; tests pass one that returns at once.
    ///   - elapsed: A monotonic clock reading, used to measure the time spent inside `body`; `nil` uses
    ///     `ContinuousClock`.
    ///   - random: The jitter source, a number in `0...1`.
    ///   - isRetryable: Whether an error is worth another attempt.
    ///   - requestedDelay: A wait the failure asks for (an HTTP `Retry-After`); the delay is raised to it,
    ///     still at most ``maxDelay``.
    ///   - onRetry: Called before each wait (logs, metrics, tests).
    ///   - body: One attempt, given its number (1 for the first).
    /// - Returns: The body's result.
    package func run<T>(
        sleep: (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        elapsed: (() -> Duration)? = nil,
        random: () -> Double = { Double.random(in: 0...1) },
        isRetryable: (any Error) -> Bool,
        requestedDelay: (any Error) -> Duration? = { _ in nil },
        onRetry: (Retry) -> Void = { _ in },
        _ body: (Int) async throws -> T
    ) async throws -> T {
        let clock = ContinuousClock()
        let origin = clock.now
        let now = elapsed ?? { origin.duration(to: clock.now) }
        var spent = Duration.zero
        var attempt = 1
        while true {
            let started = now()
            do {
                return try await body(attempt)
            } catch {
                spent += now() - started
                guard attempt < maxAttempts, !Task.isCancelled, isRetryable(error) else { throw error }
                var wait = delay(afterAttempt: attempt, random: random())
                if let requested = requestedDelay(error) { wait = min(max(wait, requested), maxDelay) }
                if let maxTotalTime, spent + wait >= maxTotalTime { throw error }
                onRetry(Retry(failedAttempt: attempt, error: error, delay: wait))
                try await sleep(wait)
                spent += wait
                attempt += 1
            }
        }
    }
}
