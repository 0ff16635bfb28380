import Crypto
public import Foundation

/// Signs and verifies expiring download links for objects of a ``LocalStorage``, which a host service
/// serves from its own download endpoint.
///
/// A link is the endpoint's URL with three query parameters appended:
///
/// ```
/// <base URL>?key=<percent-encoded key>&expires=<unix seconds>&signature=<base64url HMAC>
/// ```
///
/// The signature is HMAC-SHA256 with the secret over the UTF-8 bytes of
/// `backupkit-link-v1\n<key>\n<expires>` (the key unencoded, the expiry in decimal), written in
/// unpadded base64url (43 characters). Keys cannot contain newlines (they are refused as control
/// characters), so the message is unambiguous. Parameters already in the base URL's query are kept
/// and are not signed.
///
/// The secret is at least 32 bytes; it is held only in memory and never appears in a message.
public struct LocalLinkSigner: Sendable {
    /// The smallest accepted secret, in bytes.
    public static let minimumSecretLength = 32

    /// The host's download endpoint that links point at.
    public let baseURL: URL
    private let secret: [UInt8]

    /// Creates a signer.
    ///
    /// - Parameters:
    ///   - secret: the HMAC key, at least ``minimumSecretLength`` bytes.
    ///   - baseURL: the download endpoint (`https://host/download`); an `http` or `https` URL.
    /// - Throws: ``StorageError`` `configuration` for a short secret or an unusable URL.
    public init(secret: [UInt8], baseURL: URL) throws {
        guard secret.count >= Self.minimumSecretLength else {
            throw StorageError(
                code: .configuration, key: nil,
                message: "the link secret holds \(secret.count) bytes; at least \(Self.minimumSecretLength) are needed")
        }
        guard let scheme = baseURL.scheme?.lowercased(), scheme == "http" || scheme == "https", baseURL.host != nil else {
            throw StorageError(
                code: .configuration, key: nil, message: "the link base URL '\(baseURL)' is not an http(s) URL with a host")
        }
        self.secret = secret
        self.baseURL = baseURL
    }

    /// A link to `key` that expires at `expiresAt` (rounded down to the second).
    ///
    /// - Throws: ``StorageError`` `invalidKey` for a key that is not a valid storage key.
    public func link(for key: String, expiresAt: Date) throws -> URL {
        try validateStorageKey(key)
        let expires = Int64(expiresAt.timeIntervalSince1970.rounded(.down))
        let signature = Self.base64URL(sign(key: key, expires: expires))
        let query =
            "key=" + Self.percentEncode(key) + "&expires=" + String(expires) + "&signature=" + signature
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else {
            throw StorageError(code: .configuration, key: key, message: "the link base URL cannot be parsed")
        }
        if let existing = components.percentEncodedQuery, !existing.isEmpty {
            components.percentEncodedQuery = existing + "&" + query
        } else {
            components.percentEncodedQuery = query
        }
        guard let url = components.url else {
            throw StorageError(code: .configuration, key: key, message: "the link for the key cannot be formed")
        }
        return url
    }

    /// A link to `key` that works for `lifetime` seconds after `now`.
    ///
    /// - Throws: ``StorageError`` `invalidKey` for a bad key, `configuration` for a lifetime that is not positive.
    public func link(for key: String, lifetime: TimeInterval, now: Date) throws -> URL {
        guard lifetime > 0, lifetime.isFinite else {
            throw StorageError(code: .configuration, key: key, message: "the link lifetime must be a positive number of seconds")
        }
        return try link(for: key, expiresAt: now.addingTimeInterval(lifetime))
    }

    /// Verifies a link and returns the key it grants.
    ///
    /// - Parameters:
    ///   - url: the requested URL, as the download endpoint received it.
    ///   - now: the current time.
    /// - Returns: the storage key, validated with ``validateStorageKey(_:)``.
    /// - Throws: ``LinkError``.
    public func verify(_ url: URL, now: Date) throws -> String {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            throw LinkError(code: .malformed, message: "the URL cannot be parsed")
        }
        return try verify(query: components.percentEncodedQuery ?? "", now: now)
    }

    /// Verifies the raw (still percent-encoded) query string of a request: `key=…&expires=…&signature=…`.
    ///
    /// - Throws: ``LinkError``; a repeated `key`, `expires` or `signature` parameter is `malformed`.
    public func verify(query: String, now: Date) throws -> String {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard ["key", "expires", "signature"].contains(name) else { continue }
            guard parameters[name] == nil else {
                throw LinkError(code: .malformed, message: "the '\(name)' parameter appears more than once")
            }
            let raw = parts.count > 1 ? String(parts[1]) : ""
            guard let value = raw.removingPercentEncoding else {
                throw LinkError(code: .malformed, message: "the '\(name)' parameter is not valid percent-encoding")
            }
            parameters[name] = value
        }
        return try verify(parameters: parameters, now: now)
    }

    /// Verifies already-decoded query parameters (what web frameworks hand to a route).
    ///
    /// Checks, in order: the three parameters are present and well-formed, the key is a valid storage
    /// key, the signature matches (compared in constant time), and `now` is before the expiry.
    ///
    /// - Throws: ``LinkError``.
    public func verify(parameters: [String: String], now: Date) throws -> String {
        guard let key = parameters["key"], !key.isEmpty else {
            throw LinkError(code: .malformed, message: "the 'key' parameter is missing")
        }
        guard let expiresText = parameters["expires"], let expires = Int64(expiresText), expires >= 0 else {
            throw LinkError(code: .malformed, message: "the 'expires' parameter is missing or not a number of seconds")
        }
        guard let signatureText = parameters["signature"], let signature = Self.decodeBase64URL(signatureText) else {
            throw LinkError(code: .malformed, message: "the 'signature' parameter is missing or not base64url")
        }
        do {
            try validateStorageKey(key)
        } catch let error as StorageError {
            throw LinkError(code: .forbiddenKey, message: "the 'key' parameter is not a valid key: \(error.message)")
        }
        let valid = HMAC<SHA256>.isValidAuthenticationCode(
            signature, authenticating: Self.message(key: key, expires: expires), using: SymmetricKey(data: secret))
        guard valid else {
            throw LinkError(code: .invalidSignature, message: "the signature does not match the key and expiry")
        }
        guard now.timeIntervalSince1970 < Double(expires) else {
            throw LinkError(code: .expired, message: "the link expired at \(expires) (unix seconds)")
        }
        return key
    }

    private func sign(key: String, expires: Int64) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Self.message(key: key, expires: expires), using: SymmetricKey(data: secret)))
    }

    private static func message(key: String, expires: Int64) -> [UInt8] {
        Array("backupkit-link-v1\n\(key)\n\(expires)".utf8)
    }

    /// Percent-encodes everything but unreserved characters and `/`.
    static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        allowed.insert("/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: String) -> [UInt8]? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return nil
        }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map { Array($0) }
    }
}
