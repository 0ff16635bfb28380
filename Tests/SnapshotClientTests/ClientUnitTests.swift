import Foundation
import Testing

@testable import SnapshotClient

/// Errors, names, settings, retries and paging without a cluster.
struct ClientUnitTests {
    @Test("legacy string errors are split into type and reason")
    func legacyErrorString() {
        let body = Data(#"{"error":"SnapshotMissingException[[backups:snap_1] is missing]","status":404}"#.utf8)
        let error = SnapshotClient.clusterError(status: 404, body: body, action: "get snapshot", request: "GET /x")
        #expect(error.type == "snapshot_missing_exception")
        #expect(error.reason == "[backups:snap_1] is missing")
        #expect(error.isSnapshotMissing)
    }

    @Test("plain-text 401 bodies (OpenSearch) are security errors")
    func plainText401() {
        let error = SnapshotClient.clusterError(status: 401, body: Data("Unauthorized".utf8), action: "read info", request: nil)
        #expect(error.isSecurity)
        #expect(error.reason == "Unauthorized")
        #expect(error.status == 401)
    }

    @Test("6.x's illegal_argument_exception for deleting an index under snapshot means snapshot in progress")
    func legacySnapshotInProgress() {
        let body = Data(
            #"{"error":{"root_cause":[],"type":"illegal_argument_exception","reason":"Cannot delete indices that are being snapshotted: [[logs/abc]]"},"status":400}"#
                .utf8)
        let error = SnapshotClient.clusterError(status: 400, body: body, action: "delete", request: nil)
        #expect(error.isSnapshotInProgress)
    }

    @Test("an unknown cluster error passes through with its type and reason")
    func passThrough() {
        let body = Data(#"{"error":{"type":"circuit_breaking_exception","reason":"[parent] Data too large"},"status":429}"#.utf8)
        let error = SnapshotClient.clusterError(status: 429, body: body, action: "list", request: nil)
        #expect(error.code == .cluster)
        #expect(error.type == "circuit_breaking_exception")
        #expect(error.description.contains("Data too large"))
    }

    @Test(
        "invalid snapshot names are refused before sending, naming the name",
        arguments: [
            "", "Upper", "_hidden", "a b", "a/b", "a*b", "a?b", "a\"b", "a<b", "a>b", "a|b", "a,b", "a#b", "a\\b",
            String(repeating: "x", count: 256),
        ])
    func invalidNames(name: String) {
        #expect {
            try NameValidation.validate(name, kind: "snapshot")
        } throws: { error in
            guard let error = error as? SnapshotClientError else { return false }
            return error.code == .invalidName && error.message.contains("'\(name)'")
        }
    }

    @Test("valid names pass", arguments: ["logs_snapshot_20261125", "a-b.c+d", "x", String(repeating: "y", count: 255)])
    func validNames(name: String) throws {
        try NameValidation.validate(name, kind: "snapshot")
    }

    @Test("COS buckets are sent without the -appid suffix, with app_id")
    func cosBucket() {
        let settings = RepositorySettings.cos(
            bucket: "archive-1250000000", appID: "1250000000", region: "ap-guangzhou", basePath: "es", compress: true,
            chunkSize: "500mb", accessKeyID: "AKID", accessKeySecret: "very-secret")
        #expect(settings.type == "cos")
        #expect(settings.settings["bucket"] == "archive")
        #expect(settings.settings["app_id"] == "1250000000")
        #expect(settings.settings["compress"] == true)
        #expect(settings.settings["chunk_size"] == "500mb")
        #expect(!settings.description.contains("very-secret"))
        #expect(RepositorySettings.cos(bucket: "archive", appID: "1250000000", region: "r").settings["bucket"] == "archive")
    }

    @Test("typed settings use the plugins' snake_case keys and leave unset values out")
    func typedSettings() {
        #expect(RepositorySettings.fs(location: "/mnt/b", compress: true).settings == ["location": "/mnt/b", "compress": true])
        let s3 = RepositorySettings.s3(bucket: "b", region: "us-east-1", basePath: "p", endpoint: "minio:9000", pathStyleAccess: true)
        #expect(
            s3.settings == ["bucket": "b", "region": "us-east-1", "base_path": "p", "endpoint": "minio:9000", "path_style_access": true])
        #expect(RepositorySettings.hdfs(uri: "hdfs://nn:8020", path: "/es").settings == ["uri": "hdfs://nn:8020", "path": "/es"])
        #expect(RepositorySettings.url(url: "http://x/repo").settings == ["url": "http://x/repo"])
        #expect(RepositorySettings.azure(container: "c", basePath: "p").settings == ["container": "c", "base_path": "p"])
        #expect(RepositorySettings.gcs(bucket: "g", client: "secondary").settings == ["bucket": "g", "client": "secondary"])
        #expect(RepositorySettings.custom(type: "source", settings: ["delegate_type": "fs"]).type == "source")
    }

