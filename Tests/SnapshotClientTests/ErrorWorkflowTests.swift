import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SnapshotClient
import SnapshotClientTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a user sees when something is wrong: each failure is a typed, clear error.
struct ErrorWorkflowTests {
    @Test("a missing snapshot is snapshotMissing for get, status, delete and restore")
    func missingSnapshot() async throws {
        try await DoubleFixture.run { _, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            let calls: [@Sendable () async throws -> Void] = [
                { _ = try await client.snapshot(named: "ghost", in: "repo") },
                { _ = try await client.snapshotStatus(named: "ghost", in: "repo") },
                { try await client.deleteSnapshot(named: "ghost", in: "repo") },
                { _ = try await client.restoreSnapshot(named: "ghost", in: "repo") },
            ]
            for call in calls {
                await #expect {
                    try await call()
                } throws: { error in
                    guard let error = error as? SnapshotClientError else { return false }
                    return error.isSnapshotMissing && error.status == 404 && error.type == "snapshot_missing_exception"
                        && error.message.contains("ghost")
                }
            }
        }
    }

    @Test("a missing repository is repositoryMissing")
    func missingRepository() async throws {
        try await DoubleFixture.run { _, client in
            await #expect { _ = try await client.repository(named: "nowhere") } throws: {
                SnapshotClientError.matches($0, .repositoryMissing)
            }
            await #expect { try await client.createSnapshot(named: "s", in: "nowhere") } throws: {
                SnapshotClientError.matches($0, .repositoryMissing)
            }
            await #expect { try await client.verifyRepository(named: "nowhere") } throws: {
                SnapshotClientError.matches($0, .repositoryMissing)
            }
        }
    }

    @Test("an invalid name is refused before any request is sent")
    func invalidNameIsLocal() async throws {
        try await DoubleFixture.run { double, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            double.clearRequests()
            await #expect {
                try await client.createSnapshot(named: "Daily Snapshot", in: "repo")
            } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.code == .invalidName && error.message.contains("'Daily Snapshot'")
            }
            await #expect { try await client.createRepository(named: "_repo", settings: .fs(location: "/r")) } throws: {
                SnapshotClientError.matches($0, .invalidName)
            }
            await #expect { try await client.deleteIndices(["logs-*"]) } throws: { SnapshotClientError.matches($0, .invalidName) }
            #expect(double.requests().isEmpty)
        }
    }

    @Test("the cluster refuses an uppercase name with invalid_snapshot_name_exception (raw request)")
    func serverSideNameCheck() async throws {
        try await DoubleFixture.run { double, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            var request = HTTPClientRequest(url: "\(double.url)/_snapshot/repo/Upper?wait_for_completion=true")
            request.method = .PUT
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status.code == 400)
            #expect(String(buffer: body).contains("invalid_snapshot_name_exception"))
            #expect(String(buffer: body).contains("must be lowercase"))
        }
    }

    @Test("a duplicate snapshot name is invalidSnapshotName ... already exists")
    func duplicateName() async throws {
        try await DoubleFixture.run { _, client in
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "once", in: "repo", waitForCompletion: true)
            await #expect {
                try await client.createSnapshot(named: "once", in: "repo", waitForCompletion: true)
            } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.isInvalidSnapshotName && error.status == 400 && (error.reason ?? "").contains("already exists")
            }
        }
    }

    @Test("an old cluster refuses a second running snapshot, and the refused create is not retried")
    func concurrentSnapshot() async throws {
        let configuration = ClusterDouble.Configuration(version: "7.6.2", snapshotCompletion: .afterPolls(5))
        let retry = SnapshotClient.RetryPolicy(maxAttempts: 3, initialDelay: .zero, maximumDelay: .zero)
        try await DoubleFixture.run(configuration, retry: retry) { double, client in
            double.addIndex(name: "logs", docs: 1, sizeBytes: 1)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "first", in: "repo")
            double.clearRequests()
            await #expect {
                try await client.createSnapshot(named: "second", in: "repo")
            } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.isConcurrentSnapshotExecution && error.status == 503
            }
            #expect(double.requests().filter { $0.method == "PUT" }.count == 1)
            await #expect { try await client.deleteIndices(["logs"]) } throws: { SnapshotClientError.matches($0, .snapshotInProgress) }
        }
    }

    @Test("idempotent reads are retried after a 503; the answer arrives")
    func readsAreRetried() async throws {
        let retry = SnapshotClient.RetryPolicy(maxAttempts: 3, initialDelay: .zero, maximumDelay: .zero)
        try await DoubleFixture.run(retry: retry) { double, client in
            double.injectFailures(2)
            double.clearRequests()
            let info = try await client.info()
            #expect(info.clusterName == "cluster-double")
            #expect(double.requests().count == 3)
            double.injectFailures(3)
            await #expect { _ = try await client.info() } throws: { error in
                (error as? SnapshotClientError)?.status == 503
            }
        }
    }

    @Test("restoring over an open index with the same name is refused")
    func restoreOverOpenIndex() async throws {
        try await DoubleFixture.run { double, client in
            double.addIndex(name: "logs", docs: 5, sizeBytes: 50)
            try await client.createRepository(named: "repo", settings: .fs(location: "/r"))
            try await client.createSnapshot(named: "snap", in: "repo", waitForCompletion: true)
            await #expect {
                try await client.restoreSnapshot(named: "snap", in: "repo", waitForCompletion: true)
            } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.code == .snapshotRestore && (error.reason ?? "").contains("open index with same name already exists")
            }
            double.addIndex(name: "logs", docs: 5, sizeBytes: 50, open: false)
            let result = try await client.restoreSnapshot(named: "snap", in: "repo", waitForCompletion: true)
            #expect(result?.indices == ["logs"])
        }
    }

    @Test("a repository that fails verification is repositoryVerification")
    func verificationFailure() async throws {
        try await DoubleFixture.run(.init(failingRepositoryVerifications: ["broken"])) { _, client in
            await #expect { try await client.createRepository(named: "broken", settings: .fs(location: "/nfs")) } throws: {
                SnapshotClientError.matches($0, .repositoryVerification)
            }
            try await client.createRepository(named: "broken", settings: .fs(location: "/nfs"), verify: false)
            await #expect { try await client.verifyRepository(named: "broken") } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.isRepositoryVerification && (error.reason ?? "").contains("/nfs")
            }
        }
    }

    @Test("wrong credentials are a security error and the password appears nowhere", arguments: ["elasticsearch", "opensearch"])
    func wrongCredentials(distribution: String) async throws {
        let configuration = ClusterDouble.Configuration(distribution: distribution, username: "elastic", password: "right-pw")
        try await DoubleFixture.run(configuration, credentials: .basic(username: "elastic", password: "wrong-pw")) { _, client in
            await #expect {
                _ = try await client.info()
            } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                return error.isSecurity && error.status == 401 && !String(describing: error).contains("wrong-pw")
            }
        }
        try await DoubleFixture.run(configuration, credentials: .basic(username: "elastic", password: "right-pw")) { _, client in
            let info = try await client.info()
            #expect(info.distribution.rawValue == distribution)
        }
    }

    @Test("API keys and bearer tokens are sent as the cluster expects")
    func otherCredentials() async throws {
        let configuration = ClusterDouble.Configuration(apiKey: "aWQ6a2V5", bearerToken: "token-1")
        try await DoubleFixture.run(configuration, credentials: .apiKey(id: "id", key: "key")) { _, client in
            let info = try await client.info()
            #expect(info.clusterName == "cluster-double")
        }
        try await DoubleFixture.run(configuration, credentials: .bearer("token-1")) { _, client in
            let info = try await client.info()
            #expect(info.clusterName == "cluster-double")
        }
        try await DoubleFixture.run(configuration) { _, client in
            await #expect { _ = try await client.info() } throws: { SnapshotClientError.matches($0, .security) }
        }
    }

    /// A TCP socket bound to a free port on 127.0.0.1 that never listens, and its port.
    static func boundClosedPort() throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("an unreachable cluster is a connection error naming the URL without credentials")
    func unreachable() async throws {
        // A port bound but not listening refuses connections, and no other test's server can take it meanwhile
        // (a double's port, once shut down, could be handed to another test's server).
        let (descriptor, port) = try Self.boundClosedPort()
        defer { close(descriptor) }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            // A refused connection fails at once; the long request deadline keeps a loaded test run (every suite
            // at once on two cores) from turning it into a timeout before the answer is handled.
            let client = try SnapshotClient(
                configuration: .init(
                    url: "http://admin:s3cret@127.0.0.1:\(port)", timeouts: .init(request: .seconds(600)), retry: .none),
                httpClient: httpClient)
            await #expect {
                _ = try await client.info()
            } throws: { error in
                guard let error = error as? SnapshotClientError else { return false }
                let text = String(describing: error)
                return error.isConnection && text.contains("http://127.0.0.1:\(port)") && !text.contains("s3cret")
            }
        }
        try await httpClient.shutdown()
    }
}
