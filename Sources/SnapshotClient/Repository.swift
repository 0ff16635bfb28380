/// A registered snapshot repository as `GET /_snapshot` describes it.
public struct Repository: Hashable, Sendable {
    /// The repository's name.
    public var name: String
    /// Its type (`fs`, `s3`, `cos`, …).
    public var type: String
    /// Its settings as the cluster reports them (values are usually strings).
    public var settings: [String: JSONValue]
    /// The repository UUID (Elasticsearch 7.12+), if reported.
    public var uuid: String?

    /// Creates a repository description.
    public init(name: String, type: String, settings: [String: JSONValue], uuid: String? = nil) {
        self.name = name
        self.type = type
        self.settings = settings
        self.uuid = uuid
    }

    /// Decodes `{"name": {"type": …, "settings": {…}, "uuid": …}, …}`, sorted by name.
    package static func list(from json: JSONValue) throws -> [Repository] {
        guard let members = json.objectValue else {
            throw SnapshotClientError(code: .invalidResponse, message: "repository listing is not a JSON object")
        }
        return members.keys.sorted().compactMap { name in
            guard let entry = members[name] else { return nil }
            return Repository(
                name: name, type: entry["type"]?.stringValue ?? "",
                settings: entry["settings"]?.objectValue ?? [:], uuid: entry["uuid"]?.stringValue)
        }
    }
}

/// A node that took part in a repository verification.
public struct VerifiedNode: Hashable, Sendable {
    /// The node's id.
    public var id: String
    /// The node's name.
    public var name: String

    /// Creates a node entry.
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// What `POST /_snapshot/{repository}/_cleanup` removed.
public struct RepositoryCleanup: Hashable, Sendable {
    /// Bytes of unreferenced data removed.
    public var deletedBytes: Int64
    /// Unreferenced blobs removed.
    public var deletedBlobs: Int64

    /// Creates a cleanup result.
    public init(deletedBytes: Int64, deletedBlobs: Int64) {
        self.deletedBytes = deletedBytes
        self.deletedBlobs = deletedBlobs
    }
}
