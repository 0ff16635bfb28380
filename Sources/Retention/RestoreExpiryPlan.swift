/// Which archive restores expire now and which restored indices may be deleted.
///
/// Restored indices are reference-counted by exact name: an index listed by any restore that stays
/// live is kept, whatever other restores expire. Names are never matched by prefix, so
/// `restore_a_1` and `restore_a_10` are different indices.
public struct RestoreExpiryPlan: Sendable, Hashable, Codable {
    enum CodingKeys: String, CodingKey {
        case expiring
        case indicesToDelete = "indices_to_delete"
        case indicesKept = "indices_kept"
    }

    /// The ids of the restores that expire, in input order.
    public var expiring: [String]
    /// The restored indices to delete: listed by an expiring restore and by no live one. Sorted, unique.
    public var indicesToDelete: [String]
    /// Indices of expiring restores that stay, each with the ids (sorted) of the live restores using it.
    public var indicesKept: [String: [String]]

    /// Creates a plan.
    public init(expiring: [String] = [], indicesToDelete: [String] = [], indicesKept: [String: [String]] = [:]) {
        self.expiring = expiring
        self.indicesToDelete = indicesToDelete
        self.indicesKept = indicesKept
    }

    /// ``indicesToDelete`` split into batches whose comma-joined names stay within `maxJoinedLength`
    /// characters, so that each batch fits one `DELETE /<i1>,<i2>,…` request line.
    ///
    /// A single name longer than the limit forms a batch of its own.
    /// - Parameter maxJoinedLength: The longest comma-joined batch, in UTF-8 bytes; 3,000 leaves room in
    ///   the common 4 KiB request-line limit.
    /// - Returns: The batches, in ``indicesToDelete`` order.
    public func deletionBatches(maxJoinedLength: Int = 3_000) -> [[String]] {
        var batches: [[String]] = []
        var batch: [String] = []
        var length = 0
        for name in indicesToDelete {
            let added = name.utf8.count + (batch.isEmpty ? 0 : 1)
            if !batch.isEmpty, length + added > maxJoinedLength {
                batches.append(batch)
                batch = []
                length = 0
            }
            length += name.utf8.count + (batch.isEmpty ? 0 : 1)
            batch.append(name)
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }
}
