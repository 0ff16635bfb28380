extension SnapshotClient {
    /// Reads `GET /`: distribution, version and cluster name; the answer is cached for version-aware calls.
    /// - Throws: ``SnapshotClientError`` (`connection`, `security`, `invalidResponse`, …).
    public func info() async throws -> ClusterInfo {
        let response = try await send(.info, action: "read cluster info")
        let info = try ClusterInfo(json: response.requireJSON("read cluster info"))
        cache.set(info)
        return info
    }

    /// The cached ``ClusterInfo``, reading `GET /` on first use.
    public func clusterInfo() async throws -> ClusterInfo {
        if let info = cache.get() { return info }
        return try await info()
    }
}
