public import BackupModels
public import Foundation

/// Expiry decisions for restores of archived Elasticsearch data.
public enum RestoreExpiry {
    /// Decides which restores expire at `now` and which restored indices can be deleted.
    ///
    /// A restore expires when it is not already `expired` and its `expiresAt` is at or before `now`
    /// (pending and running restores included: the caller stops them). An index of an expiring restore
    /// is deleted only if no live restore (one that is neither expired nor expiring) lists that exact
    /// name.
    ///
    /// - Parameters:
    ///   - restores: Every restore the catalog knows, any state.
    ///   - now: The instant expiry is decided for.
    /// - Returns: The expiring restores and the index decisions.
    public static func plan(for restores: [RestoreConfig], now: Date) -> RestoreExpiryPlan {
        var expiring: [String] = []
        var released = Set<String>()
        var users: [String: Set<String>] = [:]
        for restore in restores where restore.state != .expired {
            if restore.expiresAt <= now {
                expiring.append(restore.id)
                released.formUnion(restore.indices)
            } else {
                for index in restore.indices { users[index, default: []].insert(restore.id) }
            }
        }
        var toDelete: [String] = []
        var kept: [String: [String]] = [:]
        for index in released {
            if let live = users[index] {
                kept[index] = live.sorted()
            } else {
                toDelete.append(index)
            }
        }
        return RestoreExpiryPlan(expiring: expiring, indicesToDelete: toDelete.sorted(), indicesKept: kept)
    }
}
