import ArtifactFormat
import BackupModels
import BackupSources
import BackupSupport
import RemoteStorage

/// How a ``WebhookNotifier`` retries: exponential backoff with jitter, bounded in attempts and in total time.
///
/// The delay before attempt *n + 1* is `initialDelay × multiplier^(n − 1)`, capped at `maxDelay`, then
/// scaled by a random factor in `1 − jitter … 1 + jitter`.
public struct RetryPolicy: Sendable, Hashable {
    /// The most attempts, the first one included (1 means no retry).
    public var maxAttempts: Int
    /// The delay before the second attempt.
    public var initialDelay: Duration
    /// How much each delay grows over the previous one.
    public var multiplier: Double
    /// The longest single delay.
    public var maxDelay: Duration
    /// The most time spent on one event, attempts and delays together; no attempt starts after it.
    public var maxTotalTime: Duration
    /// The fraction (0…1) by which a delay may randomly shrink or grow, so many hosts don't retry in step.
    public var jitter: Double

    /// Creates a policy.
    /// - Parameters:
    ///   - maxAttempts: The most attempts, the first included.
    ///   - initialDelay: The delay before the second attempt.
    ///   - multiplier: The growth of each delay over the previous one.
    ///   - maxDelay: The longest single delay.
    ///   - maxTotalTime: The time budget for one event.
    ///   - jitter: The random fraction (0…1) applied to each delay.
    public init(
        maxAttempts: Int = 5, initialDelay: Duration = .milliseconds(500), multiplier: Double = 2,
        maxDelay: Duration = .seconds(30), maxTotalTime: Duration = .seconds(120), jitter: Double = 0.2
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = max(1, multiplier)
        self.maxDelay = maxDelay
        self.maxTotalTime = maxTotalTime
        self.jitter = min(max(jitter, 0), 1)
    }

    /// Five attempts, 0.5 s doubling to at most 30 s, 20 % jitter, two minutes in all.
    public static let `default` = RetryPolicy()

    /// A single attempt.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The policy as the package's one retry algorithm.
    ///
    /// `Backoff` jitter only shortens a delay (`ceiling × (1 − j × r)`), while this policy spreads it both ways
    /// (`capped × (1 ± jitter)`). Scaling the ceilings by `1 + jitter` and using `j = 2 × jitter / (1 + jitter)`
    /// gives exactly that band: `capped × (1 + jitter) × (1 − j × r) = capped × (1 + jitter − 2 × jitter × r)`.
    var backoff: Backoff {
        guard jitter > 0 else {
            return Backoff(
                maxAttempts: maxAttempts, initialDelay: initialDelay, multiplier: multiplier, maxDelay: maxDelay,
                maxTotalTime: maxTotalTime)
        }
        return Backoff(
            maxAttempts: maxAttempts, initialDelay: initialDelay * (1 + jitter), multiplier: multiplier,
            maxDelay: maxDelay * (1 + jitter), maxTotalTime: maxTotalTime, jitter: 2 * jitter / (1 + jitter))
    }

    /// The delay after the given failed attempt.
    /// - Parameters:
    ///   - attempt: The attempt that just failed, from 1.
    ///   - generator: The source of jitter.
    /// - Returns: The time to wait before the next attempt.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        guard jitter > 0 else { return backoff.delay(afterAttempt: attempt, random: 0) }
        return backoff.delay(afterAttempt: attempt, random: Double.random(in: 0...1, using: &generator))
    }
}
