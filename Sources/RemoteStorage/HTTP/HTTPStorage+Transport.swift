import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension HTTPStorage {
    /// The URL of the object at `key`, after validating the key; each segment is percent-encoded.
    func url(of key: String) throws -> String {
        try validateStorageKey(key)
        return baseURL.absoluteString + Self.encodePath(key)
    }

    /// The URL of the collection at `path` (`a/b/`, or empty for the base), ending with `/`.
    func collectionURL(_ path: String) throws -> String {
        baseURL.absoluteString + Self.encodePath(path)
    }

    /// Percent-encodes every character of a path but unreserved ones and `/`.
    static func encodePath(_ path: String) -> String {
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += byte < 16 ? "%0" + hex : "%" + hex
            }
        }
        return encoded
    }

    /// A request with the authorization header.
    func makeRequest(_ method: HTTPMethod, url: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        return request
    }

    /// Sends `request` and returns the response once its head arrives, whatever its status.
    ///
    /// A retryable request is sent again, after a growing wait, when the connection fails or the status
    /// is 5xx, up to ``Options/maximumAttempts`` times; the last answer or error is returned.
    ///
    /// - Throws: ``StorageError`` `io` for a transport failure, or `CancellationError`.
    func send(_ request: HTTPClientRequest, key: String?, timeout: Duration, retryable: Bool) async throws
        -> HTTPClientResponse
    {
        let attempts = retryable ? max(1, options.maximumAttempts) : 1
        var delay = options.retryDelay
        var attempt = 1
        while true {
            try Task.checkCancellation()
            do {
                let response = try await httpClient.execute(
                    request, timeout: .nanoseconds(Self.nanoseconds(timeout)), logger: logger)
                if response.status.code >= 500, attempt < attempts {
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    logger.debug(
                        "HTTP storage retry",
                        metadata: ["method": "\(request.method.rawValue)", "status": "\(response.status.code)", "attempt": "\(attempt)"])
                } else {
                    return response
                }
            } catch let error as CancellationError {
                throw error
            } catch {
                guard attempt < attempts, Self.isConnectionFailure(error) else {
                    throw StorageError(
                        code: .io, key: key, message: "the \(request.method.rawValue) request to \(baseURL) failed",
                        underlying: "\(error)")
                }
                logger.debug(
                    "HTTP storage retry", metadata: ["method": "\(request.method.rawValue)", "error": "\(error)", "attempt": "\(attempt)"])
            }
            try await sleep(delay)
            delay *= 2
            attempt += 1
        }
    }

    /// The error for a status the operation cannot use.
    func failure(status: HTTPResponseStatus, key: String?, action: String) -> StorageError {
        let code = Int(status.code)
        let underlying = "HTTP \(code) \(status.reasonPhrase)"
        switch code {
        case 401, 403:
            return StorageError(
                code: .permissionDenied, key: key,
                message: "authentication failed for \(baseURL) while trying to \(action) the object; "
                    + "check \(credentialSource)",
                underlying: underlying)
        case 404:
            return StorageError(code: .notFound, key: key, message: "no such object", underlying: underlying)
        case 413:
            return StorageError(code: .tooLarge, key: key, message: "the server refused the object's size", underlying: underlying)
        case 507:
            return StorageError(code: .noSpace, key: key, message: "the server has no space left", underlying: underlying)
        default:
            return StorageError(code: .io, key: key, message: "the server refused to \(action) the object", underlying: underlying)
        }
    }

    /// Whether `error` is a failure to reach the server or a lost connection (worth a retry).
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            let transient: [HTTPClientError] = [
                .remoteConnectionClosed, .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded,
            ]
            return transient.contains(error)
        }
        if error is ChannelError || error is IOError { return true }
        // NIOPosix's connection errors (refused, unreachable) are not visible to this module by type.
        return String(describing: type(of: error)).contains("Connection")
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let parts = duration.components
        let (seconds, overflow) = parts.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : seconds.addingReportingOverflow(parts.attoseconds / 1_000_000_000).partialValue
    }
}

/// Parses the dates of HTTP headers and WebDAV properties (`Wed, 25 Nov 2026 15:20:20 GMT`, RFC 9110 IMF-fixdate).
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let day = Int(parts[1]),
            let monthIndex = months.firstIndex(of: String(parts[2])), let year = Int(parts[3])
        else { return nil }
        let time = parts[4].split(separator: ":").compactMap { Int($0) }
        guard time.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(identifier: "UTC") else { return nil }
        calendar.timeZone = utc
        return calendar.date(
            from: DateComponents(year: year, month: monthIndex + 1, day: day, hour: time[0], minute: time[1], second: time[2]))
    }
}
