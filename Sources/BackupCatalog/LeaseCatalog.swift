public import Foundation

/// Named, time-limited leases kept in a catalog so that two processes never run one job at once (see
/// ``Lease``).
///
/// Ownership is decided by the ``LeaseOwner/token`` alone; a lease is free from its ``Lease/expiresAt``
/// instant on. `BackupCatalogTesting.CatalogConformance.checkLeases` checks an implementation against
/// these promises.
public protocol LeaseCatalog: Sendable {
    /// Takes the lease `name` if it is free, released, or expired at `now`.
    ///
    /// Of several callers racing for one lease exactly one gets
    /// ``LeaseAcquisition/acquired(_:tookOverFrom:)``; the others get ``LeaseAcquisition/held(by:)``.
    /// Taking over an expired, unreleased lease reports its previous holder in `tookOverFrom`. Calling
    /// again with the current holder's token is an idempotent retry: `acquired` with the same
    /// ``Lease/acquiredAt``, renewed to `now + duration`.
    ///
    /// - Parameters:
    ///   - name: The lease, for example ``Lease/name(forPlan:)``.
    ///   - owner: The caller, with a token new to this acquisition.
    ///   - duration: How long the lease lasts without renewal; must be positive.
    ///   - now: The current time.
    /// - Returns: `acquired` with the new lease (and the expired holder after a takeover), or `held` with
    ///   the current holder.
    func acquireLease(_ name: String, owner: LeaseOwner, duration: Duration, now: Date) async throws -> LeaseAcquisition

    /// Extends a held lease to `now + duration`, keeping its ``Lease/acquiredAt``.
    ///
    /// A lease that expired but that nobody took over is still the caller's and is renewed.
    ///
    /// - Parameters:
    ///   - lease: The lease as acquired or last renewed.
    ///   - duration: How long the lease lasts from `now`; must be positive.
    ///   - now: The current time.
    /// - Returns: The renewed lease.
    /// - Throws: ``CatalogError/Code-swift.struct/conflict`` if another token holds the lease or it no
    ///   longer exists (and nothing changes).
    func renewLease(_ lease: Lease, duration: Duration, now: Date) async throws -> Lease

    /// Gives a lease up so that another owner can take it at once.
    ///
    /// - Parameter lease: The lease as acquired or last renewed.
    /// - Returns: `true` if this call removed the lease, `false` if it was not the caller's any more
    ///   (another token holds it, or it is already gone); nothing changes then.
    @discardableResult
    func releaseLease(_ lease: Lease) async throws -> Bool

    /// The lease named `name` as stored, expired or not (check ``Lease/isExpired(at:)``), or `nil` if
    /// nobody holds it.
    ///
    /// - Parameter name: The lease's name.
    /// - Returns: The stored lease, or `nil`.
    func lease(named name: String) async throws -> Lease?
}

extension LeaseCatalog {
    /// Takes the lease `name` like ``acquireLease(_:owner:duration:now:)``, and also when its holder is a
    /// process of this host that no longer exists (``LeaseOwner/isGoneFromThisHost``): a run killed with
    /// SIGKILL never releases its lease, and the next run on the same host should not wait for its expiry.
    ///
    /// The dead holder's lease is released with its own token first, so a holder that renewed or released
    /// in between is never overridden; the result then reports it in `tookOverFrom`.
    ///
    /// - Parameters:
    ///   - name: The lease.
    ///   - owner: The caller, with a token new to this acquisition.
    ///   - duration: How long the lease lasts without renewal.
    ///   - now: The current time.
    /// - Returns: What ``acquireLease(_:owner:duration:now:)`` returns.
    public func acquireLeaseReclaimingDeadHolder(
        _ name: String, owner: LeaseOwner, duration: Duration, now: Date
    ) async throws -> LeaseAcquisition {
        let first = try await acquireLease(name, owner: owner, duration: duration, now: now)
        guard case .held(let holder) = first, holder.owner.isGoneFromThisHost else { return first }
        guard try await releaseLease(holder) else { return first }
        switch try await acquireLease(name, owner: owner, duration: duration, now: now) {
        case .acquired(let lease, _): return .acquired(lease, tookOverFrom: holder)
        case .held(let other): return .held(by: other)
        }
    }
}
