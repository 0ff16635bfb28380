/// A folder on local disk or NFS.
public struct LocalStorageConfig: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case path
        case linkSecretEnvironmentVariable = "link_secret_env"
        case linkBaseURL = "link_base_url"
        case bandwidthLimit = "bandwidth_limit"
    }

    /// The storage root.
    public var path: String
    /// The environment variable holding the HMAC secret that signs download links; `nil` disables links.
    public var linkSecretEnvironmentVariable: String?
    /// The host's download endpoint that signed links point at (`https://host/download`).
    public var linkBaseURL: String?
    /// The average rate, in bytes per second, at which the storage writes and reads objects (a shared NFS
    /// server or disk); `nil` for no limit.
    public var bandwidthLimit: Int64?

    public init(
        path: String, linkSecretEnvironmentVariable: String? = nil, linkBaseURL: String? = nil,
        bandwidthLimit: Int64? = nil
    ) {
        self.path = path
        self.linkSecretEnvironmentVariable = linkSecretEnvironmentVariable
        self.linkBaseURL = linkBaseURL
        self.bandwidthLimit = bandwidthLimit
    }
}
