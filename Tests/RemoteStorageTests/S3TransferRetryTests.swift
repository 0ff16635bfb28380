import BackupSupport
import Testing

@testable import RemoteStorage

struct S3TransferRetryTests {
    /// A policy whose sleeps are recorded and advance a fake clock instead of waiting.
    private func policy(
        attempts: Int = 5, limit: Duration = .seconds(300), jitter: Double = 1, sleeps: Shared<[Duration]>
    ) -> TransferRetry {
        var retry = TransferRetry(
            maximumAttempts: attempts, initialDelay: .milliseconds(100), maximumDelay: .seconds(1), totalTimeLimit: limit,
            random: { jitter })
        retry.sleep = { duration in sleeps.withLock { $0.append(duration) } }
        retry.elapsed = { sleeps.withLock { $0.reduce(.zero, +) } }
        return retry
    }

    @Test func retriesTransientErrorsWithExponentialCeilings() async throws {
        let sleeps = Shared<[Duration]>([])
        let calls = EventCounter()
        let result = try await policy(sleeps: sleeps).run(isRetryable: { _ in true }) { attempt in
            calls.increment()
            if attempt < 5 { throw S3ServiceError(status: 503, code: "SlowDown") }
            return attempt
        }
        #expect(result == 5)
        #expect(calls.value == 5)
        #expect(sleeps.withLock { $0 } == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
    }

    @Test func fullJitterScalesTheDelayAndCapsIt() async throws {
        let sleeps = Shared<[Duration]>([])
        let retry = policy(attempts: 8, jitter: 0.5, sleeps: sleeps)
        _ = try await retry.run(isRetryable: { _ in true }) { attempt in
            if attempt < 7 { throw S3ServiceError(status: 503) }
            return attempt
        }
        #expect(
            sleeps.withLock { $0 } == [
                .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(500),
                .milliseconds(500),
            ])
    }

    @Test func stopsAtTheAttemptLimitWithTheLastError() async {
        let sleeps = Shared<[Duration]>([])
        let calls = EventCounter()
        await #expect(throws: S3ServiceError.self) {
            try await policy(attempts: 3, sleeps: sleeps).run(isRetryable: { _ in true }) { _ -> Int in
                calls.increment()
                throw S3ServiceError(status: 500, code: "InternalError")
            }
        }
        #expect(calls.value == 3)
    }

    @Test func stopsWhenTheNextWaitWouldPassTheTimeLimit() async {
        let sleeps = Shared<[Duration]>([])
        let calls = EventCounter()
        await #expect(throws: S3ServiceError.self) {
            try await policy(attempts: 50, limit: .milliseconds(350), sleeps: sleeps).run(isRetryable: { _ in true }) {
                _ -> Int in
                calls.increment()
                throw S3ServiceError(transport: "connection reset")
            }
        }
        #expect(calls.value == 3)
        #expect(sleeps.withLock { $0.reduce(.zero, +) } <= .milliseconds(350))
    }

    @Test func doesNotRetryPermanentErrors() async {
        let sleeps = Shared<[Duration]>([])
        let calls = EventCounter()
        await #expect(throws: S3ServiceError.self) {
            try await policy(sleeps: sleeps).run(isRetryable: S3Storage.isRetryable) { _ -> Int in
                calls.increment()
                throw S3ServiceError(status: 403, code: "AccessDenied")
            }
        }
        #expect(calls.value == 1)
        #expect(sleeps.withLock { $0.isEmpty })
    }

    @Test func observerSeesEveryRetry() async throws {
        let sleeps = Shared<[Duration]>([])
        let seen = Shared<[Int]>([])
        var retry = policy(sleeps: sleeps)
        retry.observer = { event in seen.withLock { $0.append(event.failedAttempt) } }
        _ = try await retry.run(isRetryable: { _ in true }) { attempt in
            if attempt < 3 { throw S3ServiceError(status: 429) }
            return attempt
        }
        #expect(seen.withLock { $0 } == [1, 2])
    }
}
