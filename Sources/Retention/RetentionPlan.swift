public import BackupModels

/// The outcome of applying a ``RetentionPolicy`` to a set of backup records.
///
/// A plan is a pure value: nothing has been deleted yet. The caller deletes the artifacts of every
/// entry in ``removals`` (dependants are listed before, i.e. newer than, what they depend on) and
/// then marks those records expired.
public struct RetentionPlan: Sendable, Hashable, Codable {
    /// One decision per non-expired input record. Groups (plan, source) appear in ascending order of
    /// plan then source; within a group decisions are newest first.
    public var decisions: [RetentionDecision]

    /// Creates a plan from decisions.
    public init(decisions: [RetentionDecision] = []) {
        self.decisions = decisions
    }

    /// The decisions whose action is ``RetentionDecision/Action/remove``, in ``decisions`` order.
    public var removals: [RetentionDecision] { decisions.filter { $0.action == .remove } }

    /// The decisions whose action is ``RetentionDecision/Action/keep``, in ``decisions`` order.
    public var kept: [RetentionDecision] { decisions.filter { $0.action == .keep } }

    /// The identifiers of the records to remove.
    public var removedIDs: Set<BackupID> { Set(decisions.lazy.filter { $0.action == .remove }.map(\.id)) }

    /// The decision about the record `id`, if the plan has one.
    /// - Parameter id: A record identifier.
    /// - Returns: The decision, or `nil` when the record was not in the input or was already expired.
    public func decision(for id: BackupID) -> RetentionDecision? {
        decisions.first { $0.id == id }
    }
}
