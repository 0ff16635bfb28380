import Foundation
import Testing

@testable import RemoteStorage

struct S3StorageOptionsTests {
    @Test func providerPresetsAddressTheBucket() throws {
        let cos = try S3Storage.endpoint(
            provider: .tencentCOS, endpoint: nil, region: "ap-guangzhou", bucket: "backups-1250000000", pathStyle: nil)
        #expect(cos.url(for: "k").absoluteString == "https://backups-1250000000.cos.ap-guangzhou.myqcloud.com/k")
        let aws = try S3Storage.endpoint(provider: .aws, endpoint: nil, region: "eu-west-1", bucket: "backups", pathStyle: nil)
        #expect(aws.url(for: "k").absoluteString == "https://backups.s3.eu-west-1.amazonaws.com/k")
        let local = try #require(URL(string: "http://127.0.0.1:18333"))
        let minio = try S3Storage.endpoint(provider: .minio, endpoint: local, region: "us-east-1", bucket: "backups", pathStyle: nil)
        #expect(minio.url(for: "k").absoluteString == "http://127.0.0.1:18333/backups/k")
    }

    @Test func unusableValuesAreRefusedInStorageTerms() throws {
        let empty = #expect(throws: StorageError.self) {
            _ = try S3Storage.endpoint(provider: .aws, endpoint: nil, region: "us-east-1", bucket: "", pathStyle: nil)
        }
        #expect(empty?.message == "the bucket name is empty")
        let minio = #expect(throws: StorageError.self) {
            _ = try S3Storage.endpoint(provider: .minio, endpoint: nil, region: "us-east-1", bucket: "backups", pathStyle: nil)
        }
        #expect(minio?.message.contains("storage.") == false)
        let withUser = try #require(URL(string: "http://user:pw-secret@127.0.0.1:9000"))
        let credentials = #expect(throws: StorageError.self) {
            _ = try S3Storage.endpoint(provider: .minio, endpoint: withUser, region: "us-east-1", bucket: "backups", pathStyle: nil)
        }
        #expect(credentials.map { "\($0)" }?.contains("pw-secret") == false)
        #expect(throws: StorageError.self) { _ = try S3Storage.downloadDomain("ftp://dl.example.com") }
        #expect(try S3Storage.downloadDomain("dl.example.com")?.absoluteString == "https://dl.example.com")
        #expect(try S3Storage.downloadDomain("  ") == nil)
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
