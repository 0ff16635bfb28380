public import SnapshotClient

/// Repository verification (`POST /_snapshot/<repo>/_verify`) and credential refusals for `es-archive check`.
extension SnapshotClient: ArchiveClusterChecking {
    /// The names of the nodes that verified `repository`.
    public func verifiedNodes(ofRepository repository: String) async throws -> [String] {
        try await verifyRepository(named: repository).map(\.name)
    }

    /// Whether the cluster answered 401 or 403, or refused the request as a security exception.
    public func isAuthenticationFailure(_ error: any Error) -> Bool {
        guard let error = error as? SnapshotClientError else { return false }
        return error.code == .security || error.status == 401 || error.status == 403
    }
}
