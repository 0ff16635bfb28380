/// The identifier of one backup record: sixteen lowercase hexadecimal characters.
///
/// Identifiers are random, so two hosts never mint the same one; commands accept any unique prefix
/// of four or more characters, as restic does.
public struct BackupID: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// Creates a fresh random identifier.
    public static func random() -> BackupID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// Creates a random identifier from the given generator (tests pass a seeded one).
    public static func random(using generator: inout some RandomNumberGenerator) -> BackupID {
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return BackupID(rawValue: String(repeating: "0", count: 16 - hex.count) + hex)
    }

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static func < (lhs: BackupID, rhs: BackupID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}
