import BackupEngine
import BackupModels
import BackupPlans
import Foundation
import Logging
import Testing

@testable import RemoteStorage

private let factoryLogger = Logger(label: "StorageFactoryTests")

/// A fresh folder for one test, removed afterwards.
private func withFactoryFolder<T>(_ body: (String) async throws -> T) async throws -> T {
    let path = NSTemporaryDirectory() + "backupkit-storage-factory-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

private func makeStorage(_ config: StorageConfig, environment: [String: String]) throws -> any Storage {
    try Engine.makeStorage(config, logger: factoryLogger, environment: environment)
}

private func configurationError(_ config: StorageConfig, environment: [String: String]) -> StorageError? {
    do {
        _ = try makeStorage(config, environment: environment)
        return nil
    } catch {
        return error as? StorageError
    }
}

// MARK: S3

struct StorageFactoryS3Tests {
    private let environment = ["S3_ACCESS_KEY": "AKIDEXAMPLE", "S3_SECRET_KEY": "super-secret-value"]

    private func config(
        provider: S3StorageConfig.Provider = .aws, endpoint: String? = nil, region: String = "us-east-1",
        bucket: String = "backups", prefix: String = "", pathStyle: Bool? = nil, access: String? = "S3_ACCESS_KEY",
        secret: String? = "S3_SECRET_KEY", file: String? = nil
    ) -> S3StorageConfig {
        S3StorageConfig(
            provider: provider, endpoint: endpoint, region: region, bucket: bucket, prefix: prefix, pathStyle: pathStyle,
            accessKeyEnvironmentVariable: access, secretKeyEnvironmentVariable: secret, credentialsFile: file)
    }

    private func s3(_ config: S3StorageConfig, environment: [String: String]? = nil) throws -> S3Storage {
        try #require(try makeStorage(.s3(config), environment: environment ?? self.environment) as? S3Storage)
    }

    private func configurationError(_ config: S3StorageConfig, environment: [String: String]? = nil) -> StorageError? {
        BackupEngineTests.configurationError(.s3(config), environment: environment ?? self.environment)
    }

    @Test func cosUsesTheVirtualHostedBucketDomain() throws {
        let storage = try s3(config(provider: .tencentCOS, region: "ap-guangzhou", bucket: "backups-1250000000", prefix: "bklog"))
        #expect(storage.endpoint.url(for: "a b").absoluteString == "https://backups-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b")
        #expect(storage.prefix == "bklog/")
    }

    @Test func awsWithoutEndpointIsVirtualHosted() throws {
        let storage = try s3(config(region: "eu-west-1"))
        #expect(storage.endpoint.url(for: "k").absoluteString == "https://backups.s3.eu-west-1.amazonaws.com/k")
    }

    @Test(arguments: [S3StorageConfig.Provider.minio, .aws])
    func selfHostedEndpointsArePathStyle(provider: S3StorageConfig.Provider) throws {
        let storage = try s3(config(provider: provider, endpoint: "http://127.0.0.1:18333"))
        #expect(storage.endpoint.url(for: "k").absoluteString == "http://127.0.0.1:18333/backups/k")
    }

    @Test func minioNeedsAnEndpoint() {
        let error = configurationError(config(provider: .minio))
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("storage.endpoint") == true)
    }

    @Test func missingBucketAndRegionAreNamed() {
        #expect(configurationError(config(bucket: ""))?.message.contains("storage.bucket") == true)
        #expect(configurationError(config(region: ""))?.message.contains("storage.region") == true)
    }

    @Test func unsetVariableIsNamedWithoutAnySecret() {
        let error = configurationError(config(), environment: ["S3_SECRET_KEY": "super-secret-value"])
        #expect(error?.code == .configuration)
        #expect(error?.message == "storage.access_key_env: variable S3_ACCESS_KEY is not set")
        let missingName = configurationError(config(secret: nil))
        #expect(missingName?.message.contains("storage.secret_key_env") == true)
        #expect(missingName.map { "\($0)" }?.contains("super-secret-value") == false)
    }

    @Test func credentialsFileMustBePrivate() async throws {
        try await withFactoryFolder { folder in
            let path = folder + "/s3-credentials"
            try "access_key = AKIDFILE\nsecret_key = file-secret-value\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            let error = configurationError(config(access: nil, secret: nil, file: path), environment: [:])
            #expect(error?.code == .configuration)
            #expect(error?.message.contains(path) == true)
            #expect(error?.message.contains("chmod 600") == true)
            #expect(error?.message.hasPrefix("storage.credentials_file: \(path) ") == true)
            #expect(error.map { "\($0)" }?.contains("file-secret-value") == false)

            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            let storage = try s3(config(access: nil, secret: nil, file: path), environment: [:])
            #expect(storage.signer.credentials.accessKeyID == "AKIDFILE")
            #expect(storage.signer.credentials.secretAccessKey == "file-secret-value")
        }
    }

    @Test func credentialsFileWithoutSecretIsRefused() async throws {
        try await withFactoryFolder { folder in
            let path = folder + "/s3-credentials"
            try "[default]\naws_access_key_id = AKIDFILE\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            let error = configurationError(config(access: nil, secret: nil, file: path), environment: [:])
            #expect(error?.message.contains("secret_key") == true)
        }
    }

    @Test func bandwidthLimitInstallsALimiter() throws {
        var settings = config()
        settings.bandwidthLimit = 1_000_000
        let storage = try s3(settings)
        #expect(storage.options.bandwidthLimiter?.bytesPerSecond == 1_000_000)
    }

    @Test("a local storage's bandwidth_limit installs a limiter; a limit that is not positive is refused")
    func localBandwidthLimit() throws {
        let root = NSTemporaryDirectory() + "backupkit-local-limit-" + UUID().uuidString.prefix(8)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let local = try #require(
            try makeStorage(.local(LocalStorageConfig(path: root, bandwidthLimit: 2 << 20)), environment: [:]) as? LocalStorage)
        #expect(local.bandwidthLimiter?.bytesPerSecond == 2 << 20)
        let unlimited = try #require(try makeStorage(.local(LocalStorageConfig(path: root)), environment: [:]) as? LocalStorage)
        #expect(unlimited.bandwidthLimiter == nil)
        let error = #expect(throws: StorageError.self) {
            _ = try makeStorage(.local(LocalStorageConfig(path: root, bandwidthLimit: 0)), environment: [:])
        }
        #expect(error?.message.contains("storage.bandwidth_limit") == true)
    }

    @Test func prefixThatEscapesIsRefused() {
        #expect(configurationError(config(prefix: "../up"))?.message.contains("storage.prefix") == true)
    }

    @Test func credentialSourceNamesTheVariablesNotTheirValues() throws {
        let storage = try s3(config())
        #expect(storage.credentialSource == "access_key_env S3_ACCESS_KEY / secret_key_env S3_SECRET_KEY")
    }
}

