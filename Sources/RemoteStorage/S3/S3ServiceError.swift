/// A failed S3 exchange before it is turned into a ``StorageError``: either the server answered with
/// an error status (and usually an `<Error>` document), or the request never got an answer.
struct S3ServiceError: Error, CustomStringConvertible {
    /// The HTTP status, or `nil` when the transport failed (reset, timeout, refused).
    var status: Int?
    /// The S3 error code (`NoSuchKey`, `SlowDown`), when the server sent one.
    var code: String?
    /// The server's message, when it sent one.
    var message: String?
    /// `x-amz-request-id` of the failed response, for the provider's support.
    var requestID: String?
    /// The transport error's description, for transport failures.
    var transport: String?

    /// Whether another attempt of an idempotent step may succeed: 5xx, 429, throttling codes and
    /// every transport failure.
    var isRetryable: Bool {
        guard let status else { return true }
        if status >= 500 || status == 429 { return true }
        let transient: Set<String> = [
            "SlowDown", "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable",
            "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests",
        ]
        return code.map(transient.contains) ?? false
    }

    /// The text kept in ``StorageError/underlying``: code, status, request id and message.
    var description: String {
        if let transport { return "transport error: \(transport)" }
        var parts: [String] = []
        parts.append("S3 error \(code ?? "(no code)")")
        if let status { parts.append("HTTP \(status)") }
        if let requestID { parts.append("request id \(requestID)") }
        var text = parts.joined(separator: ", ")
        if let message, !message.isEmpty { text += ": \(message)" }
        return text
    }
}
