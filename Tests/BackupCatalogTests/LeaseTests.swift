import Foundation
import Testing

@testable import BackupCatalog

/// Values shared by the lease tests.
enum LeaseFixture {
    static let name = Lease.name(forPlan: "quickstart")

    /// `Fixture.epoch` plus `seconds`.
    static func at(_ seconds: Double) -> Date { Fixture.epoch.addingTimeInterval(seconds) }

    /// An owner on `host` with a new random token.
    static func owner(_ host: String, pid: Int32 = 4242) -> LeaseOwner { LeaseOwner(host: host, pid: pid) }

    /// Acquires `name` and fails the test unless the lease was free.
    static func acquire(
        _ catalog: SQLiteCatalog, _ owner: LeaseOwner, at seconds: Double, for duration: Duration = .seconds(60),
        name: String = LeaseFixture.name, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Lease {
        let outcome = try await catalog.acquireLease(name, owner: owner, duration: duration, now: at(seconds))
        return try #require(outcome.lease, "expected to acquire, got \(outcome)", sourceLocation: sourceLocation)
    }
}

@Suite("Leases")
struct LeaseTests {
    @Test("acquire, held by another owner, release, re-acquire")
    func acquireHeldReleaseReacquire() async throws {
        try await withCatalog { catalog, _ in
            #expect(try await catalog.lease(named: LeaseFixture.name) == nil)
            let first = LeaseFixture.owner("backup-1")
            let outcome = try await catalog.acquireLease(LeaseFixture.name, owner: first, duration: .seconds(60), now: LeaseFixture.at(0))
            let lease = try #require(outcome.lease)
            #expect(outcome == .acquired(lease, tookOverFrom: nil))
            #expect(
                lease
                    == Lease(
                        name: LeaseFixture.name, owner: first, acquiredAt: LeaseFixture.at(0), renewedAt: LeaseFixture.at(0),
                        expiresAt: LeaseFixture.at(60)))
            #expect(try await catalog.lease(named: LeaseFixture.name) == lease)

            // Another scheduler of the same process (same host and pid, its own token) is refused too.
            let sameProcess = LeaseOwner(host: first.host, pid: first.pid)
            let second = LeaseFixture.owner("backup-2")
            for owner in [sameProcess, second] {
                let refused = try await catalog.acquireLease(
                    LeaseFixture.name, owner: owner, duration: .seconds(60), now: LeaseFixture.at(10))
                #expect(refused == .held(by: lease))
            }
            // Another name is independent.
            _ = try await LeaseFixture.acquire(catalog, second, at: 10, name: Lease.name(forPlan: "other"))

            #expect(try await catalog.releaseLease(lease))
            #expect(try await catalog.lease(named: LeaseFixture.name) == nil)
            #expect(try await catalog.releaseLease(lease) == false, "a second release is a no-op")

            let taken = try await catalog.acquireLease(LeaseFixture.name, owner: second, duration: .seconds(60), now: LeaseFixture.at(11))
            #expect(taken.lease?.owner == second)
            #expect(taken == .acquired(try #require(taken.lease), tookOverFrom: nil), "a released lease is not a takeover")
            // The old holder cannot release the new holder's lease.
            #expect(try await catalog.releaseLease(lease) == false)
            #expect(try await catalog.lease(named: LeaseFixture.name) == taken.lease)
        }
    }

    @Test("renewing extends the lease and keeps its acquisition time")
    func renewExtends() async throws {
        try await withCatalog { catalog, _ in
            let holder = LeaseFixture.owner("backup-1")
            let lease = try await LeaseFixture.acquire(catalog, holder, at: 0)
            let renewed = try await catalog.renewLease(lease, duration: .seconds(60), now: LeaseFixture.at(45))
            #expect(renewed.acquiredAt == LeaseFixture.at(0))
            #expect(renewed.renewedAt == LeaseFixture.at(45))
            #expect(renewed.expiresAt == LeaseFixture.at(105))
            #expect(renewed.owner == holder)
            #expect(try await catalog.lease(named: LeaseFixture.name) == renewed)

            // Past the original expiry the renewed lease still holds; at its new expiry it is free.
            let other = LeaseFixture.owner("backup-2")
            let early = try await catalog.acquireLease(LeaseFixture.name, owner: other, duration: .seconds(60), now: LeaseFixture.at(104.5))
            #expect(early == .held(by: renewed))
            let late = try await catalog.acquireLease(LeaseFixture.name, owner: other, duration: .seconds(60), now: LeaseFixture.at(105))
            #expect(late == .acquired(try #require(late.lease), tookOverFrom: renewed))
        }
    }

