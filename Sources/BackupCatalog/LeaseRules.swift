package import Foundation

/// `now` and `now + duration` as catalog column values (seconds since 1970), computed once so that every
/// catalog stores and returns the same instants for the same call.
package struct LeaseTimes: Sendable {
    package var now: Double
    package var expiry: Double

    package init(now: Date, duration: Duration) {
        precondition(duration > .zero, "a lease duration must be positive, not \(duration)")
        let components = duration.components
        self.now = CatalogValue.seconds(now)
        self.expiry = self.now + Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The lease these times describe, with dates read back from the column values.
    package func lease(_ name: String, owner: LeaseOwner, acquiredAt: Double) -> Lease {
        Lease(
            name: name, owner: owner, acquiredAt: CatalogValue.date(acquiredAt), renewedAt: CatalogValue.date(now),
            expiresAt: CatalogValue.date(expiry))
    }
}

/// What an acquisition does about the lease a catalog found stored under the name: the rule every
/// catalog applies inside its transaction.
package enum LeaseDecision: Sendable {
    /// The caller's own token holds it (a retry whose first attempt committed): renew it.
    case renew
    /// Another owner holds it and it has not expired.
    case held(by: Lease)
    /// Another owner held it and it expired: take it over.
    case takeOver(from: Lease)

    package init(stored: Lease, caller: LeaseOwner, now: Date) {
        if stored.owner.token == caller.token {
            self = .renew
        } else if stored.isExpired(at: now) {
            self = .takeOver(from: stored)
        } else {
            self = .held(by: stored)
        }
    }

    /// Checks that `lease` may be renewed when the catalog holds `stored` under its name: only the token
    /// decides (a lease that expired but that nobody took over is still the caller's).
    ///
    /// - Parameters:
    ///   - lease: The lease as the caller last saw it.
    ///   - stored: The catalog's row for the name, if any.
    ///   - storedLease: The lease of that row.
    /// - Returns: `stored`, which the caller may now renew.
    /// - Throws: ``CatalogError/Code-swift.struct/conflict`` if the lease was released or another owner holds it.
    package static func renewable<Stored>(_ lease: Lease, stored: Stored?, _ storedLease: (Stored) -> Lease) throws -> Stored {
        guard let stored else {
            throw CatalogError(code: .conflict, message: "lease '\(lease.name)' of \(lease.owner) was released; acquire it again")
        }
        let holder = storedLease(stored)
        guard holder.owner.token == lease.owner.token else {
            throw CatalogError(
                code: .conflict,
                message: "lease '\(lease.name)' of \(lease.owner) was lost: \(holder.owner) holds it since \(holder.acquiredAt)")
        }
        return stored
    }
}
