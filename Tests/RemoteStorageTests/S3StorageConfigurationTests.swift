import BackupModels
import Foundation
import Testing

@testable import RemoteStorage

struct S3StorageConfigurationTests {
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

    private func configurationError(_ config: S3StorageConfig, environment: [String: String]? = nil) -> StorageError? {
        do {
            _ = try S3Storage(config: config, environment: environment ?? self.environment)
            return nil
        } catch {
            return error as? StorageError
        }
    }

    @Test func cosUsesTheVirtualHostedBucketDomain() throws {
        let storage = try S3Storage(
            config: config(provider: .tencentCOS, region: "ap-guangzhou", bucket: "backups-1250000000", prefix: "bklog"),
            environment: environment)
        #expect(storage.endpoint.url(for: "a b").absoluteString == "https://backups-1250000000.cos.ap-guangzhou.myqcloud.com/a%20b")
        #expect(storage.prefix == "bklog/")
    }

    @Test func awsWithoutEndpointIsVirtualHosted() throws {
        let storage = try S3Storage(config: config(region: "eu-west-1"), environment: environment)
        #expect(storage.endpoint.url(for: "k").absoluteString == "https://backups.s3.eu-west-1.amazonaws.com/k")
    }

    @Test(arguments: [S3StorageConfig.Provider.minio, .aws])
    func selfHostedEndpointsArePathStyle(provider: S3StorageConfig.Provider) throws {
        let storage = try S3Storage(
            config: config(provider: provider, endpoint: "http://127.0.0.1:18333"), environment: environment)
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
        try await withTemporaryFolder { folder in
            let path = folder + "/s3-credentials"
            try "access_key = AKIDFILE\nsecret_key = file-secret-value\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            let error = configurationError(config(access: nil, secret: nil, file: path), environment: [:])
            #expect(error?.code == .configuration)
            #expect(error?.message.contains(path) == true)
            #expect(error?.message.contains("chmod 600") == true)
            #expect(error.map { "\($0)" }?.contains("file-secret-value") == false)

            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            let storage = try S3Storage(config: config(access: nil, secret: nil, file: path), environment: [:])
            #expect(storage.signer.credentials.accessKeyID == "AKIDFILE")
            #expect(storage.signer.credentials.secretAccessKey == "file-secret-value")
        }
    }

    @Test func credentialsFileWithoutSecretIsRefused() async throws {
        try await withTemporaryFolder { folder in
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
        let storage = try S3Storage(config: settings, environment: environment)
        #expect(storage.options.bandwidthLimiter?.bytesPerSecond == 1_000_000)
    }

    @Test func prefixThatEscapesIsRefused() {
        #expect(configurationError(config(prefix: "../up"))?.message.contains("storage.prefix") == true)
    }

    @Test func partSizesGrowSoTenThousandPartsHoldFiveTebibytes() {
        let options = S3StorageOptions()
        #expect(options.partSize(ofPart: 1) == 8 << 20)
        #expect(options.partSize(ofPart: 1000) == 8 << 20)
        #expect(options.partSize(ofPart: 1001) == 16 << 20)
        let total = (1...S3StorageOptions.maximumPartCount).reduce(Int64(0)) { $0 + Int64(options.partSize(ofPart: $1)) }
        #expect(total >= 5 << 40)
        #expect(
            (1...S3StorageOptions.maximumPartCount).allSatisfy {
                options.partSize(ofPart: $0) <= 5 << 30 && options.partSize(ofPart: $0) <= Int(UInt32.max)
            })
    }
}
