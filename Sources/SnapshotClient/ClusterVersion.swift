/// A cluster's release number, compared numerically (`7.10.2 < 7.17.0 < 8.0.0`).
public struct ClusterVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The major version.
    public var major: Int
    /// The minor version.
    public var minor: Int
    /// The patch version.
    public var patch: Int
    /// The version text as the cluster reported it (may carry a suffix such as `-SNAPSHOT`).
    public var text: String

    /// Creates a version from its numbers.
    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.text = "\(major).\(minor).\(patch)"
    }

    /// Parses `8.12.1`, `7.10.2-SNAPSHOT` or `6.0.0-beta1`; `nil` when there is no leading `major.minor`.
    public init?(_ text: String) {
        let core = text.split(whereSeparator: { $0 == "-" || $0 == "+" }).first.map(String.init) ?? text
        let parts = core.split(separator: ".").map { Int($0) }
        guard parts.count >= 2, let major = parts[0], let minor = parts[1] else { return nil }
        self.major = major
        self.minor = minor
        self.patch = parts.count > 2 ? (parts[2] ?? 0) : 0
        self.text = text
    }

    public static func < (lhs: ClusterVersion, rhs: ClusterVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public static func == (lhs: ClusterVersion, rhs: ClusterVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) == (rhs.major, rhs.minor, rhs.patch)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major)
        hasher.combine(minor)
        hasher.combine(patch)
    }

    public var description: String { text }
}
