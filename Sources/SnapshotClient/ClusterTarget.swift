import Foundation

/// The parsed cluster URL: base without credentials, and the credentials to send.
struct ClusterTarget: Sendable {
    /// `scheme://host:port/prefix` without a trailing slash and without user info.
    let redactedBase: String
    /// The `Authorization` header value, if any.
    let authorization: String?
    /// Whether the URL uses TLS.
    let isTLS: Bool

    init(configuration: SnapshotClient.Configuration) throws {
        let trimmed = configuration.url.trimmingCharacters(in: .whitespaces)
        guard var components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw SnapshotClientError(
                code: .invalidRequest,
                message: "cluster URL '\(Self.stripUserInfo(trimmed))' is not an http(s) URL with a host")
        }
        var credentials = configuration.credentials
        if credentials == nil, let user = components.user {
            credentials = .basic(
                username: user.removingPercentEncoding ?? user,
                password: (components.password ?? "").removingPercentEncoding ?? "")
        }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        var base = components.string ?? "\(scheme)://\(host)"
        while base.hasSuffix("/") { base.removeLast() }
        self.redactedBase = base
        self.authorization = credentials?.headerValue
        self.isTLS = scheme == "https"
    }

    /// Removes `user:password@` from a URL-like text for messages.
    static func stripUserInfo(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return text }
        return String(text[..<schemeEnd.upperBound]) + String(rest[rest.index(after: at)...])
    }
}
