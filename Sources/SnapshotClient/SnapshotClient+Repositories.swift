extension SnapshotClient {
    /// Registers (or updates) a snapshot repository.
    /// - Parameters:
    ///   - name: The repository name (lowercase, no `\ / * ? " < > | , #` or spaces, not starting with `_`).
    ///   - settings: The type and its settings.
    ///   - additionalSettings: Free-form settings merged over ``RepositorySettings/settings`` (e.g. `readonly`).
    ///   - verify: Whether the cluster verifies the repository on every node before registering it.
    /// - Throws: `invalidName`, `repositoryVerification`, `security`, or the cluster's error.
    public func createRepository(
        named name: String, settings: RepositorySettings, additionalSettings: [String: JSONValue] = [:],
        verify: Bool = true
    ) async throws {
        try NameValidation.validate(name, kind: "repository")
        let merged = settings.settings.merging(additionalSettings) { _, extra in extra }
        let body: JSONValue = ["type": .string(settings.type), "settings": .object(merged)]
        _ = try await send(
            .createRepository, parts: ["repository": name], query: verify ? [] : [("verify", "false")], body: body,
            action: "create \(settings.type) repository '\(name)'")
    }

    /// Reads one repository.
    /// - Throws: `repositoryMissing` when it does not exist.
    public func repository(named name: String) async throws -> Repository {
        try NameValidation.validate(name, kind: "repository")
        let action = "get repository '\(name)'"
        let response = try await send(.getRepository, parts: ["repository": name], action: action)
        guard let repository = try Repository.list(from: response.requireJSON(action)).first(where: { $0.name == name })
        else {
            throw SnapshotClientError(
                code: .repositoryMissing, message: "\(action): the cluster did not return it", status: response.status)
        }
        return repository
    }

    /// Lists every registered repository, sorted by name.
    public func repositories() async throws -> [Repository] {
        let action = "list repositories"
        let response = try await send(.getRepositories, action: action)
        return try Repository.list(from: response.requireJSON(action))
    }

    /// Asks every node to check that it can read and write the repository.
    /// - Returns: The nodes that verified it.
    /// - Throws: `repositoryVerification` when a node cannot, `repositoryMissing` when it does not exist.
    @discardableResult
    public func verifyRepository(named name: String) async throws -> [VerifiedNode] {
        try NameValidation.validate(name, kind: "repository")
        let action = "verify repository '\(name)'"
        let response = try await send(.verifyRepository, parts: ["repository": name], action: action)
        let nodes = try response.requireJSON(action)["nodes"]?.objectValue ?? [:]
        return nodes.keys.sorted().map { VerifiedNode(id: $0, name: nodes[$0]?["name"]?.stringValue ?? $0) }
    }

    /// Unregisters a repository; its snapshots stay in storage.
    /// - Throws: `repositoryMissing` when it does not exist.
    public func deleteRepository(named name: String) async throws {
        try NameValidation.validate(name, kind: "repository")
        _ = try await send(.deleteRepository, parts: ["repository": name], action: "delete repository '\(name)'")
    }

    /// Removes data no snapshot references any more (Elasticsearch 7.4+, OpenSearch).
    /// - Throws: `unsupported` on older clusters, `repositoryMissing` when it does not exist.
    @discardableResult
    public func cleanupRepository(named name: String) async throws -> RepositoryCleanup {
        try NameValidation.validate(name, kind: "repository")
        let action = "clean up repository '\(name)'"
        let info = try await clusterInfo()
        guard info.supportsRepositoryCleanup else {
            throw SnapshotClientError(
                code: .unsupported, message: "\(action): repository cleanup needs Elasticsearch 7.4 or later (cluster runs \(info.version))"
            )
        }
        let response = try await send(.cleanupRepository, parts: ["repository": name], action: action)
        let results = try response.requireJSON(action)["results"]
        return RepositoryCleanup(
            deletedBytes: results?["deleted_bytes"]?.int64Value ?? 0, deletedBlobs: results?["deleted_blobs"]?.int64Value ?? 0)
    }
}
