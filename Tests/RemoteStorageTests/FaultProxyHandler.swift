import Foundation
import NIOCore
import NIOHTTP1

/// Reads whole requests on one proxied connection and carries out the proxy's decision for each.
final class FaultProxyHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let proxy: ProxyReference
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(proxy: ProxyReference) { self.proxy = proxy }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let requestHead = head, let target = proxy.value else { return }
            head = nil
            let requestBody = body
            body = ByteBuffer()
            let channel = context.channel
            let action = target.action(method: requestHead.method.rawValue, uri: requestHead.uri)
            Self.start(action, head: requestHead, body: requestBody, proxy: target, channel: channel)
        }
    }

    private static func start(
        _ action: FaultProxy.Action, head: HTTPRequestHead, body: ByteBuffer, proxy: FaultProxy, channel: any Channel
    ) {
        Task { await carryOut(action, head: head, body: body, proxy: proxy, channel: channel) }
    }

    private static func carryOut(
        _ action: FaultProxy.Action, head: HTTPRequestHead, body: ByteBuffer, proxy: FaultProxy, channel: any Channel
    ) async {
        switch action {
        case .forward:
            do {
                let (responseHead, responseBody) = try await proxy.forward(head: head, body: body)
                channel.write(HTTPServerResponsePart.head(responseHead), promise: nil)
                if head.method != .HEAD {
                    channel.write(HTTPServerResponsePart.body(.byteBuffer(responseBody)), promise: nil)
                }
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            } catch {
                channel.close(promise: nil)
            }
        case .fail(let status, let code):
            let xml =
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code>"
                + "<Message>injected by the fault proxy</Message><RequestId>fault-proxy</RequestId></Error>"
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/xml")
            headers.add(name: "x-amz-request-id", value: "fault-proxy")
            headers.add(name: "content-length", value: String(xml.utf8.count))
            let responseHead = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
            channel.write(HTTPServerResponsePart.head(responseHead), promise: nil)
            if head.method != .HEAD {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: xml))), promise: nil)
            }
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        case .drop:
            channel.close(promise: nil)
        case .truncate:
            do {
                let (responseHead, fullBody) = try await proxy.forward(head: head, body: body)
                var responseBody = fullBody
                channel.write(HTTPServerResponsePart.head(responseHead), promise: nil)
                if let half = responseBody.readSlice(length: responseBody.readableBytes / 2) {
                    channel.write(HTTPServerResponsePart.body(.byteBuffer(half)), promise: nil)
                }
                channel.flush()
            } catch {}
            channel.close(promise: nil)
        case .stallBody:
            do {
                let (responseHead, fullBody) = try await proxy.forward(head: head, body: body)
                var responseBody = fullBody
                channel.write(HTTPServerResponsePart.head(responseHead), promise: nil)
                if let half = responseBody.readSlice(length: responseBody.readableBytes / 2) {
                    channel.write(HTTPServerResponsePart.body(.byteBuffer(half)), promise: nil)
                }
                channel.flush()
            } catch {}
            // Hold the connection open, silent, until the client gives up (at most two minutes).
            for _ in 0..<1200 where channel.isActive {
                try? await Task.sleep(for: .milliseconds(100))
            }
            channel.close(promise: nil)
        case .stall(let duration):
            try? await Task.sleep(for: duration)
            channel.close(promise: nil)
        }
    }
}
