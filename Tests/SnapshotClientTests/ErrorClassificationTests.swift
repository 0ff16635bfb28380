import Foundation
import Testing

@testable import SnapshotClient

/// The classification helpers read the error bodies of every version the same way: the JSON envelope, the 6.x
/// legacy string, and errors relayed by another node (`remote_transport_exception` with a `caused_by`).
struct ErrorClassificationTests {
    static func error(_ status: Int, _ body: String) -> SnapshotClientError {
        SnapshotClient.clusterError(status: status, body: Data(body.utf8), action: "test", request: nil)
    }

    @Test("concurrent snapshot conflicts are recognised in every body shape")
    func concurrentConflicts() {
        let bodies = [
            #"{"error":"ConcurrentSnapshotExecutionException[[repo:snap] a snapshot is already running]","status":503}"#,
            #"{"error":{"root_cause":[{"type":"concurrent_snapshot_execution_exception","reason":"[repo:snap] cannot restore a snapshot while a snapshot deletion is in-progress [SnapshotDeletionsInProgress[[repo:old]]]"}],"type":"concurrent_snapshot_execution_exception","reason":"[repo:snap] cannot restore a snapshot while a snapshot deletion is in-progress [SnapshotDeletionsInProgress[[repo:old]]]"},"status":503}"#,
            #"{"error":{"root_cause":[{"type":"concurrent_snapshot_execution_exception","reason":"[repo:snap] Restore process is already running in this cluster"}],"type":"remote_transport_exception","reason":"[master-1][10.0.0.1:9300][cluster:admin/snapshot/restore]","caused_by":{"type":"concurrent_snapshot_execution_exception","reason":"[repo:snap] Restore process is already running in this cluster"}},"status":503}"#,
        ]
        for body in bodies {
            let error = Self.error(503, body)
            #expect(error.isConcurrentSnapshotConflict, "\(body)")
            #expect(error.isRetryableClusterLimit, "\(body)")
            #expect(!error.isSnapshotAlreadyExists)
        }
    }

    @Test("a snapshot name in use is told apart from a refused name, in 6.x, 7.x and 8.x bodies")
    func alreadyExists() {
        let inUse = [
            #"{"error":"InvalidSnapshotNameException[[repo:snap] Invalid snapshot name [snap], snapshot with the same name already exists]","status":400}"#,
            #"{"error":{"type":"invalid_snapshot_name_exception","reason":"[repo:snap] Invalid snapshot name [snap], snapshot with the same name is already in-progress"},"status":400}"#,
            #"{"error":{"type":"snapshot_name_already_in_use_exception","reason":"[repo:snap] Invalid snapshot name [snap], snapshot with the same name already exists"},"status":400}"#,
        ]
        for body in inUse {
            let error = Self.error(400, body)
            #expect(error.isSnapshotAlreadyExists, "\(body)")
            #expect(error.isInvalidSnapshotName)
            #expect(!error.isRetryableClusterLimit)
        }
        let refused = Self.error(
            400,
            #"{"error":{"type":"invalid_snapshot_name_exception","reason":"[repo:Snap] Invalid snapshot name [Snap], must be lowercase"},"status":400}"#
        )
        #expect(!refused.isSnapshotAlreadyExists)
    }

    @Test("queue rejections and cluster blocks are retryable limits; other 429/503 answers are not")
    func clusterLimits() {
        let rejected = Self.error(
            429,
            #"{"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation"},"status":429}"#)
        let blocked = Self.error(
            503,
            #"{"error":{"type":"cluster_block_exception","reason":"blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];"},"status":503}"#
        )
        let breaker = Self.error(
            429, #"{"error":{"type":"circuit_breaking_exception","reason":"[parent] Data too large"},"status":429}"#)
        let missing = Self.error(404, #"{"error":{"type":"snapshot_missing_exception","reason":"[repo:snap] is missing"},"status":404}"#)
        #expect(rejected.isRetryableClusterLimit && !rejected.isConcurrentSnapshotConflict)
        #expect(blocked.isRetryableClusterLimit && !blocked.isConcurrentSnapshotConflict)
        #expect(!breaker.isRetryableClusterLimit)
        #expect(!missing.isRetryableClusterLimit && !missing.isConcurrentSnapshotConflict && !missing.isSnapshotAlreadyExists)
    }
}
