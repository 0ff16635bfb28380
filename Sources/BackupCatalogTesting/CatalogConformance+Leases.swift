public import BackupCatalog
import Foundation

extension CatalogConformance {
    /// Checks the promises of ``LeaseCatalog``.
    ///
    /// - A free lease is acquired (`acquiredAt` and `renewedAt` now, `expiresAt` now + duration); another
    ///   owner is refused with the holder until the expiry instant, from which it takes the lease over and
    ///   is told the previous holder.
    /// - Acquiring again with the holder's token is an idempotent retry.
    /// - Renewing extends the expiry and keeps `acquiredAt`, even late while nobody took the lease over;
    ///   renewing with another token, or a released lease, is a `conflict` that changes nothing.
    /// - Only the holder's token releases; a released lease is free at once and is no takeover.
    /// - Of several concurrent acquisitions exactly one wins.
    ///
    /// - Parameter make: Returns a new, empty catalog each time it is called.
    /// - Throws: The first ``ConformanceFailure``, or an error the catalog threw where none was expected.
    public static func checkLeases(_ make: () async throws -> any LeaseCatalog) async throws {
        try await checkAcquireAndRelease(try await make())
        try await checkRenew(try await make())
        try await checkTakeOver(try await make())
        try await checkRace(try await make())
    }

    // MARK: Fixtures

    static let leaseName = Lease.name(forPlan: "nightly")

    static func owner(_ host: String) -> LeaseOwner { LeaseOwner(host: host, pid: 100, token: "token-\(host)") }

    /// Acquires `name` for `owner` at `seconds` after the epoch, failing `check` unless it is acquired.
    static func acquired(
        _ catalog: any LeaseCatalog, _ owner: LeaseOwner, at seconds: Double, for duration: Int64 = 60, _ check: String
    ) async throws -> (Lease, Lease?) {
        let outcome = try await catalog.acquireLease(leaseName, owner: owner, duration: .seconds(duration), now: date(seconds: seconds))
        guard case .acquired(let lease, let previous) = outcome else {
            throw ConformanceFailure(check: check, seen: "\(outcome)", expected: "acquired by \(owner)")
        }
        return (lease, previous)
    }

    // MARK: Scenarios

    static func checkAcquireAndRelease(_ catalog: any LeaseCatalog) async throws {
        let first = owner("a")
        let second = owner("b")
        try expectEqual(try await catalog.lease(named: leaseName), nil, "leases.initiallyFree")
        let (lease, previous) = try await acquired(catalog, first, at: 0, "leases.acquireFree")
        try expectEqual(previous, nil, "leases.acquireFree.noTakeover")
        let expected = Lease(
            name: leaseName, owner: first, acquiredAt: date(seconds: 0), renewedAt: date(seconds: 0), expiresAt: date(seconds: 60))
        try expectEqual(lease, expected, "leases.acquireFree.times")
        try expectEqual(try await catalog.lease(named: leaseName), lease, "leases.stored")
        for seconds in [0.0, 30, 59] {
            let refused = try await catalog.acquireLease(leaseName, owner: second, duration: .seconds(60), now: date(seconds: seconds))
            try expectEqual(refused, .held(by: lease), "leases.heldByAnother(at: \(seconds)s)")
        }
        var forged = lease
        forged.owner = second
        try expectEqual(try await catalog.releaseLease(forged), false, "leases.releaseNeedsToken")
        try expectEqual(try await catalog.lease(named: leaseName), lease, "leases.releaseNeedsToken.changesNothing")
        try expectEqual(try await catalog.releaseLease(lease), true, "leases.release")
        try expectEqual(try await catalog.lease(named: leaseName), nil, "leases.release.removes")
        try expectEqual(try await catalog.releaseLease(lease), false, "leases.releaseTwice")
        let (taken, takenFrom) = try await acquired(catalog, second, at: 10, "leases.acquireReleased")
        try expectEqual(taken.owner, second, "leases.acquireReleased.owner")
        try expectEqual(takenFrom, nil, "leases.acquireReleased.isNoTakeover")
        try expectEqual(try await catalog.releaseLease(lease), false, "leases.formerHolderCannotRelease")
        try expectEqual(try await catalog.lease(named: leaseName), taken, "leases.formerHolderCannotRelease.changesNothing")
    }

