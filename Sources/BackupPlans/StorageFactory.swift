import ArtifactFormat
public import AsyncHTTPClient
import BackupCatalog
public import BackupEngine
public import BackupModels
import BackupScheduler
import BackupSources
public import Foundation
public import Logging
public import RemoteStorage

extension Engine {
    /// Builds the storage a plan names, reading credentials from the environment variables it names.
    ///
    /// - `local`: a ``LocalStorage``; with `link_secret_env` and `link_base_url` a ``SignedLocalStorage``
    ///   that also issues signed download links.
    /// - `http`: an ``HTTPStorage`` (WebDAV).
    /// - `s3` / `cos`: an ``S3Storage``.
    ///
    /// - Parameters:
    ///   - config: the `storage:` settings.
    ///   - logger: handed to network backends for request diagnostics (never secrets).
    ///   - environment: where the variables named by `*_env` settings are read.
    ///   - httpClient: the client network backends send requests with.
    /// - Throws: ``StorageError`` `configuration` naming the setting at fault.
    public static func makeStorage(
        _ config: StorageConfig, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient = .shared
    ) throws -> any Storage {
        switch config {
        case .local(let local):
            var storage = try LocalStorage(root: local.path)
            storage.bandwidthLimiter = try StorageSettings.bandwidthLimiter(local.bandwidthLimit)
            if let signer = try StorageSettings.linkSigner(for: local, environment: environment) {
                return SignedLocalStorage(storage: storage, signer: signer)
            }
            return storage
        case .http(let http):
            return try StorageSettings.httpStorage(http, environment: environment, httpClient: httpClient, logger: logger)
        case .s3(let s3):
            return try StorageSettings.s3Storage(s3, environment: environment, httpClient: httpClient, logger: logger)
        }
    }

    /// Builds the storage a plan names and checks that it can issue download links (exports print one).
    ///
    /// - Throws: ``StorageError`` `configuration` when the storage cannot issue links: a local storage
    ///   without `link_secret_env` and `link_base_url`, or an HTTP repository.
    public static func makeLinkIssuer(
        _ config: StorageConfig, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient = .shared
    ) throws -> any DownloadLinkIssuing {
        let storage = try makeStorage(config, logger: logger, environment: environment, httpClient: httpClient)
        guard let issuer = storage as? any DownloadLinkIssuing else {
            let hint =
                switch config {
                case .local: "set storage.link_secret_env and storage.link_base_url"
                default: "storage type '\(config.typeName)' has no download links"
                }
            throw StorageError(code: .configuration, key: nil, message: "download links are not available: \(hint)")
        }
        return issuer
    }
}
