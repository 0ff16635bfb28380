import BackupCatalog
import BackupModels
import Foundation
import Logging
import Testing

@testable import RemoteStorage

#if canImport(Glibc)
    import Glibc
#endif

/// SIGTERM sent to the real `backup` executable while it uploads to S3 (SeaweedFS) through a bandwidth limit.
@Suite(
    "backup run and SIGTERM on S3",
    .enabled(if: S3Fixture.isAvailable, "set BACKUPKIT_S3_* (scripts/services/seaweedfs.sh starts SeaweedFS and writes them)"))
struct SignalS3Tests {
    static var binary: String {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("backup").path,
            repository + "/.build/debug/backup",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    /// A scratch folder with `src/big.bin` of `fileSize` random bytes and a `plan.yaml` backing it up to the
    /// SeaweedFS bucket through a bandwidth limit.
    static func planFolder(_ name: String, bucket: String, fileSize: Int, bandwidth: String) throws -> Scratch {
        let scratch = Scratch(name)
        try FileManager.default.createDirectory(atPath: scratch.sub("src"), withIntermediateDirectories: true)
        let created = FileManager.default.createFile(atPath: scratch.sub("src/big.bin"), contents: try randomBytes(fileSize))
        #expect(created)
        let environment = ProcessInfo.processInfo.environment
        let plan = """
            plan: signal
            catalog: ./catalog.sqlite
            storage: {type: s3, endpoint: "\(environment["BACKUPKIT_S3_ENDPOINT"] ?? "")", region: us-east-1,
                      bucket: \(bucket), path_style: true, access_key_env: BACKUPKIT_S3_ACCESS_KEY,
                      secret_key_env: BACKUPKIT_S3_SECRET_KEY, bandwidth_limit: \(bandwidth)}
            sources:
              - {name: data, type: files, paths: [./src]}
            compression: {algorithm: none}

            """
        try Data(plan.utf8).write(to: URL(fileURLWithPath: scratch.sub("plan.yaml")))
        return scratch
    }

    @Test("SIGTERM mid-multipart-upload: exit 143, record failed 'interrupted by SIGTERM', no object and no multipart upload remain")
    func sigtermDuringS3Upload() async throws {
        try await S3Fixture.withStorage { storage in
            // 40 s of upload at 1 MiB/s: the window in which the poll below must see the upload, even when a loaded
            // machine runs it late (a CI run once saw it only after a 2 MiB/s upload had finished).
            let scratch = try Self.planFolder("signal-s3", bucket: storage.endpoint.bucket, fileSize: 40 << 20, bandwidth: "1MiB")

            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["run", "--plan", "plan.yaml", "--time", "2026-11-25T01:30:00Z"]
            process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()

            var uploading = false
            for _ in 0..<1_200 where !uploading {
                try await Task.sleep(for: .milliseconds(50))
                uploading = !(try await storage.pendingUploads(prefix: "", key: nil)).isEmpty
            }
            #expect(uploading, "the run never started a multipart upload")
            kill(process.processIdentifier, SIGTERM)
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    process.waitUntilExit()
                    continuation.resume()
                }
            }
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 143)

            let catalog = try SQLiteCatalog(path: scratch.sub("catalog.sqlite"))
            let records = try await catalog.records(RecordQuery(plan: "signal"))
            #expect(records.map(\.state) == [.failed])
            #expect(records.first?.failureReason?.contains("interrupted by SIGTERM") == true, "\(records)")
            #expect(try await storage.pendingUploads(prefix: "", key: nil).isEmpty, "the multipart upload was aborted")
            var objects: [String] = []
            for try await object in storage.listAll(prefix: "") { objects.append(object.key) }
            #expect(objects.isEmpty, "nothing stays in the bucket: \(objects)")
        }
    }

    @Test("SIGTERM during a restore from S3 (downloads throttled): exit 143, and the restore does not report success")
    func sigtermDuringS3Restore() async throws {
        try await S3Fixture.withStorage { storage in
            let scratch = try Self.planFolder("signal-s3-restore", bucket: storage.endpoint.bucket, fileSize: 6 << 20, bandwidth: "1MiB")
            let backup = try await Self.run(["run", "--plan", "plan.yaml", "--time", "2026-11-25T01:30:00Z"], in: scratch.path)
            #expect(backup.status == 0, "\(backup.output)")

            try FileManager.default.createDirectory(atPath: scratch.sub("target"), withIntermediateDirectories: true)
            let outputFile = scratch.sub("restore.out")
            _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
            let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.binary)
            process.arguments = ["restore", "--plan", "plan.yaml", "20261125-013000F", "--to", "target/out"]
            process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
            process.standardOutput = output
            process.standardError = output
            try process.run()
            // The restore has begun once something appears beside the target; the download then takes seconds.
            var started = false
            for _ in 0..<2_400 where !started && process.isRunning {
                try await Task.sleep(for: .milliseconds(5))
                started = !((try? FileManager.default.contentsOfDirectory(atPath: scratch.sub("target"))) ?? []).isEmpty
            }
            #expect(started, "the restore never began")
            kill(process.processIdentifier, SIGTERM)
            await Self.waitForExit(process)
            try output.close()
            let text = try String(contentsOfFile: outputFile, encoding: .utf8)
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 143, "\(text)")
            #expect(text.contains("error: interrupted by SIGTERM"), "\(text)")
            #expect(!text.contains("restored data"), "the restore was cancelled, not completed: \(text)")
        }
    }

    static func waitForExit(_ process: Process) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
    }

    /// Runs `backup` to completion; standard output and error together.
    static func run(_ arguments: [String], in directory: String) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let file = directory + "/.run-\(UUID().uuidString.prefix(8))"
        _ = FileManager.default.createFile(atPath: file, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        await waitForExit(process)
        try handle.close()
        return (process.terminationStatus, try String(contentsOfFile: file, encoding: .utf8))
    }

    /// `count` random bytes from /dev/urandom (fast, unlike a byte-by-byte generator in a debug build).
    static func randomBytes(_ count: Int) throws -> Data {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
        defer { try? handle.close() }
        var data = Data()
        while data.count < count, let chunk = try handle.read(upToCount: count - data.count), !chunk.isEmpty {
            data.append(chunk)
        }
        return data
    }
}