    @Test("credentials never appear in descriptions; URL user info becomes basic auth and is stripped")
    func credentialsAreHidden() throws {
        #expect(!SnapshotClient.Credentials.basic(username: "elastic", password: "pw-123").description.contains("pw-123"))
        #expect(!SnapshotClient.Credentials.apiKey("c2VjcmV0").description.contains("c2VjcmV0"))
        let client = try SnapshotClient(configuration: .init(url: "https://elastic:pw-123@es.example.com:9200/"))
        #expect(client.redactedURL == "https://es.example.com:9200")
        #expect(client.target.authorization == "Basic " + Data("elastic:pw-123".utf8).base64EncodedString())
        #expect(SnapshotClient.Credentials.apiKey(id: "id", key: "key") == .apiKey(Data("id:key".utf8).base64EncodedString()))
    }

    @Test("a URL that is not http(s) is refused without echoing credentials")
    func badURL() {
        #expect {
            _ = try SnapshotClient(configuration: .init(url: "ftp://user:secret@host"))
        } throws: { error in
            String(describing: error).contains("host") && !String(describing: error).contains("secret")
        }
    }

    @Test("retry delays grow exponentially, are capped, and jitter only shortens them")
    func retryDelays() {
        let policy = SnapshotClient.RetryPolicy(
            maxAttempts: 5, initialDelay: .milliseconds(100), maximumDelay: .milliseconds(350), jitter: 0.5)
        #expect(policy.delay(afterAttempt: 1, random: 0) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 2, random: 0) == .milliseconds(200))
        #expect(policy.delay(afterAttempt: 3, random: 0) == .milliseconds(350))
        #expect(policy.delay(afterAttempt: 2, random: 1) == .milliseconds(100))
    }

    @Test("name chunks keep each joined list within the budget")
    func chunking() {
        let names = (0..<500).map { "restore_logs-2026.11.\(String(format: "%03d", $0))" }
        let chunks = SnapshotClient.chunks(names, budget: 300)
        #expect(chunks.flatMap { $0 } == names)
        for chunk in chunks { #expect(chunk.joined(separator: ",").utf8.count <= 300) }
        #expect(chunks.count > 1)
    }

    @Test("client-side paging sorts, slices and hands back a cursor it accepts")
    func clientPaging() {
        let snapshots = (0..<5).map { index in
            SnapshotInfo(name: "snap_\(index)", state: .success, startTime: Date(timeIntervalSince1970: Double(10 - index)))
        }
        let first = SnapshotClient.slice(snapshots, page: SnapshotPage(size: 2), start: 0)
        #expect(first.snapshots.map(\.name) == ["snap_4", "snap_3"])
        #expect(first.total == 5)
        #expect(first.remaining == 3)
        let next = first.next
        #expect(next != nil)
        let offset = next.flatMap(SnapshotClient.clientCursorOffset)
        let second = SnapshotClient.slice(snapshots, page: SnapshotPage(size: 2, after: next), start: offset ?? -1)
        #expect(second.snapshots.map(\.name) == ["snap_2", "snap_1"])
        let byName = SnapshotClient.slice(snapshots, page: SnapshotPage(size: 10, sort: .name, descending: true), start: 0)
        #expect(byName.snapshots.first?.name == "snap_4")
        #expect(byName.next == nil)
    }

    @Test("version parsing and comparison")
    func versions() {
        #expect(ClusterVersion("7.10.2-SNAPSHOT") == ClusterVersion(7, 10, 2))
        #expect(ClusterVersion("6.0.0-beta1").map { $0 < ClusterVersion(6, 1) } == true)
        #expect(ClusterVersion("garbage") == nil)
        #expect(ClusterVersion(7, 17) < ClusterVersion(8, 0))
    }
}
