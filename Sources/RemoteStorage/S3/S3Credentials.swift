/// The access key pair (and optional session token) that signs S3 requests.
///
/// The secret and the token never appear in ``description``, ``debugDescription``, `dump(_:)` or
/// any error: only the access key id is printed, so a credentials value can be logged safely.
public struct S3Credentials: Hashable, Sendable {
    /// The public half of the key pair (`AKIA…`); safe to print.
    public var accessKeyID: String
    /// The secret half of the key pair; never printed.
    public var secretAccessKey: String
    /// The session token of temporary (STS) credentials; never printed.
    public var sessionToken: String?

    /// Creates credentials.
    /// - Parameters:
    ///   - accessKeyID: The access key id.
    ///   - secretAccessKey: The secret access key.
    ///   - sessionToken: The session token of temporary credentials, if any.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

extension S3Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The access key id and placeholders for the secret parts.
    public var description: String {
        let token = sessionToken == nil ? "none" : "<redacted>"
        return "S3Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>, sessionToken: \(token))"
    }

    /// Same as ``description``: the secret parts are never printed.
    public var debugDescription: String { description }

    /// A mirror that shows the access key id only, so `dump(_:)` cannot reveal the secret.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["accessKeyID": accessKeyID, "hasSessionToken": sessionToken != nil],
            displayStyle: .struct
        )
    }
}
