import BackupEngine
import BackupModels
import BackupPlans
import Foundation
import Logging
import RemoteStorage
import Testing

/// `backup check` against the real SeaweedFS (S3, with its read-only identity) and nginx (WebDAV).
@Suite("Preflight: S3 and WebDAV storage")
struct RemotePreflightTests {
    static let s3Reason = "set BACKUPKIT_S3_* (scripts/services/seaweedfs.sh starts SeaweedFS and writes them)"
    static var hasS3: Bool {
        [
            "BACKUPKIT_S3_ENDPOINT", "BACKUPKIT_S3_ACCESS_KEY", "BACKUPKIT_S3_SECRET_KEY", "BACKUPKIT_S3_READONLY_ACCESS_KEY",
            "BACKUPKIT_S3_READONLY_SECRET_KEY",
        ].allSatisfy { Services.value($0) != nil }
    }
    static var hasDAV: Bool {
        ["BACKUPKIT_DAV_URL", "BACKUPKIT_DAV_USER", "BACKUPKIT_DAV_PASSWORD"].allSatisfy { Services.value($0) != nil }
    }

    /// The S3 variables under the names plans use, with the read-write or the read-only key pair.
    static func s3Environment(readOnly: Bool = false, secret: String? = nil) -> [String: String] {
        let prefix = readOnly ? "BACKUPKIT_S3_READONLY_" : "BACKUPKIT_S3_"
        return [
            "CHECK_S3_ACCESS": Services.value(prefix + "ACCESS_KEY") ?? "",
            "CHECK_S3_SECRET": secret ?? Services.value(prefix + "SECRET_KEY") ?? "",
        ]
    }

    static var secrets: [String?] {
        ["BACKUPKIT_S3_SECRET_KEY", "BACKUPKIT_S3_READONLY_SECRET_KEY", "BACKUPKIT_DAV_PASSWORD"].map(Services.value)
    }

    static func s3Yaml(bucket: String, endpoint: String? = nil) -> String {
        """
        plan: check-s3
        catalog: ./catalog.sqlite
        storage: {type: s3, provider: minio, endpoint: "\(endpoint ?? Services.value("BACKUPKIT_S3_ENDPOINT") ?? "")",
                  region: \(Services.value("BACKUPKIT_S3_REGION") ?? "us-east-1"), bucket: \(bucket), prefix: check/nightly,
                  access_key_env: CHECK_S3_ACCESS, secret_key_env: CHECK_S3_SECRET}
        sources:
          - {name: config, type: files, paths: [./config]}
        """
    }

    /// Runs `body` with a fresh bucket (named check-…), emptied and removed afterwards.
    static func withBucket(_ body: (String) async throws -> Void) async throws {
        let bucket = "check-" + UUID().uuidString.prefix(12).lowercased()
        let scratch = try PreflightScratch()
        let plan = try scratch.plan(s3Yaml(bucket: bucket))
        var logger = Logger(label: "preflight-tests")
        logger.logLevel = .critical
        let storage = try #require(try Engine.makeStorage(plan.storage, logger: logger, environment: s3Environment()) as? S3Storage)
        try await storage.createBucket()
        do {
            try await body(bucket)
        } catch {
            try? await empty(storage)
            throw error
        }
        try await empty(storage)
    }

    private static func empty(_ storage: S3Storage) async throws {
        for try await object in storage.listAll(prefix: "") { try await storage.delete(object.key) }
        try await storage.deleteBucket()
    }

    @Test("S3 with a read-write key: every storage check is ok, clock skew and presigned links included")
    func s3Correct() async throws {
        guard Self.hasS3 else {
            print("skipped: \(Self.s3Reason)")
            return
        }
        try await Self.withBucket { bucket in
            let scratch = try PreflightScratch()
            try scratch.write("config/app.yaml", "a: 1\n")
            let results = await scratch.check(try scratch.plan(Self.s3Yaml(bucket: bucket)), environment: Self.s3Environment())
            #expect(notOK(results).isEmpty, "\(notOK(results))")
            for check in ["reachable", "credentials", "location", "clock_skew", "write", "read", "list", "links", "delete"] {
                #expect(results.result("storage", check)?.status == .ok, "storage \(check)")
            }
            expectNoSecret(results, Self.secrets)
        }
    }

