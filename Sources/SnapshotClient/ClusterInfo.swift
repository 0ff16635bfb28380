/// Which search engine a cluster runs.
public enum ClusterDistribution: String, Hashable, Sendable, Codable, CaseIterable {
    /// Elasticsearch (any build flavor, including serverless).
    case elasticsearch
    /// OpenSearch, recognised by `version.distribution`, not by its version number.
    case opensearch
}

/// What `GET /` says about a cluster.
public struct ClusterInfo: Hashable, Sendable {
    /// Elasticsearch or OpenSearch.
    public var distribution: ClusterDistribution
    /// The release number.
    public var version: ClusterVersion
    /// The cluster's name.
    public var clusterName: String
    /// The answering node's name.
    public var nodeName: String?
    /// Elasticsearch's build flavor (`default`, `oss`, `serverless`), if reported.
    public var buildFlavor: String?

    /// Creates cluster facts.
    public init(
        distribution: ClusterDistribution, version: ClusterVersion, clusterName: String, nodeName: String? = nil,
        buildFlavor: String? = nil
    ) {
        self.distribution = distribution
        self.version = version
        self.clusterName = clusterName
        self.nodeName = nodeName
        self.buildFlavor = buildFlavor
    }

    /// `GET /_snapshot/{repository}/{snapshot}` accepts `size`, `sort`, `order` and `after` (Elasticsearch 7.14+).
    public var supportsSnapshotPaging: Bool {
        distribution == .elasticsearch && version >= ClusterVersion(7, 14)
    }

    /// `GET /_snapshot/{repository}/{snapshot}` accepts `offset` (Elasticsearch 7.16+; older 7.x clients page with `after`).
    public var supportsSnapshotOffset: Bool {
        distribution == .elasticsearch && version >= ClusterVersion(7, 16)
    }

    /// `POST /_snapshot/{repository}/_cleanup` exists (Elasticsearch 7.4+, every OpenSearch).
    public var supportsRepositoryCleanup: Bool {
        distribution == .opensearch || version >= ClusterVersion(7, 4)
    }

    /// Several snapshots may run at once (Elasticsearch 7.7+, every OpenSearch).
    public var supportsConcurrentSnapshots: Bool {
        distribution == .opensearch || version >= ClusterVersion(7, 7)
    }

    /// Snapshot `metadata` is accepted (Elasticsearch 7.3+, every OpenSearch).
    public var supportsSnapshotMetadata: Bool {
        distribution == .opensearch || version >= ClusterVersion(7, 3)
    }
}

extension ClusterInfo {
    /// Decodes a `GET /` body.
    package init(json: JSONValue) throws {
        guard let versionObject = json["version"], let number = versionObject["number"]?.stringValue,
            let version = ClusterVersion(number)
        else {
            throw SnapshotClientError(
                code: .invalidResponse, message: "GET / answered without a readable version.number")
        }
        let distribution: ClusterDistribution =
            versionObject["distribution"]?.stringValue?.lowercased() == "opensearch" ? .opensearch : .elasticsearch
        self.init(
            distribution: distribution, version: version, clusterName: json["cluster_name"]?.stringValue ?? "",
            nodeName: json["name"]?.stringValue, buildFlavor: versionObject["build_flavor"]?.stringValue)
    }
}
