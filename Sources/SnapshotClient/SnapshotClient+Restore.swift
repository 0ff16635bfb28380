extension SnapshotClient {
    /// Restores indices from a snapshot, optionally under new names, waiting or not.
    /// - Parameters:
    ///   - snapshot: The snapshot.
    ///   - repository: Its repository.
    ///   - options: Indices, rename pattern and replacement, index settings, aliases, partial.
    ///   - waitForCompletion: Wait until every shard is recovered instead of returning once accepted.
    /// - Returns: The restored indices and shard counts when waiting, `nil` when only accepted.
    /// - Throws: `snapshotRestore` (e.g. an open index with the same name exists), `snapshotMissing`,
    ///   `repositoryMissing`, `invalidRequest` (rename pattern without replacement). Never retried.
    @discardableResult
    public func restoreSnapshot(
        named snapshot: String, in repository: String, options: RestoreOptions = RestoreOptions(),
        waitForCompletion: Bool = false
    ) async throws -> RestoreResult? {
        try NameValidation.validate(repository, kind: "repository")
        try NameValidation.validate(snapshot, kind: "snapshot")
        let action = "restore snapshot '\(snapshot)' from repository '\(repository)'"
        if (options.renamePattern == nil) != (options.renameReplacement == nil) {
            throw SnapshotClientError(
                code: .invalidRequest, message: "\(action): rename_pattern and rename_replacement must be given together")
        }
        let response = try await send(
            .restoreSnapshot, parts: ["repository": repository, "snapshot": snapshot],
            query: [("wait_for_completion", waitForCompletion ? "true" : "false")], body: options.body,
            waits: waitForCompletion, action: action)
        let json = try response.requireJSON(action)
        guard let result = json["snapshot"], result.objectValue != nil else { return nil }
        return RestoreResult(
            snapshot: result["snapshot"]?.stringValue ?? snapshot,
            indices: (result["indices"]?.arrayValue ?? []).compactMap(\.stringValue),
            shards: ShardCounts(json: result["shards"]))
    }
}
