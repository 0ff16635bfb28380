import Foundation
import Testing

/// The public Elasticsearch/OpenSearch reference data (`../shared/es-rest-api`, or `ES_REST_API_DIR`).
enum ReferenceData {
    static let root: URL = {
        if let override = ProcessInfo.processInfo.environment["ES_REST_API_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        // Tests/SnapshotClientTests/ReferenceData.swift → the repository's sibling folder `shared/es-rest-api`.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/es-rest-api")
    }()

    static var specDirectory: URL { root.appendingPathComponent("spec") }
    static var responsesDirectory: URL { root.appendingPathComponent("responses") }

    static let isSpecAvailable: Bool = {
        let available = FileManager.default.fileExists(atPath: specDirectory.path)
        if !available {
            print("SnapshotClient contract tests skipped: \(specDirectory.path) is missing (set ES_REST_API_DIR)")
        }
        return available
    }()

    static let areResponsesAvailable: Bool = {
        let available = FileManager.default.fileExists(atPath: responsesDirectory.path)
        if !available {
            print("SnapshotClient response decoding tests skipped: \(responsesDirectory.path) is missing (set ES_REST_API_DIR)")
        }
        return available
    }()

    /// A published response body and what its `.src.txt` says about it.
    struct PublishedResponse: CustomTestStringConvertible, Sendable {
        var relativePath: String
        var url: URL
        var httpStatus: Int

        var fileName: String { url.lastPathComponent }
        var testDescription: String { relativePath }
    }

    /// Every `responses/<set>/<name>.json`, with the HTTP status from its `.src.txt` (200 when not stated).
    static func publishedResponses(prefix: String) -> [PublishedResponse] {
        let fileManager = FileManager.default
        guard let sets = try? fileManager.contentsOfDirectory(atPath: responsesDirectory.path) else { return [] }
        var found: [PublishedResponse] = []
        for set in sets.sorted() {
            let folder = responsesDirectory.appendingPathComponent(set)
            for name in ((try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
            where name.hasSuffix(".json") && name.hasPrefix(prefix) {
                let url = folder.appendingPathComponent(name)
                found.append(PublishedResponse(relativePath: "\(set)/\(name)", url: url, httpStatus: status(of: url)))
            }
        }
        return found
    }

    private static func status(of url: URL) -> Int {
        let source = url.deletingPathExtension().appendingPathExtension("src.txt")
        guard let text = try? String(contentsOf: source, encoding: .utf8) else { return 200 }
        for line in text.split(separator: "\n") where line.hasPrefix("http_status:") {
            return Int(line.dropFirst("http_status:".count).trimmingCharacters(in: .whitespaces)) ?? 200
        }
        return 200
    }

    /// Parses a file with Foundation's `JSONSerialization`, independently of the client's decoder.
    static func foundationJSON(_ url: URL) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }
}