    @Test("a renewal with another token, or of a released lease, is a conflict and changes nothing")
    func renewWithStaleToken() async throws {
        try await withCatalog { catalog, _ in
            let lease = try await LeaseFixture.acquire(catalog, LeaseFixture.owner("backup-1"), at: 0)
            var forged = lease
            forged.owner.token = LeaseOwner.randomToken()
            let error = await expectCatalogError(.conflict) {
                _ = try await catalog.renewLease(forged, duration: .seconds(60), now: LeaseFixture.at(10))
            }
            #expect(error?.message.contains(LeaseFixture.name) == true, "\(String(describing: error))")
            #expect(try await catalog.lease(named: LeaseFixture.name) == lease)
            #expect(try await catalog.releaseLease(forged) == false, "another token cannot release")
            #expect(try await catalog.lease(named: LeaseFixture.name) == lease)

            try await catalog.releaseLease(lease)
            await expectCatalogError(.conflict) {
                _ = try await catalog.renewLease(lease, duration: .seconds(60), now: LeaseFixture.at(20))
            }
            #expect(try await catalog.lease(named: LeaseFixture.name) == nil, "a failed renewal must not recreate the lease")
        }
    }

    @Test("a late renewal is accepted while nobody took the expired lease over")
    func renewAfterExpiryWithNobodyElse() async throws {
        try await withCatalog { catalog, _ in
            let lease = try await LeaseFixture.acquire(catalog, LeaseFixture.owner("backup-1"), at: 0)
            let renewed = try await catalog.renewLease(lease, duration: .seconds(60), now: LeaseFixture.at(300))
            #expect(renewed.acquiredAt == LeaseFixture.at(0))
            #expect(renewed.expiresAt == LeaseFixture.at(360))
            let other = try await catalog.acquireLease(
                LeaseFixture.name, owner: LeaseFixture.owner("backup-2"), duration: .seconds(60), now: LeaseFixture.at(310))
            #expect(other == .held(by: renewed))
        }
    }

    @Test("acquiring again with the holder's own token is an idempotent retry")
    func acquireRetryWithSameToken() async throws {
        try await withCatalog { catalog, _ in
            let holder = LeaseFixture.owner("backup-1")
            let lease = try await LeaseFixture.acquire(catalog, holder, at: 0)
            let retry = try await catalog.acquireLease(LeaseFixture.name, owner: holder, duration: .seconds(60), now: LeaseFixture.at(5))
            var expected = lease
            expected.renewedAt = LeaseFixture.at(5)
            expected.expiresAt = LeaseFixture.at(65)
            #expect(retry == .acquired(expected, tookOverFrom: nil))
        }
    }

    @Test(
        "a crashed holder's lease is taken over only from its expiry on",
        arguments: [(30.0, false), (59.999, false), (60.0, true), (86_400.0, true)])
    func crashedHolder(attemptAt seconds: Double, takesOver: Bool) async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            // The holder's process acquires, then dies without releasing.
            let crashedOwner = LeaseOwner(host: "backup-1", pid: 311)
            let crashed = try await LeaseFixture.acquire(try SQLiteCatalog(path: path), crashedOwner, at: 0)

            let catalog = try SQLiteCatalog(path: path)
            let successor = LeaseFixture.owner("backup-2")
            let outcome = try await catalog.acquireLease(
                LeaseFixture.name, owner: successor, duration: .seconds(60), now: LeaseFixture.at(seconds))
            guard takesOver else {
                #expect(outcome == .held(by: crashed))
                #expect(try await catalog.lease(named: LeaseFixture.name) == crashed)
                return
            }
            let lease = try #require(outcome.lease)
            #expect(outcome == .acquired(lease, tookOverFrom: crashed))
            #expect(lease.owner == successor)
            #expect(lease.acquiredAt == LeaseFixture.at(seconds))
            #expect(lease.expiresAt == LeaseFixture.at(seconds + 60))

            // Should the old holder come back, it has lost the lease and cannot disturb the new one.
            await expectCatalogError(.conflict) {
                _ = try await catalog.renewLease(crashed, duration: .seconds(60), now: LeaseFixture.at(seconds + 1))
            }
            #expect(try await catalog.releaseLease(crashed) == false)
            #expect(try await catalog.lease(named: LeaseFixture.name) == lease)
        }
    }
}

