// Uploads a file to, or downloads an object from, an S3-compatible bucket with `S3Storage`, for
// Benchmarks/s3.sh. Keys come from BACKUPKIT_S3_ACCESS_KEY / BACKUPKIT_S3_SECRET_KEY.
//
//   bench-s3 upload   <endpoint> <bucket> <key> <file>
//   bench-s3 download <endpoint> <bucket> <key> <file>

import Foundation
import RemoteStorage

@main
struct BenchS3 {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 6, ["upload", "download"].contains(arguments[1]) else {
            FileHandle.standardError.write(Data("usage: bench-s3 upload|download ENDPOINT BUCKET KEY FILE\n".utf8))
            exit(2)
        }
        let (mode, endpoint, bucket, key, file) = (arguments[1], arguments[2], arguments[3], arguments[4], arguments[5])
        let environment = ProcessInfo.processInfo.environment
        guard let server = URL(string: endpoint), let access = environment["BACKUPKIT_S3_ACCESS_KEY"],
            let secret = environment["BACKUPKIT_S3_SECRET_KEY"]
        else {
            FileHandle.standardError.write(Data("bench-s3: set BACKUPKIT_S3_ACCESS_KEY and BACKUPKIT_S3_SECRET_KEY\n".utf8))
            exit(2)
        }
        // PARTS_IN_FLIGHT tries another upload concurrency than the default.
        var options = S3StorageOptions()
        if let parts = environment["PARTS_IN_FLIGHT"].flatMap({ Int($0) }) { options.partsInFlight = parts }
        let storage = try S3Storage(
            endpoint: try S3Endpoint(endpoint: server, bucket: bucket, region: "us-east-1", pathStyle: true),
            credentials: S3Credentials(accessKeyID: access, secretAccessKey: secret), options: options)
        let url = URL(fileURLWithPath: file)
        if mode == "upload" {
            let folder = try LocalStorage(root: url.deletingLastPathComponent().path)
            let body = try await folder.get(url.lastPathComponent)
            let info = try await storage.put(body, at: key, options: .overwrite)
            print("uploaded \(info.sizeBytes) bytes")
        } else {
            _ = FileManager.default.createFile(atPath: file, contents: nil)
            let handle = try FileHandle(forWritingTo: url)
            var total = 0
            for try await chunk in try await storage.get(key) {
                try handle.write(contentsOf: chunk)
                total += chunk.count
            }
            try handle.close()
            print("downloaded \(total) bytes")
        }
    }
}
