import Foundation

/// An error from ``SnapshotClient``: a refused request, an unreachable cluster, an invalid name or an
/// unexpected response.
///
/// The ``code`` is extensible: adding a code never breaks a `switch` in user code. For cluster errors
/// ``status``, ``type`` and ``reason`` carry what the cluster said; messages never hold credentials.
public struct SnapshotClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of problem occurred.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, as it appears in messages.
        public let description: String
        private init(_ description: String) { self.description = description }

        /// The snapshot does not exist (404 `snapshot_missing_exception`).
        public static let snapshotMissing = Code("snapshot missing")
        /// The repository does not exist (404 `repository_missing_exception`).
        public static let repositoryMissing = Code("repository missing")
        /// Another snapshot or deletion runs and this version allows only one (`concurrent_snapshot_execution_exception`).
        public static let concurrentSnapshotExecution = Code("concurrent snapshot execution")
        /// An index or snapshot is being snapshotted (`snapshot_in_progress_exception`, or 6.x's
        /// `illegal_argument_exception` when deleting an index under snapshot).
        public static let snapshotInProgress = Code("snapshot in progress")
        /// The cluster refused the snapshot name, or it already exists (`invalid_snapshot_name_exception`).
        public static let invalidSnapshotName = Code("invalid snapshot name")
        /// An index does not exist (404 `index_not_found_exception`).
        public static let indexNotFound = Code("index not found")
        /// Authentication or authorisation failed (HTTP 401 or 403, `security_exception`).
        public static let security = Code("security")
        /// The repository could not be verified on every node (`repository_verification_exception`).
        public static let repositoryVerification = Code("repository verification failed")
        /// The cluster refused a restore, e.g. over an open index with the same name (`snapshot_restore_exception`).
        public static let snapshotRestore = Code("snapshot restore refused")
        /// A snapshot, repository or index name was refused before sending the request.
        public static let invalidName = Code("invalid name")
        /// The request's arguments are inconsistent (found before sending it).
        public static let invalidRequest = Code("invalid request")
        /// The cluster could not be reached.
        public static let connection = Code("connection failed")
        /// The cluster did not answer within the configured timeout.
        public static let timeout = Code("timed out")
        /// The cluster's answer could not be decoded.
        public static let invalidResponse = Code("invalid response")
        /// The cluster's version does not support the operation.
        public static let unsupported = Code("unsupported by this cluster version")
        /// Any other error the cluster returned; see ``SnapshotClientError/type`` and ``SnapshotClientError/reason``.
        public static let cluster = Code("cluster error")
    }

    /// What kind of problem occurred.
    public var code: Code
    /// A human-readable explanation naming the snapshot, repository, index or URL at fault.
    public var message: String
    /// The HTTP status the cluster answered with, if it answered.
    public var status: Int?
    /// The cluster's error type, e.g. `snapshot_missing_exception`.
    public var type: String?
    /// The cluster's error reason.
    public var reason: String?
    /// The request that failed as `METHOD /path` (no host, no credentials).
    public var request: String?
    /// The error that caused this one, for transport failures (it never holds credentials).
    public var underlying: (any Error)?

    /// Creates an error.
    public init(
        code: Code, message: String, status: Int? = nil, type: String? = nil, reason: String? = nil,
        request: String? = nil, underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.type = type
        self.reason = reason
        self.request = request
        self.underlying = underlying
    }

    public var description: String {
        var text = "snapshot client: \(code): \(message)"
        var details: [String] = []
        if let status { details.append("HTTP \(status)") }
        if let type { details.append(type) }
        if !details.isEmpty || reason != nil {
            text += " (" + details.joined(separator: " ")
            if let reason { text += (details.isEmpty ? "" : ": ") + reason }
            text += ")"
        }
        if let request { text += " [\(request)]" }
        if let underlying { text += " caused by: \(underlying)" }
        return text
    }

    /// The snapshot does not exist.
    public var isSnapshotMissing: Bool { code == .snapshotMissing }
    /// The repository does not exist.
    public var isRepositoryMissing: Bool { code == .repositoryMissing }
    /// Another snapshot operation blocks this one; retry later.
    public var isConcurrentSnapshotExecution: Bool { code == .concurrentSnapshotExecution }
    /// An index or snapshot involved is being snapshotted.
    public var isSnapshotInProgress: Bool { code == .snapshotInProgress }
    /// The snapshot name was refused or already exists.
    public var isInvalidSnapshotName: Bool { code == .invalidSnapshotName }
    /// An index does not exist.
    public var isIndexNotFound: Bool { code == .indexNotFound }
    /// Credentials were missing, wrong or lacked a privilege.
    public var isSecurity: Bool { code == .security }
    /// The repository failed verification.
    public var isRepositoryVerification: Bool { code == .repositoryVerification }
    /// The cluster could not be reached.
    public var isConnection: Bool { code == .connection }

    /// Another snapshot operation blocks this one and the call may succeed later: the cluster's
    /// `concurrent_snapshot_execution_exception` (before Elasticsearch 7.7 one snapshot create or delete at a time,
    /// a restore refused while "a snapshot deletion is in-progress"; before 6.6 "Restore process is already running
    /// in this cluster"), whatever the version or distribution.
    public var isConcurrentSnapshotConflict: Bool {
        if code == .concurrentSnapshotExecution || type == "concurrent_snapshot_execution_exception" { return true }
        guard let reason else { return false }
        return reason.localizedCaseInsensitiveContains("a snapshot deletion is in-progress")
            || reason.localizedCaseInsensitiveContains("Restore process is already running in this cluster")
    }

    /// The cluster refused the snapshot name because a snapshot with that name already exists or is running
    /// (`invalid_snapshot_name_exception`, or 8.x's `snapshot_name_already_in_use_exception`).
    public var isSnapshotAlreadyExists: Bool {
        let types: Set<String> = ["invalid_snapshot_name_exception", "snapshot_name_already_in_use_exception"]
        guard code == .invalidSnapshotName || types.contains(type ?? ""), let reason else { return false }
        return reason.localizedCaseInsensitiveContains("with the same name already exists")
            || reason.localizedCaseInsensitiveContains("with the same name is already in-progress")
            || reason.localizedCaseInsensitiveContains("with the same name is already in progress")
    }

    /// A limit of the cluster that passes: a concurrent-snapshot conflict (``isConcurrentSnapshotConflict``),
    /// a full queue (HTTP 429 `es_rejected_execution_exception`) or a cluster block (HTTP 503
    /// `cluster_block_exception`, e.g. while the cluster state is not recovered). Retry later.
    public var isRetryableClusterLimit: Bool {
        if isConcurrentSnapshotConflict { return true }
        if status == 429, type == "es_rejected_execution_exception" { return true }
        return status == 503 && type == "cluster_block_exception"
    }
}
