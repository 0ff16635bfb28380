public import BackupCatalog
public import Foundation
import PostgresNIO

extension PostgresCatalog {
    // MARK: Leases

    /// Takes the lease `name` if it is free, released, or expired at `now`.
    ///
    /// One transaction: `INSERT … ON CONFLICT DO NOTHING` creates a free lease (of several inserters one
    /// wins, the others wait for it and see its row), otherwise the row is read `FOR UPDATE`, so that of
    /// several processes racing for an expired lease exactly one takes it over; the others then see the
    /// winner's row and get ``LeaseAcquisition/held(by:)``.
    public func acquireLease(_ name: String, owner: LeaseOwner, duration: Duration, now: Date) async throws -> LeaseAcquisition {
        let times = LeaseTimes(now: now, duration: duration)
        return try await transaction("cannot acquire lease '\(name)'") { connection in
            let inserted = try await connection.query(
                """
                INSERT INTO leases (name, owner_host, owner_pid, owner_token, acquired_at, renewed_at, expires_at)
                VALUES (\(name), \(owner.host), \(Int64(owner.pid)), \(owner.token), \(times.now), \(times.now), \(times.expiry))
                ON CONFLICT (name) DO NOTHING RETURNING name
                """, logger: self.logger
            ).collect()
            if !inserted.isEmpty {
                return .acquired(times.lease(name, owner: owner, acquiredAt: times.now), tookOverFrom: nil)
            }
            guard let current = try await Self.fetchLease(name, connection, self.logger, lock: true) else {
                // Released between the two statements: the caller may simply try again.
                throw CatalogError(code: .conflict, message: "lease '\(name)' changed while it was being acquired")
            }
            switch LeaseDecision(stored: current.lease, caller: owner, now: now) {
            case .renew: return .acquired(try await self.renew(current, times: times, connection), tookOverFrom: nil)
            case .held(let holder): return .held(by: holder)
            case .takeOver: break
            }
            try await connection.query(
                """
                UPDATE leases SET owner_host = \(owner.host), owner_pid = \(Int64(owner.pid)), owner_token = \(owner.token),
                    acquired_at = \(times.now), renewed_at = \(times.now), expires_at = \(times.expiry)
                WHERE name = \(name)
                """, logger: self.logger)
            return .acquired(times.lease(name, owner: owner, acquiredAt: times.now), tookOverFrom: current.lease)
        }
    }

    /// Extends a held lease to `now + duration`, keeping its ``Lease/acquiredAt``.
    ///
    /// - Throws: ``CatalogError/Code-swift.struct/conflict`` if another token holds the lease or it no
    ///   longer exists (and nothing changes).
    public func renewLease(_ lease: Lease, duration: Duration, now: Date) async throws -> Lease {
        let times = LeaseTimes(now: now, duration: duration)
        return try await transaction("cannot renew lease '\(lease.name)'") { connection in
            let stored = try await Self.fetchLease(lease.name, connection, self.logger, lock: true)
            let current = try LeaseDecision.renewable(lease, stored: stored, \.lease)
            return try await self.renew(current, times: times, connection)
        }
    }

    /// Gives a lease up; only the holder's token releases.
    ///
    /// - Returns: `true` if this call removed the lease, `false` if it was not the caller's any more.
    @discardableResult
    public func releaseLease(_ lease: Lease) async throws -> Bool {
        try await run("cannot release lease '\(lease.name)'") { connection in
            let rows = try await connection.query(
                "DELETE FROM leases WHERE name = \(lease.name) AND owner_token = \(lease.owner.token) RETURNING name",
                logger: self.logger
            ).collect()
            return !rows.isEmpty
        }
    }

    /// The lease named `name` as stored, expired or not, or `nil` if nobody holds it.
    public func lease(named name: String) async throws -> Lease? {
        try await run("cannot read lease '\(name)'") { connection in
            try await Self.fetchLease(name, connection, self.logger)?.lease
        }
    }

    // MARK: Rows

    /// A stored lease with its exact acquisition column value.
    private struct StoredLease {
        var lease: Lease
        var acquired: Double
    }

    private static func fetchLease(_ name: String, _ connection: PostgresConnection, _ logger: Logger, lock: Bool = false)
        async throws -> StoredLease?
    {
        var binds = PostgresBindings()
        binds.append(name)
        let sql = """
            SELECT owner_host, owner_pid, owner_token, acquired_at, renewed_at, expires_at FROM leases WHERE name = $1
            """ + (lock ? " FOR UPDATE" : "")
        guard let row = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect().first
        else { return nil }
        let (host, pid, token, acquired, renewed, expiry) = try row.decode((String, Int64, String, Double, Double, Double).self)
        let owner = LeaseOwner(host: host, pid: Int32(truncatingIfNeeded: pid), token: token)
        let lease = Lease(
            name: name, owner: owner, acquiredAt: CatalogValue.date(acquired), renewedAt: CatalogValue.date(renewed),
            expiresAt: CatalogValue.date(expiry))
        return StoredLease(lease: lease, acquired: acquired)
    }

    private func renew(_ current: StoredLease, times: LeaseTimes, _ connection: PostgresConnection) async throws -> Lease {
        try await connection.query(
            """
            UPDATE leases SET renewed_at = \(times.now), expires_at = \(times.expiry)
            WHERE name = \(current.lease.name) AND owner_token = \(current.lease.owner.token)
            """, logger: logger)
        return times.lease(current.lease.name, owner: current.lease.owner, acquiredAt: current.acquired)
    }
}
