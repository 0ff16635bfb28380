import Foundation
import SnapshotClient
import Testing

/// Every request the client can send exists in the official specification of each targeted line.
@Suite(.enabled(if: ReferenceData.isSpecAvailable, "needs ../shared/es-rest-api/spec (or ES_REST_API_DIR)"))
struct EndpointContractTests {
    /// A specification set and the cluster it describes.
    struct SpecSet: Sendable, CustomTestStringConvertible {
        var folder: String
        var distribution: ClusterDistribution
        var version: ClusterVersion
        var testDescription: String { folder }
    }

    static let specSets = [
        SpecSet(folder: "elasticsearch-7.17", distribution: .elasticsearch, version: ClusterVersion(7, 17)),
        SpecSet(folder: "elasticsearch-8.19", distribution: .elasticsearch, version: ClusterVersion(8, 19)),
        SpecSet(folder: "elasticsearch", distribution: .elasticsearch, version: ClusterVersion(9, 1)),
        SpecSet(folder: "opensearch", distribution: .opensearch, version: ClusterVersion(2, 19)),
    ]

    /// Endpoints the reference subset does not carry a spec file for, per set. Anything else missing fails.
    /// The index administration endpoints (`indices.get_alias`, `indices.put_settings`, `index`, `mget`,
    /// `cat.shards`) are not in `../shared/es-rest-api`: their paths and parameters were taken from the
    /// Elasticsearch reference pages and are exercised against the double instead (`IndexAdminTests`).
    static let indexAdministration: Set<String> = ["indices.get_alias", "indices.put_settings", "index", "mget", "cat.shards"]
    static let outsideReferenceSubset: [String: Set<String>] = [
        "elasticsearch-7.17": indexAdministration.union(["search", "cat.allocation"]),
        "elasticsearch-8.19": indexAdministration.union(["search", "cat.allocation"]),
        "elasticsearch": indexAdministration.union(["search", "cat.allocation"]),
        "opensearch": indexAdministration.union(["search", "cat.allocation", "info"]),
    ]

    /// A spec file's paths, methods and parameters.
    struct SpecEntry {
        var paths: [(path: String, methods: [String])]
        var parameters: Set<String>
    }

    static func load(_ set: SpecSet, endpoint: String) throws -> SpecEntry? {
        let url = ReferenceData.specDirectory.appendingPathComponent(set.folder).appendingPathComponent("\(endpoint).json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let root = try #require(try ReferenceData.foundationJSON(url) as? [String: Any])
        let body = try #require(root[endpoint] as? [String: Any], "\(url.path) has no '\(endpoint)' key")
        let urlObject = try #require(body["url"] as? [String: Any])
        let paths = try #require(urlObject["paths"] as? [[String: Any]]).compactMap { entry -> (String, [String])? in
            guard let path = entry["path"] as? String, let methods = entry["methods"] as? [String] else { return nil }
            return (path, methods)
        }
        var parameters = Set((body["params"] as? [String: Any] ?? [:]).keys)
        let common = ReferenceData.specDirectory.appendingPathComponent(set.folder).appendingPathComponent("_common.json")
        if let commonRoot = try? ReferenceData.foundationJSON(common) as? [String: Any] {
            parameters.formUnion((commonRoot["params"] as? [String: Any] ?? [:]).keys)
        }
        return SpecEntry(paths: paths, parameters: parameters)
    }

    @Test("every endpoint's path and method exist in the spec", arguments: specSets)
    func pathsAndMethods(set: SpecSet) throws {
        var skipped: [String] = []
        for endpoint in Endpoint.allCases {
            guard let spec = try Self.load(set, endpoint: endpoint.name) else {
                #expect(
                    Self.outsideReferenceSubset[set.folder, default: []].contains(endpoint.name),
                    "\(set.folder) has no spec file for \(endpoint.name)")
                skipped.append(endpoint.name)
                continue
            }
            let match = spec.paths.first { $0.path == endpoint.pathTemplate }
            #expect(match != nil, "\(set.folder)/\(endpoint.name): no path \(endpoint.pathTemplate) in \(spec.paths.map(\.path))")
            if let match {
                #expect(
                    match.methods.contains(endpoint.method),
                    "\(set.folder)/\(endpoint.name): \(endpoint.method) not in \(match.methods)")
            }
        }
        if !skipped.isEmpty {
            print(
                "\(set.folder): no reference spec file for \(Set(skipped).sorted().joined(separator: ", ")) (outside the reference subset)")
        }
    }

    @Test("every query parameter sent to this line exists in its spec", arguments: specSets)
    func queryParameters(set: SpecSet) throws {
        for endpoint in Endpoint.allCases {
            guard let spec = try Self.load(set, endpoint: endpoint.name) else { continue }
            for parameter in endpoint.parameters where parameter.isAccepted(by: set.distribution, version: set.version) {
                #expect(
                    spec.parameters.contains(parameter.name),
                    "\(set.folder)/\(endpoint.name): parameter '\(parameter.name)' is not in the spec")
            }
        }
    }

    @Test("the legacy 6.x spec format is read for snapshot.create")
    func legacyFormat() throws {
        let url = ReferenceData.specDirectory.appendingPathComponent("elasticsearch-legacy-format/snapshot.create.json")
        try #require(FileManager.default.fileExists(atPath: url.path))
        let root = try #require(try ReferenceData.foundationJSON(url) as? [String: Any])
        let body = try #require(root["snapshot.create"] as? [String: Any])
        let methods = try #require(body["methods"] as? [String])
        let urlObject = try #require(body["url"] as? [String: Any])
        let paths = try #require(urlObject["paths"] as? [String])
        let params = (urlObject["params"] as? [String: Any] ?? [:]).keys
        #expect(methods.contains(Endpoint.createSnapshot.method))
        #expect(paths.contains(Endpoint.createSnapshot.pathTemplate))
        for parameter in Endpoint.createSnapshot.parameters {
            #expect(params.contains(parameter.name), "6.x snapshot.create lacks '\(parameter.name)'")
        }
    }

    @Test("version-gated parameters are not accepted where the spec lacks them")
    func gatedParameters() throws {
        let opensearch = Self.specSets[3]
        let spec = try #require(try Self.load(opensearch, endpoint: "snapshot.get"))
        for parameter in Endpoint.getSnapshots.parameters where !spec.parameters.contains(parameter.name) {
            #expect(!parameter.isAccepted(by: .opensearch, version: ClusterVersion(2, 19)), "\(parameter.name) would reach OpenSearch")
        }
    }
}
