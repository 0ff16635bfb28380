package import Foundation

extension SnapshotClient {
    /// Maps a cluster's error answer to a ``SnapshotClientError``.
    ///
    /// Reads `{"error":{"root_cause":[…],"type":…,"reason":…},"status":…}`, the legacy
    /// `{"error":"SnapshotMissingException[[repo:snap] is missing]","status":404}` form, and plain-text bodies
    /// (OpenSearch's 401).
    package static func clusterError(status: Int, body: Data, action: String, request: String?) -> SnapshotClientError {
        var type: String?
        var reason: String?
        var causeTypes: [String] = []
        if let json = JSONValue.parse(body) {
            switch json["error"] {
            case .object?:
                let error = json["error"]
                type = error?["type"]?.stringValue
                reason = error?["reason"]?.stringValue
                for cause in error?["root_cause"]?.arrayValue ?? [] {
                    if let causeType = cause["type"]?.stringValue { causeTypes.append(causeType) }
                    if reason == nil { reason = cause["reason"]?.stringValue }
                }
                var next = error?["caused_by"]
                while let cause = next, causeTypes.count < 16 {
                    if let causeType = cause["type"]?.stringValue { causeTypes.append(causeType) }
                    next = cause["caused_by"]
                }
            case .string(let legacy)?:
                (type, reason) = parseLegacyError(legacy)
            default:
                reason = json["message"]?.stringValue
            }
        } else if let text = String(data: body, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        {
            reason = String(text.prefix(500))
        }
        let code = errorCode(status: status, type: type, causeTypes: causeTypes, reason: reason)
        let summary = reason ?? type ?? "HTTP \(status)"
        return SnapshotClientError(
            code: code, message: "\(action): \(summary)", status: status, type: type, reason: reason, request: request)
    }

    private static let codesByType: [String: SnapshotClientError.Code] = [
        "snapshot_missing_exception": .snapshotMissing,
        "repository_missing_exception": .repositoryMissing,
        "concurrent_snapshot_execution_exception": .concurrentSnapshotExecution,
        "snapshot_in_progress_exception": .snapshotInProgress,
        "invalid_snapshot_name_exception": .invalidSnapshotName,
        "snapshot_name_already_in_use_exception": .invalidSnapshotName,
        "index_not_found_exception": .indexNotFound,
        "security_exception": .security,
        "repository_verification_exception": .repositoryVerification,
        "snapshot_restore_exception": .snapshotRestore,
    ]

    private static func errorCode(
        status: Int, type: String?, causeTypes: [String], reason: String?
    ) -> SnapshotClientError.Code {
        if status == 401 || status == 403 { return .security }
        if let type, let code = codesByType[type] { return code }
        // 6.x refuses deleting an index under snapshot with a generic exception.
        if type == "illegal_argument_exception", let reason,
            reason.localizedCaseInsensitiveContains("being snapshotted")
        {
            return .snapshotInProgress
        }
        for causeType in causeTypes {
            if let code = codesByType[causeType] { return code }
        }
        return .cluster
    }

    /// Splits `SnapshotMissingException[[repo:snap] is missing]` into `snapshot_missing_exception` and the text
    /// in brackets.
    static func parseLegacyError(_ text: String) -> (type: String?, reason: String) {
        guard let open = text.firstIndex(of: "["), text.hasSuffix("]") else { return (nil, text) }
        let name = text[..<open]
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber }) else { return (nil, text) }
        var snake = ""
        for character in name {
            if character.isUppercase, !snake.isEmpty { snake.append("_") }
            snake.append(contentsOf: character.lowercased())
        }
        let reason = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        return (snake, reason)
    }
}
