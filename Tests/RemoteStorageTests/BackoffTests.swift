import BackupSupport
import Testing

@Suite("Backoff: the shared retry algorithm")
struct BackoffTests {
    private struct Transient: Error {}
    private struct Permanent: Error {}

    /// Sleeps recorded instead of waited; the fake clock advances only by what the body spends.
    private final class Recorder: Sendable {
        let sleeps = Shared<[Duration]>([])
        let calls = Shared(0)
        let clock = Shared(Duration.zero)

        func sleep(_ duration: Duration) { sleeps.withLock { $0.append(duration) } }
        func call() -> Int {
            calls.withLock {
                $0 += 1; return $0
            }
        }
    }

    private let exact = Backoff(
        maxAttempts: 6, initialDelay: .milliseconds(100), multiplier: 2, maxDelay: .seconds(1), jitter: 0)

    @Test("delays grow by the multiplier and are capped")
    func delaysGrowAndAreCapped() {
        #expect(
            (1...6).map { exact.delay(afterAttempt: $0, random: 0.7) } == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1),
            ])
        var tripled = exact
        tripled.multiplier = 3
        #expect((1...3).map { tripled.delay(afterAttempt: $0, random: 0) } == [.milliseconds(100), .milliseconds(300), .milliseconds(900)])
        // Huge attempt numbers and multipliers neither overflow nor pass the cap.
        #expect(exact.delay(afterAttempt: 10_000, random: 0) == .seconds(1))
        tripled.multiplier = 1e300
        #expect(tripled.delay(afterAttempt: 5, random: 0) == .seconds(1))
    }

    @Test("jitter only shortens a delay, within its fraction", arguments: [0.0, 0.25, 0.5, 1.0])
    func jitterStaysWithinBounds(jitter: Double) {
        var backoff = exact
        backoff.jitter = jitter
        for attempt in 1...6 {
            let ceiling = exact.delay(afterAttempt: attempt, random: 0)
            #expect(backoff.delay(afterAttempt: attempt, random: 0) == ceiling)
            #expect(backoff.delay(afterAttempt: attempt, random: 1) == ceiling * (1 - jitter))
            for _ in 0..<50 {
                let delay = backoff.delay(afterAttempt: attempt, random: Double.random(in: 0...1))
                #expect(delay <= ceiling && delay >= ceiling * (1 - jitter))
            }
        }
        // Out-of-range randomness is clamped.
        #expect(backoff.delay(afterAttempt: 1, random: -3) == .milliseconds(100))
        #expect(backoff.delay(afterAttempt: 1, random: 7) == .milliseconds(100) * (1 - jitter))
    }

    @Test("settings out of range are clamped")
    func clamping() {
        let backoff = Backoff(maxAttempts: 0, initialDelay: .seconds(1), multiplier: 0.5, maxDelay: .seconds(5), jitter: 4)
        #expect(backoff.maxAttempts == 1)
        #expect(backoff.multiplier == 1)
        #expect(backoff.jitter == 1)
    }

    @Test("retries until success, waiting the growing delays in between")
    func retriesUntilSuccess() async throws {
        let recorder = Recorder()
        let retries = Shared<[Int]>([])
        let result = try await exact.run(
            sleep: { recorder.sleep($0) }, isRetryable: { $0 is Transient },
            onRetry: { retry in retries.withLock { $0.append(retry.failedAttempt) } }
        ) { attempt in
            _ = recorder.call()
            if attempt < 4 { throw Transient() }
            return attempt
        }
        #expect(result == 4)
        #expect(recorder.calls.value == 4)
        #expect(recorder.sleeps.value == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(retries.value == [1, 2, 3])
    }

    @Test("the attempt budget stops the loop without sleeping after the last attempt")
    func attemptBudget() async {
        let recorder = Recorder()
        var backoff = exact
        backoff.maxAttempts = 3
        await #expect(throws: Transient.self) {
            try await backoff.run(sleep: { recorder.sleep($0) }, isRetryable: { _ in true }) { _ -> Int in
                _ = recorder.call()
                throw Transient()
            }
        }
        #expect(recorder.calls.value == 3)
        #expect(recorder.sleeps.value.count == 2)
    }

    @Test("the time budget counts the time in attempts plus the waits and stops before passing it")
    func timeBudget() async {
        let recorder = Recorder()
        var backoff = exact
        backoff.maxAttempts = 50
        backoff.maxTotalTime = .milliseconds(1_000)
        await #expect(throws: Transient.self) {
            try await backoff.run(
                sleep: { recorder.sleep($0) }, elapsed: { recorder.clock.value }, isRetryable: { _ in true }
            ) { _ -> Int in
                _ = recorder.call()
                // Each attempt takes 50 ms on the fake clock.
                recorder.clock.withLock { $0 += .milliseconds(50) }
                throw Transient()
            }
        }
        // Attempts of 50 ms and waits of 100, 200 and 400 ms reach 850 ms; the fourth attempt ends at 900 ms,
        // and its 800 ms wait would pass the 1 s budget: four attempts, three waits.
        #expect(recorder.calls.value == 4)
        #expect(recorder.sleeps.value == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
    }

    @Test("an error the caller does not retry stops at once")
    func nonRetryableStops() async {
        let recorder = Recorder()
        await #expect(throws: Permanent.self) {
            try await exact.run(sleep: { recorder.sleep($0) }, isRetryable: { $0 is Transient }) { _ -> Int in
                _ = recorder.call()
                throw Permanent()
            }
        }
        #expect(recorder.calls.value == 1)
        #expect(recorder.sleeps.value.isEmpty)
    }

    @Test("a requested delay raises the wait, still capped")
    func requestedDelay() async throws {
        let recorder = Recorder()
        _ = try await exact.run(
            sleep: { recorder.sleep($0) }, isRetryable: { _ in true },
            requestedDelay: { _ in recorder.calls.value == 1 ? .milliseconds(700) : .seconds(60) }
        ) { attempt in
            if recorder.call() < 3 { throw Transient() }
            return attempt
        }
        #expect(recorder.sleeps.value == [.milliseconds(700), .seconds(1)])
    }

    @Test("a cancelled task starts no further attempt")
    func cancellationStops() async throws {
        let recorder = Recorder()
        let backoff = exact
        let task = Task {
            try await backoff.run(sleep: { recorder.sleep($0) }, isRetryable: { _ in true }) { _ -> Int in
                _ = recorder.call()
                withUnsafeCurrentTask { $0?.cancel() }
                throw Transient()
            }
        }
        await #expect(throws: Transient.self) { try await task.value }
        #expect(recorder.calls.value == 1)
        #expect(recorder.sleeps.value.isEmpty)
    }

    @Test("a cancelled wait ends the loop with the sleep's error")
    func cancelledSleepStops() async throws {
        let calls = Shared(0)
        let sleeping = Shared(false)
        let task = Task {
            try await Backoff(maxAttempts: 5, initialDelay: .seconds(60), maxDelay: .seconds(60)).run(
                sleep: { duration in
                    sleeping.withLock { $0 = true }
                    try await Task.sleep(for: duration)
                },
                isRetryable: { _ in true }
            ) { _ -> Int in
                calls.withLock { $0 += 1 }
                throw Transient()
            }
        }
        while !sleeping.value { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(calls.value == 1)
    }
}
