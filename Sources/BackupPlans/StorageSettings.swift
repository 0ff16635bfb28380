import AsyncHTTPClient
import BackupModels
import Foundation
import Logging
import RemoteStorage

/// Maps a plan's `storage:` settings to the storage-level values ``RemoteStorage`` takes: reads the
/// environment variables the `*_env` settings name and phrases errors with the plan keys at fault
/// (never with a secret).
enum StorageSettings {
    /// The limiter of a storage section's `bandwidth_limit` (any storage type), or `nil` without one.
    ///
    /// - Throws: ``StorageError`` `configuration` if the limit is not positive (a plan built in code).
    static func bandwidthLimiter(_ limit: Int64?) throws -> BandwidthLimiter? {
        guard let limit else { return nil }
        guard limit > 0 else { throw invalid("storage.bandwidth_limit: must be a positive number of bytes per second") }
        return BandwidthLimiter(bytesPerSecond: limit)
    }

    static func invalid(_ message: String) -> StorageError {
        StorageError(code: .configuration, key: nil, message: message)
    }

    // MARK: Local

    /// The signer `link_secret_env` and `link_base_url` describe, or `nil` when neither is set.
    static func linkSigner(for config: LocalStorageConfig, environment: [String: String]) throws -> LocalLinkSigner? {
        switch (config.linkSecretEnvironmentVariable, config.linkBaseURL) {
        case (nil, nil):
            return nil
        case (nil, _):
            throw invalid("storage.link_base_url is set but storage.link_secret_env is not")
        case (_, nil):
            throw invalid("storage.link_secret_env is set but storage.link_base_url is not")
        case (let variable?, let base?):
            guard let value = environment[variable], !value.isEmpty else {
                throw invalid("the environment variable '\(variable)' named by storage.link_secret_env is not set")
            }
            let secret = Array(value.utf8)
            guard secret.count >= LocalLinkSigner.minimumSecretLength else {
                throw invalid(
                    "the secret in '\(variable)' (storage.link_secret_env) holds \(secret.count) bytes; "
                        + "at least \(LocalLinkSigner.minimumSecretLength) are needed "
                        + "(generate one with `openssl rand -hex 32`)")
            }
            guard let url = URL(string: base) else {
                throw invalid("storage.link_base_url '\(base)' is not a URL")
            }
            do {
                return try LocalLinkSigner(secret: secret, baseURL: url)
            } catch let error as StorageError {
                throw StorageError(code: error.code, key: nil, message: "storage.link_base_url: \(error.message)")
            }
        }
    }

    // MARK: HTTP

    static func httpStorage(
        _ config: HTTPStorageConfig, environment: [String: String], httpClient: HTTPClient, logger: Logger
    ) throws -> HTTPStorage {
        guard let components = URLComponents(string: config.url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw invalid("storage.url '\(redacted(config.url))' is not an http(s) URL with a host")
        }
        guard components.user == nil, components.password == nil else {
            throw invalid("storage.url must not hold credentials; name variables in storage.user_env and storage.password_env")
        }
        guard components.query == nil, components.fragment == nil else {
            throw invalid("storage.url '\(config.url)' must not have a query or fragment")
        }
        guard let url = components.url else { throw invalid("storage.url '\(config.url)' cannot be parsed") }

        func variable(_ name: String?, setting: String) throws -> String? {
            guard let name else { return nil }
            guard let value = environment[name], !value.isEmpty else {
                throw invalid("the environment variable '\(name)' named by \(setting) is not set")
            }
            return value
        }
        let user = try variable(config.userEnvironmentVariable, setting: "storage.user_env")
        let password = try variable(config.passwordEnvironmentVariable, setting: "storage.password_env")
        let token = try variable(config.tokenEnvironmentVariable, setting: "storage.token_env")
        let credentials: HTTPStorage.Credentials?
        let source: String
        switch (user, password, token) {
        case (nil, nil, nil):
            credentials = nil
            source = "storage.user_env/storage.password_env or storage.token_env"
        case (nil, nil, let token?):
            credentials = .bearer(token: token)
            source = "storage.token_env"
        case (let user?, let password?, nil):
            guard !user.contains(":") else { throw invalid("the user in storage.user_env must not contain ':'") }
            credentials = .basic(user: user, password: password)
            source = "storage.user_env/storage.password_env"
        case (_, _, .some):
            throw invalid("set either storage.token_env or storage.user_env and storage.password_env, not both")
        case (.some, nil, nil):
            throw invalid("storage.user_env is set but storage.password_env is not")
        case (nil, .some, nil):
            throw invalid("storage.password_env is set but storage.user_env is not")
        }
        _ = try bandwidthLimiter(config.bandwidthLimit)
        do {
            return try HTTPStorage(
                baseURL: url, credentials: credentials, credentialSource: source, bandwidthLimit: config.bandwidthLimit,
                httpClient: httpClient, logger: logger)
        } catch let error as StorageError where error.code == .configuration {
            throw invalid("storage.url: \(error.message)")
        }
    }

