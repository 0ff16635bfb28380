package import BackupModels
package import Foundation

/// A batch move of records from one life-cycle state to another that a rebuild makes (`committed` to
/// `missing` and back), checked by the same rule in every catalog: all or none.
package struct StateMove: Sendable {
    /// The records, each once, in the order given.
    package let ids: [BackupID]
    /// The state every record must be in.
    package let from: BackupState
    /// The state they move to.
    package let to: BackupState
    /// The `missing_since` column value the records get (`nil` clears it).
    package let missingSince: Double?

    private init(_ ids: [BackupID], from: BackupState, to: BackupState, missingSince: Date?) {
        var seen = Set<BackupID>()
        self.ids = ids.filter { seen.insert($0).inserted }
        self.from = from
        self.to = to
        self.missingSince = missingSince.map(CatalogValue.seconds)
    }

    /// `committed` records whose artifacts a rebuild found gone, as of `date`.
    package static func missing(_ ids: [BackupID], at date: Date) -> StateMove {
        StateMove(ids, from: .committed, to: .missing, missingSince: date)
    }

    /// `missing` records whose artifacts a rebuild found again.
    package static func found(_ ids: [BackupID]) -> StateMove {
        StateMove(ids, from: .missing, to: .committed, missingSince: nil)
    }

    /// The operation, for error messages.
    package var operation: String { "cannot mark \(ids.count) backups \(to)" }

    /// Checks that the record `id`, now in `state`, may move.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/invalidTransition`` naming the record and its state.
    package func check(_ id: BackupID, in state: BackupState) throws {
        guard state == from, state.canTransition(to: to) else {
            throw CatalogError(code: .invalidTransition, message: "backup \(id) is \(state); only \(from) backups can become \(to)")
        }
    }
}