// MARK: HTTP

@Suite("StorageFactory HTTP configuration")
struct StorageFactoryHTTPTests {
    @Test(
        "a missing variable names the setting that names it",
        arguments: [
            (
                "storage.user_env",
                HTTPStorageConfig(url: "http://127.0.0.1:1/r/", userEnvironmentVariable: "NOPE_U", passwordEnvironmentVariable: "P")
            ),
            (
                "storage.password_env",
                HTTPStorageConfig(url: "http://127.0.0.1:1/r/", userEnvironmentVariable: "U", passwordEnvironmentVariable: "NOPE_P")
            ),
            ("storage.token_env", HTTPStorageConfig(url: "http://127.0.0.1:1/r/", tokenEnvironmentVariable: "NOPE_T")),
        ])
    func missingVariable(setting: String, config: HTTPStorageConfig) throws {
        let error = #expect(throws: StorageError.self) {
            _ = try makeStorage(.http(config), environment: ["U": "user", "P": "secret-password"])
        }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains(setting) == true)
        #expect(error?.message.contains("secret-password") == false)
    }

    @Test("a URL holding credentials or not http(s) is refused without echoing the password")
    func badURL() throws {
        for url in ["ftp://host/repo/", "not a url", "http://user:hunter2pass@host/repo/"] {
            let error = #expect(throws: StorageError.self) { _ = try makeStorage(.http(HTTPStorageConfig(url: url)), environment: [:]) }
            #expect(error?.code == .configuration)
            #expect(error?.message.contains("storage.url") == true)
            #expect(error.map { "\($0)" }?.contains("hunter2pass") == false)
        }
    }

    @Test("keys are percent-encoded segment by segment and the base URL gains a trailing slash")
    func urls() throws {
        let storage = try #require(
            try makeStorage(.http(HTTPStorageConfig(url: "http://127.0.0.1:1/repo")), environment: [:]) as? HTTPStorage)
        #expect(storage.baseURL.absoluteString == "http://127.0.0.1:1/repo/")
        #expect(try storage.url(of: "a b/ä+?.bin") == "http://127.0.0.1:1/repo/a%20b/%C3%A4%2B%3F.bin")
        #expect(throws: StorageError.self) { _ = try storage.url(of: "../escape") }
    }
}

