import AsyncHTTPClient
import Foundation
import SnapshotClient
import SnapshotClientTesting

/// Starts a ``ClusterDouble``, runs a body with a client pointed at it, and always shuts the double down.
enum DoubleFixture {
    @discardableResult
    static func run<T>(
        _ configuration: ClusterDouble.Configuration = ClusterDouble.Configuration(),
        credentials: SnapshotClient.Credentials? = nil, retry: SnapshotClient.RetryPolicy = .none,
        _ body: (ClusterDouble, SnapshotClient) async throws -> T
    ) async throws -> T {
        let double = ClusterDouble(configuration: configuration)
        try await double.start()
        do {
            let client = try SnapshotClient(configuration: .init(url: double.url, credentials: credentials, retry: retry))
            let result = try await body(double, client)
            try await double.shutdown()
            return result
        } catch {
            try? await double.shutdown()
            throw error
        }
    }

    /// Seeds three daily log indices with a day-long time range each.
    static func seedDailyIndices(_ double: ClusterDouble, days: Int = 3) -> [String] {
        let dayStart = Date(timeIntervalSince1970: 1_764_028_800)  // 2025-11-25T00:00:00Z
        return (0..<days).map { day in
            let name = "logs-2025.11.\(25 + day)"
            let start = dayStart.addingTimeInterval(Double(day) * 86_400)
            double.addIndex(
                name: name, docs: Int64(1_000 * (day + 1)), sizeBytes: Int64(65_536 * (day + 1)),
                timeRange: start...start.addingTimeInterval(86_399))
            return name
        }
    }
}

extension SnapshotClientError {
    /// Whether `error` is a ``SnapshotClientError`` with this code.
    static func matches(_ error: any Error, _ code: Code) -> Bool {
        (error as? SnapshotClientError)?.code == code
    }
}