    @Test("S3 with the read-only identity: the probe write fails, naming s3:PutObject")
    func s3ReadOnly() async throws {
        guard Self.hasS3 else {
            print("skipped: \(Self.s3Reason)")
            return
        }
        try await Self.withBucket { bucket in
            let scratch = try PreflightScratch()
            try scratch.write("config/app.yaml", "a: 1\n")
            let results = await scratch.check(
                try scratch.plan(Self.s3Yaml(bucket: bucket)), environment: Self.s3Environment(readOnly: true))
            #expect(results.result("storage", "credentials")?.status == .ok, "\(results)")
            let write = expectFailed(results, "storage", "write")
            #expect(write?.fix?.contains("s3:PutObject") == true)
            #expect(results.result("storage", "delete") == nil)
            expectNoSecret(results, Self.secrets)
        }
    }

    @Test("S3 with a wrong secret fails credentials; a missing bucket and an unreachable endpoint fail with their fixes")
    func s3Refusals() async throws {
        guard Self.hasS3 else {
            print("skipped: \(Self.s3Reason)")
            return
        }
        let scratch = try PreflightScratch()
        try scratch.write("config/app.yaml", "a: 1\n")
        try await Self.withBucket { bucket in
            let wrong = "wrong-secret-\(UUID().uuidString)"
            let results = await scratch.check(
                try scratch.plan(Self.s3Yaml(bucket: bucket)), environment: Self.s3Environment(secret: wrong))
            let credentials = expectFailed(results, "storage", "credentials")
            #expect(credentials?.fix?.contains("secret_key_env") == true)
            #expect(results.result("storage", "write") == nil)
            expectNoSecret(results, Self.secrets + [wrong])
        }
        let missing = await scratch.check(
            try scratch.plan(Self.s3Yaml(bucket: "check-no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())")),
            environment: Self.s3Environment())
        let bucket = expectFailed(missing, "storage", "location")
        #expect(bucket?.fix?.contains("create the bucket") == true, "\(String(describing: bucket))")

        let started = ContinuousClock.now
        let unreachable = await scratch.check(
            try scratch.plan(Self.s3Yaml(bucket: "check-any", endpoint: "http://127.0.0.1:9")), environment: Self.s3Environment(),
            reachDeadline: .seconds(5))
        expectFailed(unreachable, "storage", "reachable")
        #expect(ContinuousClock.now - started < .seconds(20), "the check gives up within its deadline")
    }

    @Test("S3: a clock 20 minutes off fails clock_skew (SigV4 allows 15)")
    func s3ClockSkew() async throws {
        guard Self.hasS3 else {
            print("skipped: \(Self.s3Reason)")
            return
        }
        try await Self.withBucket { bucket in
            let scratch = try PreflightScratch()
            try scratch.write("config/app.yaml", "a: 1\n")
            // The checks' clock runs 20 minutes ahead; requests are still signed with the real clock.
            let results = await scratch.check(
                try scratch.plan(Self.s3Yaml(bucket: bucket)), environment: Self.s3Environment(),
                now: Date().addingTimeInterval(20 * 60))
            let skew = expectFailed(results, "storage", "clock_skew")
            #expect(skew?.detail.contains("ahead of") == true)
            #expect(skew?.fix?.contains("NTP") == true)
        }
    }

    static func davYaml(user: String = "CHECK_DAV_USER") -> String {
        """
        plan: check-dav
        catalog: ./catalog.sqlite
        storage: {type: http, url: "\(Services.value("BACKUPKIT_DAV_URL") ?? "")check-\(UUID().uuidString.prefix(8).lowercased())/",
                  user_env: \(user), password_env: CHECK_DAV_PASSWORD}
        sources:
          - {name: config, type: files, paths: [./config]}
        """
    }

    @Test("WebDAV: correct credentials are all ok; a wrong password fails credentials")
    func webDAV() async throws {
        guard Self.hasDAV else {
            print("skipped: set BACKUPKIT_DAV_* (scripts/services/nginx-dav.sh starts nginx and writes them)")
            return
        }
        let scratch = try PreflightScratch()
        try scratch.write("config/app.yaml", "a: 1\n")
        let environment = [
            "CHECK_DAV_USER": Services.value("BACKUPKIT_DAV_USER") ?? "",
            "CHECK_DAV_PASSWORD": Services.value("BACKUPKIT_DAV_PASSWORD") ?? "",
        ]
        let results = await scratch.check(try scratch.plan(Self.davYaml()), environment: environment)
        #expect(notOK(results).isEmpty, "\(notOK(results))")
        for check in ["reachable", "credentials", "clock_skew", "write", "read", "list", "delete"] {
            #expect(results.result("storage", check)?.status == .ok, "storage \(check)")
        }
        var wrong = environment
        wrong["CHECK_DAV_PASSWORD"] = "not-the-password"
        let refused = await scratch.check(try scratch.plan(Self.davYaml()), environment: wrong)
        expectFailed(refused, "storage", "credentials")
        expectNoSecret(results + refused, Self.secrets)
    }
}