/// The WebDAV server that `scripts/services/nginx-dav.sh` starts.
private enum FactoryDAVServer {
    static var url: String? { ProcessInfo.processInfo.environment["BACKUPKIT_DAV_URL"] }
    static var isAvailable: Bool {
        let environment = ProcessInfo.processInfo.environment
        return url != nil && environment["BACKUPKIT_DAV_USER"] != nil && environment["BACKUPKIT_DAV_PASSWORD"] != nil
    }
}

@Suite(.enabled(if: FactoryDAVServer.isAvailable, "set BACKUPKIT_DAV_* (scripts/services/nginx-dav.sh)"))
struct StorageFactoryHTTPServerTests {
    @Test("a wrong password is permissionDenied naming the settings, without the password")
    func wrongPassword() async throws {
        let password = "wrong-\(UUID().uuidString)"
        let url = FactoryDAVServer.url ?? ""
        let config = HTTPStorageConfig(url: url, userEnvironmentVariable: "DAV_USER", passwordEnvironmentVariable: "DAV_PASSWORD")
        let storage = try makeStorage(.http(config), environment: ["DAV_USER": "backupkit", "DAV_PASSWORD": password])
        for operation in ["put", "head", "list"] {
            let error = await #expect(throws: StorageError.self) {
                switch operation {
                case "put": try await storage.put([1, 2, 3], at: "denied.bin")
                case "head": _ = try await storage.head("denied.bin")
                default: _ = try await storage.list(prefix: "", after: nil, limit: 1)
                }
            }
            #expect(error?.code == .permissionDenied)
            let text = "\(error.map { "\($0)" } ?? "")"
            #expect(text.contains("storage.user_env/storage.password_env"))
            // The storage names its URL; the factory names the settings holding the credentials.
            #expect(text.contains("authentication failed for \(url.hasSuffix("/") ? url : url + "/")"))
            #expect(!text.contains(password))
        }
    }
}

// MARK: Local

struct StorageFactoryLocalTests {
    private let now = Date(timeIntervalSince1970: 1_795_600_000)

    @Test("short secrets and unset variables are refused naming the setting, without the secret")
    func configuration() throws {
        let config = LocalStorageConfig(path: "/tmp/x", linkSecretEnvironmentVariable: "LINK_SECRET", linkBaseURL: "https://h/d")
        #expect(try makeStorage(.local(LocalStorageConfig(path: "/tmp/x")), environment: [:]) is LocalStorage)
        let unset = #expect(throws: StorageError.self) { _ = try makeStorage(.local(config), environment: [:]) }
        #expect(unset?.message.contains("storage.link_secret_env") == true)
        let short = #expect(throws: StorageError.self) {
            _ = try makeStorage(.local(config), environment: ["LINK_SECRET": "too-short-secret"])
        }
        #expect(short?.message.contains("storage.link_secret_env") == true)
        #expect(short.map { "\($0)" }?.contains("too-short-secret") == false)
        let noBase = LocalStorageConfig(path: "/tmp/x", linkSecretEnvironmentVariable: "LINK_SECRET")
        let missing = #expect(throws: StorageError.self) {
            _ = try makeStorage(.local(noBase), environment: ["LINK_SECRET": String(repeating: "s", count: 40)])
        }
        #expect(missing?.message.contains("storage.link_base_url") == true)
        let configured = try #require(
            try makeStorage(.local(config), environment: ["LINK_SECRET": String(repeating: "s", count: 40)])
                as? SignedLocalStorage)
        #expect(configured.signer.baseURL.absoluteString == "https://h/d")
    }

    @Test("built from a configuration, the storage issues links its environment's secret verifies")
    func fromConfiguration() async throws {
        try await withFactoryFolder { folder in
            let config = LocalStorageConfig(path: folder, linkSecretEnvironmentVariable: "S", linkBaseURL: "http://127.0.0.1/dl")
            let storage = try #require(
                try makeStorage(.local(config), environment: ["S": String(repeating: "k", count: 32)]) as? SignedLocalStorage)
            let link = try storage.downloadLink(for: "a", lifetime: 5, now: now)
            #expect(try storage.signer.verify(link, now: now) == "a")
            #expect(throws: StorageError.self) {
                _ = try Engine.makeLinkIssuer(.local(LocalStorageConfig(path: folder)), logger: factoryLogger, environment: [:])
            }
        }
    }
}
