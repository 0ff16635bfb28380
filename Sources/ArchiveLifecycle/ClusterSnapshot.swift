import BackupModels
public import Foundation

/// A snapshot as the cluster reports it.
public struct ClusterSnapshot: Hashable, Sendable {
    /// The state the cluster reports.
    public enum State: String, Hashable, Sendable {
        case inProgress = "IN_PROGRESS"
        case success = "SUCCESS"
        case failed = "FAILED"
        case partial = "PARTIAL"
        case incompatible = "INCOMPATIBLE"
    }

    /// The snapshot's name.
    public var name: String
    /// Its state.
    public var state: State
    /// The indices it holds (or is taking).
    public var indices: [String]
    /// When it started, when known.
    public var startTime: Date?
    /// When it ended, when known.
    public var endTime: Date?
    /// The cluster's reason for a failure, when it gave one.
    public var failureReason: String?
    /// The user metadata it was created with (string values only), when the cluster keeps metadata.
    public var metadata: [String: String]

    /// Creates a snapshot description.
    public init(
        name: String, state: State, indices: [String], startTime: Date? = nil, endTime: Date? = nil,
        failureReason: String? = nil, metadata: [String: String] = [:]
    ) {
        self.name = name
        self.state = state
        self.indices = indices
        self.startTime = startTime
        self.endTime = endTime
        self.failureReason = failureReason
        self.metadata = metadata
    }
}
