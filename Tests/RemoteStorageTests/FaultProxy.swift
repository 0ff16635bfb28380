import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP proxy in front of an S3 server that injects faults on a script: it answers some requests
/// itself with 500/503/`SlowDown` error documents, drops the connection, or stalls, and forwards
/// the rest unchanged (the `Host` header included, so SigV4 signatures stay valid).
///
/// Requests are numbered from 1 in arrival order; ``Schedule`` decides the fate of each one.
final class FaultProxy: Sendable {
    /// What the proxy does with one request.
    enum Action: Sendable, Equatable {
        /// Pass the request to the server and its answer back.
        case forward
        /// Answer with this status and S3 error code (`InternalError`, `ServiceUnavailable`, `SlowDown`).
        case fail(status: Int, code: String)
        /// Close the connection without an answer.
        case drop
        /// Read the request, then answer nothing for this long and close.
        case stall(Duration)
        /// Forward the request, send the answer's head and the first half of its body, then close.
        case truncate
        /// Forwards the head and half the body, then sends nothing more and keeps the connection open.
        case stallBody
    }

    /// A request as the schedule sees it.
    struct Request: Sendable {
        var index: Int
        var method: String
        var uri: String

        /// An `UploadPart` request (a `PUT` with `partNumber`).
        var isUploadPart: Bool { method == "PUT" && uri.contains("partNumber=") }
        /// A `CreateMultipartUpload` request.
        var isInitiate: Bool { method == "POST" && uri.contains("uploads") && !uri.contains("uploadId=") }
    }

    typealias Schedule = @Sendable (Request) -> Action

    private struct State {
        var requests = 0
        var faults = 0
        var schedule: Schedule
    }

    private let state: Mutex<State>
    private let channel: any Channel
    private let client: HTTPClient
    let upstream: String

    /// The proxy's base URL (`http://127.0.0.1:<port>`).
    let url: URL

    /// Starts a proxy on a free port of 127.0.0.1.
    init(upstream: String, schedule: @escaping Schedule = { _ in .forward }) async throws {
        let state = Mutex(State(schedule: schedule))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        self.client = client
        self.upstream = upstream
        self.state = state
        let box = ProxyReference()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FaultProxyHandler(proxy: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.channel = channel
        let port = channel.localAddress?.port ?? 0
        guard let url = URL(string: "http://127.0.0.1:\(port)") else { throw ChannelError.inappropriateOperationForState }
        self.url = url
        box.set(self)
    }

    /// Replaces the schedule.
    func setSchedule(_ schedule: @escaping Schedule) { state.withLock { $0.schedule = schedule } }

    /// How many requests arrived.
    var requestCount: Int { state.withLock { $0.requests } }
    /// How many requests got a fault instead of being forwarded.
    var faultCount: Int { state.withLock { $0.faults } }

    /// Numbers the request and asks the schedule what to do with it.
    func action(method: String, uri: String) -> Action {
        state.withLock { state in
            state.requests += 1
            let action = state.schedule(Request(index: state.requests, method: method, uri: uri))
            if action != .forward { state.faults += 1 }
            return action
        }
    }

    /// Sends the request to the server and returns its answer read whole.
    func forward(head: HTTPRequestHead, body: ByteBuffer) async throws -> (HTTPResponseHead, ByteBuffer) {
        var request = HTTPClientRequest(url: upstream + head.uri)
        request.method = head.method
        for (name, value) in head.headers
        where !["content-length", "transfer-encoding", "connection", "expect"].contains(name.lowercased()) {
            request.headers.add(name: name, value: value)
        }
        if body.readableBytes > 0 || head.method == .PUT || head.method == .POST { request.body = .bytes(body) }
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 1 << 30)
        var headers = HTTPHeaders()
        for (name, value) in response.headers
        where !["content-length", "transfer-encoding", "connection"].contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        // A HEAD answer keeps the object's length; others carry the body read here.
        let length =
            head.method == .HEAD
            ? response.headers.first(name: "content-length") ?? "0" : String(bytes.readableBytes)
        headers.add(name: "content-length", value: length)
        return (HTTPResponseHead(version: .http1_1, status: response.status, headers: headers), bytes)
    }

    /// Stops listening and shuts the upstream client down.
    func stop() async throws {
        try await channel.close()
        try await client.shutdown()
    }
}

/// Lets channel handlers reach the proxy that is still being initialised when the server starts.
final class ProxyReference: Sendable {
    private let proxy = Mutex<FaultProxy?>(nil)
    func set(_ value: FaultProxy?) { proxy.withLock { $0 = value } }
    var value: FaultProxy? { proxy.withLock { $0 } }
}
