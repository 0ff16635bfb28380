import Foundation
import Testing

@testable import RemoteStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Throughput and listing measurements, run only with `BACKUPKIT_MEASURE=1`.
@Suite(
    "LocalStorage: measurements",
    .enabled(
        if: ProcessInfo.processInfo.environment["BACKUPKIT_MEASURE"] != nil,
        "throughput measurements run only with BACKUPKIT_MEASURE=1 (see Benchmarks/README.md)"))
struct LocalStorageMeasurements {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test("put and get of 512 MiB")
    func transfer() async throws {
        try await withTemporaryFolder { folder in
            let storage = try LocalStorage(root: folder)
            let chunk = sampleBytes(count: 1 << 20)
            let total = 512
            let body = ByteStream {
                let counter = ChunkCounter(total)
                return { counter.take() ? chunk : nil }
            }
            let clock = ContinuousClock()
            let put = try await clock.measure { _ = try await storage.put(body, at: "big/object", options: .createOnly) }
            var read = 0
            let get = try await clock.measure {
                for try await piece in try await storage.get("big/object") { read += piece.count }
            }
            #expect(read == total << 20)
            print(
                String(
                    format: "put %d MiB: %.0f MB/s (%.2f s, fsync included); get: %.0f MB/s (%.2f s)",
                    total, Double(total << 20) / Self.seconds(put) / 1e6, Self.seconds(put),
                    Double(total << 20) / Self.seconds(get) / 1e6, Self.seconds(get)))
        }
    }

    @Test("listing 50,000 files in one folder, pages of 1,000")
    func listing() async throws {
        try await withTemporaryFolder { folder in
            let count = 50_000
            try FileManager.default.createDirectory(atPath: folder + "/flat", withIntermediateDirectories: true)
            for index in 0..<count {
                let descriptor = open(folder + "/flat/object-\(index)", O_WRONLY | O_CREAT, 0o600)
                close(descriptor)
            }
            let storage = try LocalStorage(root: folder)
            let clock = ContinuousClock()
            var first: ListPage?
            let firstPage = try await clock.measure { first = try await storage.list(prefix: "flat/", after: nil, limit: 1000) }
            #expect(first?.objects.count == 1000)
            var listed = 0
            let all = try await clock.measure {
                for try await _ in storage.listAll(prefix: "flat/", pageSize: 1000) { listed += 1 }
            }
            #expect(listed == count)
            print(
                String(
                    format: "list %d files: first page of 1,000 in %.3f s; all %d pages in %.2f s",
                    count, Self.seconds(firstPage), count / 1000, Self.seconds(all)))
        }
    }
}

private final class ChunkCounter: @unchecked Sendable {
    private var remaining: Int
    init(_ count: Int) { remaining = count }
    func take() -> Bool {
        guard remaining > 0 else { return false }
        remaining -= 1
        return true
    }
}
