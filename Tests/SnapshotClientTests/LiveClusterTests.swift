import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SnapshotClient
import Testing

/// The workflow against a real cluster, when `ES_URL` is set (`ES_USER`/`ES_PASSWORD` or `ES_API_KEY`
/// optional; `ES_REPO_PATH`, default `/tmp/es-repo`, must be allowed by the cluster's `path.repo`).
@Suite(.enabled(if: LiveCluster.isAvailable, "set ES_URL (and ES_USER/ES_PASSWORD or ES_API_KEY) to run against a real cluster"))
struct LiveClusterTests {
    @Test("info, fs repository, snapshot, status, restore as restore_*, then delete everything created")
    func lifecycle() async throws {
        let client = try LiveCluster.client()
        let info = try await client.info()
        print("live cluster: \(info.distribution.rawValue) \(info.version) '\(info.clusterName)'")
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let repository = "backupkit_live_\(suffix)"
        let index = "backupkit-live-\(suffix)"
        let snapshot = "backupkit_live_snapshot_\(suffix)"
        let restored = "restore_\(index)"
        try await LiveCluster.raw(.PUT, "/\(index)", body: #"{"settings":{"number_of_shards":1,"number_of_replicas":0}}"#)
        do {
            try await LiveCluster.raw(.POST, "/\(index)/_doc?refresh=true", body: #"{"@timestamp":"2025-11-25T10:00:00Z","message":"a"}"#)
            try await LiveCluster.raw(.POST, "/\(index)/_doc?refresh=true", body: #"{"@timestamp":"2025-11-25T12:00:00Z","message":"b"}"#)
            try await client.createRepository(named: repository, settings: .fs(location: LiveCluster.repositoryPath))
            #expect(try await !client.verifyRepository(named: repository).isEmpty)
            let created = try await client.createSnapshot(
                named: snapshot, in: repository, options: SnapshotOptions(indices: [index], includeGlobalState: false),
                waitForCompletion: true)
            #expect(created?.state == .success)
            let status = try await client.snapshotStatus(named: snapshot, in: repository)
            #expect(status.stats.total.bytes > 0)
            let facts = try await client.indexFacts(of: [index], timeField: "@timestamp")
            #expect(facts[index]?.documentCount == 2)
            try await client.restoreSnapshot(
                named: snapshot, in: repository,
                options: RestoreOptions(
                    indices: [index], renamePattern: "(.+)", renameReplacement: "restore_$1",
                    indexSettings: ["index.number_of_replicas": 0], includeAliases: false),
                waitForCompletion: true)
            #expect(try await client.documentCount(of: restored) == 2)
        } catch {
            try? await LiveCluster.cleanUp(client, indices: [index, restored], snapshot: snapshot, repository: repository)
            throw error
        }
        try await LiveCluster.cleanUp(client, indices: [index, restored], snapshot: snapshot, repository: repository)
        #expect(try await !client.indexExists(index))
    }
}

extension LiveClusterTests {
    @Test("documents, aliases, closed indices, write blocks and shards against a real cluster")
    func indexAdministration() async throws {
        let client = try LiveCluster.client()
        let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
        let open = "backupkit-live-open-\(suffix)"
        let closed = "backupkit-live-closed-\(suffix)"
        do {
            try await client.putDocument(["state": "done"], id: "run/1,a*", in: open)
            #expect(try await client.documents(ids: ["run/1,a*", "absent"], in: open) == ["run/1,a*": ["state": "done"]])
            #expect(try await client.documents(ids: ["x"], in: "backupkit-live-missing-\(suffix)").isEmpty)
            try await client.putDocument(["state": "x"], id: "1", in: closed)
            try await LiveCluster.raw(.POST, "/_aliases", body: #"{"actions":[{"add":{"index":"\#(open)","alias":"\#(open)_read"}}]}"#)
            try await LiveCluster.raw(.POST, "/\(closed)/_close", body: "{}")
            let rows = try await client.indices(matchingAny: ["backupkit-live-open-\(suffix)*", "backupkit-live-closed-\(suffix)*"])
            #expect(rows.map(\.name) == [closed, open])
            #expect(rows.first?.status == "close" && rows.first?.documentCount == nil && rows.first?.isReadable == false)
            #expect(rows.last?.documentCount == 1 && rows.last?.isReadable == true)
            let aliases = try await client.aliases(ofIndicesMatching: ["backupkit-live-*-\(suffix)"])
            #expect(aliases[open] == ["\(open)_read"])
            #expect(aliases[closed] == [])
            try await client.blockWrites(to: [open])
            await #expect { try await client.putDocument(["state": "late"], id: "2", in: open) } throws: { error in
                (error as? SnapshotClientError)?.type == "cluster_block_exception"
            }
            let shards = try await client.shards(matching: open)
            #expect(shards.contains { $0.isPrimary && $0.state == "STARTED" })
        } catch {
            try? await client.deleteIndices([open, closed], ignoreMissing: true)
            throw error
        }
        try await client.deleteIndices([open, closed], ignoreMissing: true)
    }
}

/// Connection settings for the live suite, from the environment.
enum LiveCluster {
    static let environment = ProcessInfo.processInfo.environment
    static var isAvailable: Bool { !(environment["ES_URL"] ?? "").isEmpty }
    static var repositoryPath: String { environment["ES_REPO_PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp/es-repo" }

    static var credentials: SnapshotClient.Credentials? {
        if let key = environment["ES_API_KEY"], !key.isEmpty { return .apiKey(key) }
        if let user = environment["ES_USER"], !user.isEmpty {
            return .basic(username: user, password: environment["ES_PASSWORD"] ?? "")
        }
        return nil
    }

    static func client() throws -> SnapshotClient {
        try SnapshotClient(configuration: .init(url: environment["ES_URL"] ?? "", credentials: credentials))
    }

    /// Sends a request the client has no call for (creating the test index and its documents).
    static func raw(_ method: HTTPMethod, _ path: String, body: String) async throws {
        let base = try client().redactedURL
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let credentials {
            switch credentials {
            case .basic(let user, let password):
                request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
            case .apiKey(let key): request.headers.add(name: "Authorization", value: "ApiKey \(key)")
            case .bearer(let token): request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
        }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        try #require((200..<300).contains(Int(response.status.code)), "\(method.rawValue) \(path) answered \(response.status.code)")
    }

    static func cleanUp(_ client: SnapshotClient, indices: [String], snapshot: String, repository: String) async throws {
        try await client.deleteIndices(indices, ignoreMissing: true)
        do {
            try await client.deleteSnapshot(named: snapshot, in: repository)
        } catch let error as SnapshotClientError where error.isSnapshotMissing || error.isRepositoryMissing {}
        do {
            try await client.deleteRepository(named: repository)
        } catch let error as SnapshotClientError where error.isRepositoryMissing {}
    }
}
