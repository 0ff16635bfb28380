public import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// The client ``S3Storage`` and ``HTTPStorage`` use unless given one: AsyncHTTPClient's
    /// browser-like settings on its shared event loops, with a 10 s connect timeout and a 60 s read
    /// timeout. Without a read timeout a response body that stalls (a half-dead connection, a proxy
    /// that stops forwarding) waits for the operating system to drop the connection, which can take
    /// hours; with it, a download fails fast and ``S3Storage`` resumes it with a ranged `GET`.
    ///
    /// It lives as long as the process and is never shut down, like `HTTPClient.shared`. Hosts that
    /// want other limits pass their own client.
    public static let backupTransfers: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(60))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}
