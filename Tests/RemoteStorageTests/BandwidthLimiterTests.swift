import Synchronization
import Testing

@testable import RemoteStorage

/// A manual clock: `sleep` moves time forward by the requested duration and records it, so a test
/// sees exactly how long the limiter would have waited without waiting.
private final class ManualTime: Sendable {
    private let state = Mutex<(now: Duration, slept: Duration, sleeps: Int)>((.zero, .zero, 0))

    var now: Duration { state.withLock { $0.now } }
    var totalSlept: Duration { state.withLock { $0.slept } }
    var sleepCount: Int { state.withLock { $0.sleeps } }

    /// Moves time forward without a sleep (the caller was busy or idle).
    func advance(by duration: Duration) { state.withLock { $0.now += duration } }

    func sleep(_ duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.now += duration
            $0.slept += duration
            $0.sleeps += 1
        }
    }

    func limiter(bytesPerSecond: Int64) -> BandwidthLimiter {
        BandwidthLimiter(
            bytesPerSecond: bytesPerSecond, elapsed: { self.now }, sleep: { try await self.sleep($0) })
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

@Suite("BandwidthLimiter: token bucket pacing")
struct BandwidthLimiterTests {
    @Test(
        "N bytes at R bytes/s wait N/R seconds, less at most the one-second burst",
        arguments: [(10 << 20, Int64(1 << 20), 64 << 10), (3_000_000, Int64(250_000), 1 << 20), (500_000, Int64(100_000), 7_919)])
    func totalWait(total: Int, rate: Int64, chunk: Int) async throws {
        let time = ManualTime()
        let stream = ByteStream(bytes: sampleBytes(count: total), chunkSize: chunk).throttled(by: time.limiter(bytesPerSecond: rate))
        let received = try await stream.collect(upTo: total)
        #expect(received == sampleBytes(count: total))
        let ideal = Double(total) / Double(rate)
        let waited = seconds(time.totalSlept)
        #expect(waited >= ideal - 1.0 - 1e-6)
        #expect(waited <= ideal + 1e-3)
    }

    @Test("a chunk larger than the bucket is taken on credit and paid back by waiting")
    func largeChunk() async throws {
        let time = ManualTime()
        let limiter = time.limiter(bytesPerSecond: 1000)
        try await limiter.acquire(5000)
        // One second's worth was in the bucket; the other four are waited for.
        #expect(abs(seconds(time.totalSlept) - 4.0) < 1e-6)
        // The next caller waits behind nothing: the debt was paid exactly.
        try await limiter.acquire(1000)
        #expect(abs(seconds(time.totalSlept) - 5.0) < 1e-6)
    }

    @Test("idle time refills the bucket only up to one second's worth")
    func burstIsCapped() async throws {
        let time = ManualTime()
        let limiter = time.limiter(bytesPerSecond: 1000)
        try await limiter.acquire(1000)
        #expect(time.sleepCount == 0)
        time.advance(by: .seconds(60))
        try await limiter.acquire(3000)
        #expect(abs(seconds(time.totalSlept) - 2.0) < 1e-6)
    }

    @Test("requests within the burst do not wait at all")
    func withinBurst() async throws {
        let time = ManualTime()
        let limiter = time.limiter(bytesPerSecond: 10_000)
        for _ in 0..<10 { try await limiter.acquire(1000) }
        try await limiter.acquire(0)
        #expect(time.sleepCount == 0)
    }

    @Test("a cancelled acquire throws CancellationError and gives its bytes back")
    func cancellation() async throws {
        let time = ManualTime()
        let limiter = time.limiter(bytesPerSecond: 1000)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await limiter.acquire(500)
        }
        await #expect(throws: CancellationError.self) { try await task.value }

        // A sleep interrupted by cancellation refunds the request: the full bucket is still there.
        let failingLimiter = BandwidthLimiter(
            bytesPerSecond: 1000, elapsed: { time.now }, sleep: { _ in throw CancellationError() })
        await #expect(throws: CancellationError.self) { try await failingLimiter.acquire(1500) }
        // Its sleep always throws, so this succeeds only if the 1000 bytes in the bucket are still there.
        try await failingLimiter.acquire(1000)
        await #expect(throws: CancellationError.self) { try await failingLimiter.acquire(1) }
    }

    @Test("a nil limiter leaves the stream as it is")
    func nilLimiter() async throws {
        let bytes = sampleBytes(count: 100_000)
        let received = try await ByteStream(bytes: bytes, chunkSize: 4096).throttled(by: nil).collect()
        #expect(received == bytes)
    }

    @Test("a local storage with a limiter paces its puts and gets, and stores the bytes unchanged")
    func localStorage() async throws {
        try await withTemporaryFolder { folder in
            let time = ManualTime()
            var storage = try LocalStorage(root: folder, readChunkSize: 64 << 10)
            storage.bandwidthLimiter = time.limiter(bytesPerSecond: 1 << 20)
            let bytes = sampleBytes(count: 3 << 20)
            _ = try await storage.put(ByteStream(bytes: bytes, chunkSize: 100_000), at: "a/b.bin", options: .overwrite)
            // 3 MiB at 1 MiB/s with a one-second burst: two seconds of waiting.
            let afterPut = seconds(time.totalSlept)
            #expect(abs(afterPut - 2.0) < 0.1, "\(afterPut)")
            // The read shares the bucket: another three seconds of bytes, none of them in a burst now.
            let read = try await storage.get("a/b.bin").collect(upTo: bytes.count)
            #expect(read == bytes)
            let afterGet = seconds(time.totalSlept) - afterPut
            #expect(abs(afterGet - 3.0) < 0.1, "\(afterGet)")
        }
    }

    @Test("rates below one byte per second are raised to one")
    func minimumRate() async throws {
        let limiter = BandwidthLimiter(bytesPerSecond: 0)
        #expect(limiter.bytesPerSecond == 1)
    }
}