    static func checkRenew(_ catalog: any LeaseCatalog) async throws {
        let holder = owner("a")
        let (lease, _) = try await acquired(catalog, holder, at: 0, "leases.renew.setup")
        let renewed = try await catalog.renewLease(lease, duration: .seconds(60), now: date(seconds: 45))
        let expected = Lease(
            name: leaseName, owner: holder, acquiredAt: date(seconds: 0), renewedAt: date(seconds: 45), expiresAt: date(seconds: 105))
        try expectEqual(renewed, expected, "leases.renew")
        try expectEqual(try await catalog.lease(named: leaseName), renewed, "leases.renew.stored")
        let early = try await catalog.acquireLease(leaseName, owner: owner("b"), duration: .seconds(60), now: date(seconds: 100))
        try expectEqual(early, .held(by: renewed), "leases.renew.extendsHold")

        let late = try await catalog.renewLease(renewed, duration: .seconds(60), now: date(seconds: 300))
        try expectEqual(late.acquiredAt, date(seconds: 0), "leases.renewLate.keepsAcquiredAt")
        try expectEqual(late.expiresAt, date(seconds: 360), "leases.renewLate")

        let retry = try await catalog.acquireLease(leaseName, owner: holder, duration: .seconds(60), now: date(seconds: 320))
        let retried = Lease(
            name: leaseName, owner: holder, acquiredAt: date(seconds: 0), renewedAt: date(seconds: 320), expiresAt: date(seconds: 380))
        try expectEqual(retry, .acquired(retried, tookOverFrom: nil), "leases.acquireRetryIsIdempotent")

        var forged = retried
        forged.owner = owner("b")
        try await expectError(.conflict, "leases.renewNeedsToken") {
            _ = try await catalog.renewLease(forged, duration: .seconds(60), now: date(seconds: 330))
        }
        try expectEqual(try await catalog.lease(named: leaseName), retried, "leases.renewNeedsToken.changesNothing")
        try await catalog.releaseLease(retried)
        try await expectError(.conflict, "leases.renewReleased") {
            _ = try await catalog.renewLease(retried, duration: .seconds(60), now: date(seconds: 340))
        }
        try expectEqual(try await catalog.lease(named: leaseName), nil, "leases.renewReleased.doesNotRecreate")
    }

    static func checkTakeOver(_ catalog: any LeaseCatalog) async throws {
        let (crashed, _) = try await acquired(catalog, owner("a"), at: 0, for: 60, "leases.takeover.setup")
        let successor = owner("b")
        let before = try await catalog.acquireLease(leaseName, owner: successor, duration: .seconds(60), now: date(seconds: 59))
        try expectEqual(before, .held(by: crashed), "leases.takeover.notBeforeExpiry")
        let (lease, previous) = try await acquired(catalog, successor, at: 60, "leases.takeover.atExpiry")
        try expectEqual(previous, crashed, "leases.takeover.reportsPrevious")
        let expected = Lease(
            name: leaseName, owner: successor, acquiredAt: date(seconds: 60), renewedAt: date(seconds: 60), expiresAt: date(seconds: 120))
        try expectEqual(lease, expected, "leases.takeover.times")
        try await expectError(.conflict, "leases.takeover.formerHolderCannotRenew") {
            _ = try await catalog.renewLease(crashed, duration: .seconds(60), now: date(seconds: 61))
        }
        try expectEqual(try await catalog.releaseLease(crashed), false, "leases.takeover.formerHolderCannotRelease")
        try expectEqual(try await catalog.lease(named: leaseName), lease, "leases.takeover.stored")
    }

    static func checkRace(_ catalog: any LeaseCatalog) async throws {
        let contenders = 8
        let outcomes = try await withThrowingTaskGroup(of: LeaseAcquisition.self) { group in
            for index in 0..<contenders {
                group.addTask {
                    try await catalog.acquireLease(leaseName, owner: owner("host-\(index)"), duration: .seconds(60), now: date(seconds: 0))
                }
            }
            var all: [LeaseAcquisition] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        let winners = outcomes.compactMap(\.lease)
        try expectEqual(winners.count, 1, "leases.race.oneWinner")
        try expect(
            outcomes.allSatisfy { $0 == .acquired(winners[0], tookOverFrom: nil) || $0 == .held(by: winners[0]) },
            "leases.race.losersSeeWinner",
            seen: "\(outcomes)", expected: "every other contender held by \(winners[0])")
        try expectEqual(try await catalog.lease(named: leaseName), winners[0], "leases.race.stored")
    }
}