    /// Strips credentials from a URL-like text before it goes into a message.
    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text) else { return "(unparsable URL)" }
        components.user = nil
        components.password = nil
        return components.string ?? "(unparsable URL)"
    }

    // MARK: S3

    static func s3Storage(
        _ config: S3StorageConfig, environment: [String: String], httpClient: HTTPClient, logger: Logger
    ) throws -> S3Storage {
        let endpoint = try s3Endpoint(for: config)
        let (credentials, source) = try s3Credentials(for: config, environment: environment)
        var options = S3StorageOptions()
        options.bandwidthLimiter = try bandwidthLimiter(config.bandwidthLimit)
        var domain: URL?
        if let text = config.downloadDomain {
            do {
                domain = try S3Storage.downloadDomain(text)
            } catch {
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                throw invalid("storage.download_domain: '\(trimmed)' is not a host name or http(s) URL")
            }
        }
        var prefix = config.prefix
        while prefix.hasSuffix("/") { prefix.removeLast() }
        if !prefix.isEmpty {
            do {
                try validateStorageKey(prefix)
            } catch let error as StorageError {
                throw invalid("storage.prefix '\(config.prefix)': \(error.message)")
            }
        }
        return try S3Storage(
            endpoint: endpoint, credentials: credentials, prefix: config.prefix, options: options,
            downloadDomain: domain, credentialSource: source, httpClient: httpClient, logger: logger)
    }

    /// The endpoint the provider, endpoint, region, bucket and path style describe.
    static func s3Endpoint(for config: S3StorageConfig) throws -> S3Endpoint {
        guard !config.bucket.isEmpty else { throw invalid("storage.bucket: is not set") }
        guard !config.region.isEmpty else { throw invalid("storage.region: is not set") }
        var url: URL?
        if let text = config.endpoint, !text.isEmpty {
            guard let parsed = URL(string: text), parsed.scheme != nil, parsed.host != nil else {
                throw invalid("storage.endpoint: '\(text)' is not an http:// or https:// URL")
            }
            url = parsed
        } else if config.provider == .minio {
            throw invalid("storage.endpoint: is required for provider minio (such as http://127.0.0.1:9000)")
        }
        let provider: S3Storage.Provider =
            switch config.provider {
            case .aws: .aws
            case .tencentCOS: .tencentCOS
            case .minio: .minio
            }
        do {
            return try S3Storage.endpoint(
                provider: provider, endpoint: url, region: config.region, bucket: config.bucket,
                pathStyle: config.pathStyle)
        } catch let error as StorageError {
            throw invalid("storage: \(error.message)")
        }
    }

    /// The key pair from the named variables or the credentials file, and a description of where it
    /// came from (names only).
    static func s3Credentials(for config: S3StorageConfig, environment: [String: String]) throws -> (
        S3Credentials, String
    ) {
        if let file = config.credentialsFile, !file.isEmpty {
            do {
                return (try S3Credentials(contentsOfFile: file), "credentials_file \(file)")
            } catch let error as StorageError {
                var reason = Substring(error.message)
                if reason.hasPrefix("the credentials file ") { reason = reason.dropFirst("the credentials file ".count) }
                throw StorageError(code: error.code, key: nil, message: "storage.credentials_file: \(reason)")
            }
        }
        func variable(_ name: String?, setting: String, holding what: String) throws -> String {
            guard let name, !name.isEmpty else {
                throw invalid(
                    "storage.\(setting): is not set; name the environment variable holding the \(what), "
                        + "or set storage.credentials_file")
            }
            guard let value = environment[name], !value.isEmpty else {
                throw invalid("storage.\(setting): variable \(name) is not set")
            }
            return value
        }
        let access = try variable(config.accessKeyEnvironmentVariable, setting: "access_key_env", holding: "access key id")
        let secret = try variable(
            config.secretKeyEnvironmentVariable, setting: "secret_key_env", holding: "secret access key")
        var token: String?
        if let name = config.sessionTokenEnvironmentVariable, !name.isEmpty {
            token = try variable(name, setting: "session_token_env", holding: "session token")
        }
        let source =
            "access_key_env \(config.accessKeyEnvironmentVariable ?? "") / "
            + "secret_key_env \(config.secretKeyEnvironmentVariable ?? "")"
        return (S3Credentials(accessKeyID: access, secretAccessKey: secret, sessionToken: token), source)
    }
}
