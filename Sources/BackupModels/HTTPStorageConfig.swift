/// A WebDAV-style HTTP artifact repository (`type: http` in plans).
public struct HTTPStorageConfig: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case url
        case userEnvironmentVariable = "user_env"
        case passwordEnvironmentVariable = "password_env"
        case tokenEnvironmentVariable = "token_env"
        case bandwidthLimit = "bandwidth_limit"
    }

    /// The repository's base URL (`http://127.0.0.1:8081/repo/`).
    public var url: String
    /// The environment variable holding the basic-auth user.
    public var userEnvironmentVariable: String?
    /// The environment variable holding the basic-auth password.
    public var passwordEnvironmentVariable: String?
    /// The environment variable holding a bearer token (instead of basic auth).
    public var tokenEnvironmentVariable: String?
    /// Bandwidth cap in bytes per second; `nil` is unlimited.
    public var bandwidthLimit: Int64?

    public init(
        url: String, userEnvironmentVariable: String? = nil, passwordEnvironmentVariable: String? = nil,
        tokenEnvironmentVariable: String? = nil, bandwidthLimit: Int64? = nil
    ) {
        self.url = url
        self.userEnvironmentVariable = userEnvironmentVariable
        self.passwordEnvironmentVariable = passwordEnvironmentVariable
        self.tokenEnvironmentVariable = tokenEnvironmentVariable
        self.bandwidthLimit = bandwidthLimit
    }
}
