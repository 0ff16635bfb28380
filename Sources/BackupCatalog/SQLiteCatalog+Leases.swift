public import Foundation
import GRDB

extension SQLiteCatalog {
    // MARK: Leases

    /// Takes the lease `name` if it is free, or expired at `now`.
    ///
    /// The decision and the write are one `BEGIN IMMEDIATE` transaction, and a takeover is a
    /// compare-and-set on the previous holder's token and expiry: of several processes or tasks racing for
    /// one lease, exactly one gets ``LeaseAcquisition/acquired(_:tookOverFrom:)``, the others
    /// ``LeaseAcquisition/held(by:)``. A lease is free from its ``Lease/expiresAt`` instant on.
    ///
    /// Calling again with the token of the current holder (a retry after an error whose transaction did
    /// commit) is not a conflict: it returns `acquired` with the same ``Lease/acquiredAt``, renewed to
    /// `now + duration`.
    ///
    /// - Parameters:
    ///   - name: The lease, for example ``Lease/name(forPlan:)``.
    ///   - owner: The caller, with a token new to this acquisition.
    ///   - duration: How long the lease lasts without renewal; must be positive.
    ///   - now: The current time (injected; the catalog never reads a clock).
    /// - Returns: `acquired` with the new lease and, after a takeover, the expired holder; or `held` with
    ///   the current holder.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if SQLite fails (for example the write lock
    ///   stays busy longer than ``Configuration-swift.struct/busyTimeout``).
    public func acquireLease(_ name: String, owner: LeaseOwner, duration: Duration, now: Date) async throws -> LeaseAcquisition {
        let times = LeaseTimes(now: now, duration: duration)
        return try await write("cannot acquire lease '\(name)'") { db in
            guard let current = try Self.fetchLease(name, db) else {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO leases (name, owner_host, owner_pid, owner_token, acquired_at, renewed_at, expires_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [name, owner.host, owner.pid, owner.token, times.now, times.now, times.expiry])
                return .acquired(times.lease(name, owner: owner, acquiredAt: times.now), tookOverFrom: nil)
            }
            switch LeaseDecision(stored: current.lease, caller: owner, now: now) {
            case .renew: return .acquired(try Self.renew(current, times: times, db), tookOverFrom: nil)
            case .held(let holder): return .held(by: holder)
            case .takeOver: break
            }
            try db.cachedStatement(
                sql: """
                    UPDATE leases SET owner_host = ?, owner_pid = ?, owner_token = ?, acquired_at = ?, renewed_at = ?,
                        expires_at = ?
                    WHERE name = ? AND owner_token = ? AND expires_at = ?
                    """
            ).execute(arguments: [
                owner.host, owner.pid, owner.token, times.now, times.now, times.expiry, name, current.lease.owner.token,
                current.expiry,
            ])
            guard db.changesCount == 1 else {
                throw CatalogError(code: .conflict, message: "lease '\(name)' changed while it was being taken over")
            }
            return .acquired(times.lease(name, owner: owner, acquiredAt: times.now), tookOverFrom: current.lease)
        }
    }

    /// Extends a held lease to `now + duration` (a heartbeat), keeping its ``Lease/acquiredAt``.
    ///
    /// Only the token decides: a lease that expired but that nobody took over is still the caller's and is
    /// renewed (its holder was late, yet no one else ran). Once another owner took it, or it was released,
    /// the caller has lost it and must stop working.
    ///
    /// - Parameters:
    ///   - lease: The lease as acquired or last renewed.
    ///   - duration: How long the lease lasts from `now`; must be positive.
    ///   - now: The current time.
    /// - Returns: The renewed lease.
    /// - Throws: ``CatalogError/Code-swift.struct/conflict`` if another token holds the lease or it no
    ///   longer exists; ``CatalogError/Code-swift.struct/database`` if SQLite fails.
    public func renewLease(_ lease: Lease, duration: Duration, now: Date) async throws -> Lease {
        let times = LeaseTimes(now: now, duration: duration)
        return try await write("cannot renew lease '\(lease.name)'") { db in
            let current = try LeaseDecision.renewable(lease, stored: try Self.fetchLease(lease.name, db), \.lease)
            return try Self.renew(current, times: times, db)
        }
    }

    /// Gives a lease up so that another owner can take it at once.
    ///
    /// Only the holder's token releases: releasing a lease that another owner has since taken over, or
    /// that is already gone, changes nothing.
    ///
    /// - Parameter lease: The lease as acquired or last renewed.
    /// - Returns: `true` if this call removed the lease, `false` if it was not the caller's any more.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if SQLite fails.
    @discardableResult
    public func releaseLease(_ lease: Lease) async throws -> Bool {
        try await write("cannot release lease '\(lease.name)'") { db in
            try db.cachedStatement(sql: "DELETE FROM leases WHERE name = ? AND owner_token = ?")
                .execute(arguments: [lease.name, lease.owner.token])
            return db.changesCount > 0
        }
    }

    /// The lease named `name` as stored, expired or not (check ``Lease/isExpired(at:)``), or `nil` if
    /// nobody holds it.
    ///
    /// - Parameter name: The lease's name.
    /// - Returns: The stored lease, or `nil`.
    /// - Throws: ``CatalogError/Code-swift.struct/database`` if SQLite fails.
    public func lease(named name: String) async throws -> Lease? {
        try await read("cannot read lease '\(name)'") { db in try Self.fetchLease(name, db)?.lease }
    }

    // MARK: Rows

    /// A stored lease with its exact expiry column value, for compare-and-set.
    private struct StoredLease {
        var lease: Lease
        var acquired: Double
        var expiry: Double
    }

    private static func fetchLease(_ name: String, _ db: Database) throws -> StoredLease? {
        let statement = try db.cachedStatement(
            sql: """
                SELECT owner_host, owner_pid, owner_token, acquired_at, renewed_at, expires_at FROM leases WHERE name = ?
                """)
        guard let row = try Row.fetchOne(statement, arguments: [name]) else { return nil }
        let acquired: Double = try row.decode(atIndex: 3)
        let expiry: Double = try row.decode(atIndex: 5)
        let owner = LeaseOwner(host: try row.decode(atIndex: 0), pid: try row.decode(atIndex: 1), token: try row.decode(atIndex: 2))
        let lease = Lease(
            name: name, owner: owner, acquiredAt: CatalogValue.date(acquired),
            renewedAt: CatalogValue.date(try row.decode(atIndex: 4)), expiresAt: CatalogValue.date(expiry))
        return StoredLease(lease: lease, acquired: acquired, expiry: expiry)
    }

    /// Moves the renewal and expiry of `current`, which the caller's token holds, to `times`.
    private static func renew(_ current: StoredLease, times: LeaseTimes, _ db: Database) throws -> Lease {
        try db.cachedStatement(sql: "UPDATE leases SET renewed_at = ?, expires_at = ? WHERE name = ? AND owner_token = ?")
            .execute(arguments: [times.now, times.expiry, current.lease.name, current.lease.owner.token])
        return times.lease(current.lease.name, owner: current.lease.owner, acquiredAt: current.acquired)
    }
}
