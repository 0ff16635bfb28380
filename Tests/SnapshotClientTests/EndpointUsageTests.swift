import Foundation
import SnapshotClient
import SnapshotClientTesting
import Testing

/// Every request the client actually sends matches an entry of its endpoint table.
struct EndpointUsageTests {
    static func matches(_ endpoint: Endpoint, method: String, path: String, query: [String: String]) -> Bool {
        guard endpoint.method == method else { return false }
        let template = endpoint.pathTemplate.split(separator: "/", omittingEmptySubsequences: true)
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard template.count == segments.count else { return false }
        for (part, segment) in zip(template, segments) where !part.hasPrefix("{") && part != segment {
            return false
        }
        let allowed = Set(endpoint.parameters.map(\.name))
        return query.keys.allSatisfy { allowed.contains($0) }
    }

    @Test("requests of a full workflow all come from the endpoint table")
    func requestsComeFromTheTable() async throws {
        try await DoubleFixture.run { double, client in
            let names = DoubleFixture.seedDailyIndices(double)
            _ = try await client.info()
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"), verify: false)
            try await client.verifyRepository(named: "repo")
            _ = try await client.repositories()
            try await client.createSnapshot(named: "snap", in: "repo", options: SnapshotOptions(indices: names), waitForCompletion: true)
            _ = try await client.snapshots(in: "repo", page: SnapshotPage(size: 1))
            _ = try await client.snapshotStatus(named: "snap", in: "repo")
            _ = try await client.indexFacts(of: names, timeField: "@timestamp")
            _ = try await client.primaryStoreSizes(of: names)
            _ = try await client.documentCount(of: names[0])
            _ = try await client.indices()
            _ = try await client.diskAllocation()
            _ = try await client.indexExists(names[0])
            _ = try await client.indices(matchingAny: ["logs-*", "other-*"])
            _ = try await client.aliases(ofIndicesMatching: ["logs-*"])
            try await client.blockWrites(to: [names[0]])
            try await client.putDocument(["state": "done"], id: "run-1", in: "bk_state")
            _ = try await client.documents(ids: ["run-1"], in: "bk_state")
            _ = try await client.shards(matching: "logs-*")
            try await client.restoreSnapshot(
                named: "snap", in: "repo", options: RestoreOptions(renamePattern: "(.+)", renameReplacement: "r_$1"))
            try await client.deleteIndices(names.map { "r_\($0)" })
            try await client.cleanupRepository(named: "repo")
            try await client.deleteSnapshot(named: "snap", in: "repo")
            try await client.deleteRepository(named: "repo")
            let requests = double.requests()
            #expect(requests.count >= 18)
            for request in requests {
                #expect(
                    Endpoint.allCases.contains { Self.matches($0, method: request.method, path: request.path, query: request.query) },
                    "\(request) matches no endpoint table entry")
            }
        }
    }

    @Test("a custom CA file that does not exist is reported by path before connecting")
    func missingCertificateAuthority() async throws {
        let client = try SnapshotClient(
            configuration: .init(url: "https://127.0.0.1:1", tls: .init(certificateAuthorityPath: "/nonexistent/ca.pem"), retry: .none))
        await #expect {
            _ = try await client.info()
        } throws: { error in
            guard let error = error as? SnapshotClientError else { return false }
            return error.code == .invalidRequest && error.message.contains("/nonexistent/ca.pem")
        }
    }
}