@Suite("Lease races")
struct LeaseRaceTests {
    @Test(
        "contenders racing for one lease at the same instant: exactly one wins each round",
        arguments: [(2, 1), (1, 8), (2, 4)])
    func exactlyOneWins(instances: Int, tasksPerInstance: Int) async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let configuration = SQLiteCatalog.Configuration(busyTimeout: .seconds(30), durability: .normal)
            let catalogs = try (0..<instances).map { _ in try SQLiteCatalog(path: path, configuration: configuration) }
            var previous: Lease?
            for round in 0..<50 {
                // Each round starts after the previous winner's lease expired: the winner takes it over.
                let now = LeaseFixture.at(Double(round) * 100)
                let outcomes = try await withThrowingTaskGroup(of: LeaseAcquisition.self) { group in
                    for (index, catalog) in catalogs.enumerated() {
                        for task in 0..<tasksPerInstance {
                            let owner = LeaseOwner(host: "host-\(index)", pid: Int32(task))
                            group.addTask {
                                try await catalog.acquireLease(LeaseFixture.name, owner: owner, duration: .seconds(60), now: now)
                            }
                        }
                    }
                    return try await group.reduce(into: [LeaseAcquisition]()) { $0.append($1) }
                }
                let winners = outcomes.compactMap(\.lease)
                try #require(winners.count == 1, "round \(round): \(winners.count) winners")
                let winner = winners[0]
                #expect(outcomes.count == instances * tasksPerInstance)
                #expect(outcomes.filter { $0 != .acquired(winner, tookOverFrom: previous) }.allSatisfy { $0 == .held(by: winner) })
                #expect(outcomes.contains(.acquired(winner, tookOverFrom: previous)), "round \(round)")
                for catalog in catalogs {
                    #expect(try await catalog.lease(named: LeaseFixture.name) == winner)
                }
                previous = winner
            }
        }
    }

    @Test("two schedulers on one catalog never hold the lease at the same time")
    func twoSchedulers() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let configuration = SQLiteCatalog.Configuration(durability: .normal)
            var schedulers = try ["scheduler-a", "scheduler-b"].map {
                Scheduler(host: $0, catalog: try SQLiteCatalog(path: path, configuration: configuration))
            }
            var random = SplitMix64(seed: 0x1ea5e)
            let observer = try SQLiteCatalog(path: path, configuration: configuration)
            for tick in 0..<300 {
                // Ticks are 10 s apart and a lease lasts 25 s: a holder stalled for two ticks loses it.
                let now = LeaseFixture.at(Double(tick) * 10)
                let actions = schedulers.map { $0.nextAction(using: &random) }
                let (a, b) = (schedulers[0], schedulers[1])
                async let first = a.step(actions[0], now: now)
                async let second = b.step(actions[1], now: now)
                schedulers = try await [first, second]

                let holding = schedulers.filter { $0.holds(at: now) }
                try #require(holding.count <= 1, "tick \(tick): \(holding.map(\.host)) both believe they hold the lease")
                if let holder = holding.first {
                    let stored = try await observer.lease(named: LeaseFixture.name)
                    #expect(stored?.owner.token == holder.lease?.owner.token, "tick \(tick)")
                }
            }
            // The run exercised every path: both won, expired leases were taken over, stale holders lost.
            #expect(schedulers.allSatisfy { $0.acquisitions > 0 }, "\(schedulers)")
            #expect(schedulers.map(\.takeovers).reduce(0, +) > 0, "\(schedulers)")
            #expect(schedulers.map(\.lost).reduce(0, +) > 0, "\(schedulers)")
            #expect(schedulers.map(\.completedRuns).reduce(0, +) > 0, "\(schedulers)")
        }
    }
}

/// One simulated scheduler: acquire → (work, renew each tick) → release, with random stalls.
struct Scheduler: Sendable, CustomStringConvertible {
    enum Action: Sendable {
        case proceed
        case stall
    }

    var host: String
    var catalog: SQLiteCatalog
    var lease: Lease?
    var workLeft = 0
    var acquisitions = 0
    var takeovers = 0
    var lost = 0
    var completedRuns = 0

    init(host: String, catalog: SQLiteCatalog) {
        self.host = host
        self.catalog = catalog
    }

    /// Whether the scheduler may work at `now`: it holds a lease that has not expired.
    func holds(at now: Date) -> Bool { lease.map { !$0.isExpired(at: now) } ?? false }

    /// A holder stalls (a pause, slow I/O) one tick in four; an idle scheduler always tries.
    func nextAction(using random: inout SplitMix64) -> Action {
        lease != nil && random.next() % 4 == 0 ? .stall : .proceed
    }

    func step(_ action: Action, now: Date) async throws -> Scheduler {
        var next = self
        if case .stall = action { return next }
        guard let lease else {
            let owner = LeaseOwner(host: host, pid: 1)
            let outcome = try await catalog.acquireLease(LeaseFixture.name, owner: owner, duration: .seconds(25), now: now)
            if case .acquired(let lease, let previous) = outcome {
                next.lease = lease
                next.workLeft = 3
                next.acquisitions += 1
                if previous != nil { next.takeovers += 1 }
            }
            return next
        }
        if workLeft == 0 {
            // Releasing a lease someone else took over is a no-op: that run was cut short.
            if try await catalog.releaseLease(lease) { next.completedRuns += 1 } else { next.lost += 1 }
            next.lease = nil
            return next
        }
        do {
            next.lease = try await catalog.renewLease(lease, duration: .seconds(25), now: now)
            next.workLeft -= 1
        } catch let error as CatalogError where error.code == .conflict {
            next.lease = nil
            next.lost += 1
        }
        return next
    }

    var description: String {
        "\(host): acquired \(acquisitions), took over \(takeovers), lost \(lost), completed \(completedRuns)"
    }
}

/// A small seeded generator, so that a failing run can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var value = state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}
