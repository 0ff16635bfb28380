public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A named, time-limited claim on a job, kept in the catalog so that two processes never run it at once.
///
/// A scheduler takes the lease of a plan before it runs the plan, renews it while it works (a heartbeat),
/// and releases it when it is done. A holder that crashes never releases: its lease is taken over once
/// ``expiresAt`` has passed. See ``SQLiteCatalog/acquireLease(_:owner:duration:now:)``.
///
/// ```swift
/// let owner = LeaseOwner.current()
/// switch try await catalog.acquireLease(Lease.name(forPlan: "nightly"), owner: owner, duration: .seconds(120), now: now) {
/// case .acquired(let lease, let previous):
///     if let previous { logger.warning("took over the expired lease of \(previous.owner)") }
///     // run, calling renewLease(lease, ...) well before lease.expiresAt, then releaseLease(lease)
/// case .held(let holder):
///     logger.info("plan already running on \(holder.owner.host)")
/// }
/// ```
public struct Lease: Hashable, Sendable, Codable {
    /// The lease's name, for example `plan:nightly` (see ``name(forPlan:)``).
    public var name: String
    /// Who holds the lease; its ``LeaseOwner/token`` identifies this acquisition.
    public var owner: LeaseOwner
    /// When this owner took the lease (kept across renewals).
    public var acquiredAt: Date
    /// When this owner last took or renewed the lease.
    public var renewedAt: Date
    /// The instant from which the lease is free again unless renewed before.
    public var expiresAt: Date

    /// Creates a lease value (the catalog creates the leases that count).
    /// - Parameters:
    ///   - name: The lease's name.
    ///   - owner: Its holder.
    ///   - acquiredAt: When the holder took it.
    ///   - renewedAt: When the holder last renewed it.
    ///   - expiresAt: When it ends unless renewed.
    public init(name: String, owner: LeaseOwner, acquiredAt: Date, renewedAt: Date, expiresAt: Date) {
        self.name = name
        self.owner = owner
        self.acquiredAt = acquiredAt
        self.renewedAt = renewedAt
        self.expiresAt = expiresAt
    }

    /// Whether the lease has ended at `now`: it is free from ``expiresAt`` on (that instant included).
    /// - Parameter now: The instant to judge.
    /// - Returns: `true` when `now` is at or after ``expiresAt``.
    public func isExpired(at now: Date) -> Bool { expiresAt <= now }

    /// The lease name of a backup plan: `plan:<plan>`.
    /// - Parameter plan: The plan's name.
    /// - Returns: The name to pass to ``SQLiteCatalog/acquireLease(_:owner:duration:now:)``.
    public static func name(forPlan plan: String) -> String { "plan:\(plan)" }

    /// The lease name of one run of a backup plan: `run:<plan>`.
    ///
    /// An engine holds it for as long as a backup or a retention pass of the plan works, on whichever host
    /// it runs (`backup run`, a scheduler, a host's own call), so that only one run of a plan works at a
    /// time across every host sharing the catalog, and a `running` record seen while holding it belongs
    /// to a run that died.
    /// - Parameter plan: The plan's name.
    /// - Returns: The lease's name.
    public static func name(forRun plan: String) -> String { "run:\(plan)" }
}

/// Who holds a ``Lease``: the host and process, for people reading logs, and a random token that alone
/// decides ownership.
///
/// Use a new token for every acquisition (``current(token:)`` does): two schedulers in one process then
/// never mistake each other's lease for their own.
public struct LeaseOwner: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The holder's host name.
    public var host: String
    /// The holder's process id.
    public var pid: Int32
    /// A random value unique to one acquisition; renewals and releases must present it.
    public var token: String

    /// Creates an owner.
    /// - Parameters:
    ///   - host: The holder's host name.
    ///   - pid: The holder's process id.
    ///   - token: A value unique to this acquisition; a new random one by default.
    public init(host: String, pid: Int32, token: String = LeaseOwner.randomToken()) {
        self.host = host
        self.pid = pid
        self.token = token
    }

    /// This process on this host, with a new random token.
    /// - Parameter token: The token; a new random one by default.
    /// - Returns: The owner describing the calling process.
    public static func current(token: String = LeaseOwner.randomToken()) -> LeaseOwner {
        LeaseOwner(host: ProcessInfo.processInfo.hostName, pid: ProcessInfo.processInfo.processIdentifier, token: token)
    }

    /// A new random token (122 random bits, as lowercase UUID text).
    public static func randomToken() -> String { UUID().uuidString.lowercased() }

    /// `host:pid` and the token's first eight characters, for logs.
    public var description: String { "\(host):\(pid) (\(token.prefix(8)))" }

    /// Whether this owner is a process of this host that no longer exists.
    ///
    /// `false` for another host (nothing can be known of it here but its lease's expiry) and for any
    /// process that exists, this one included. A process id reused by a new process counts as alive: the
    /// lease then ends at its expiry, the safe side.
    public var isGoneFromThisHost: Bool {
        guard host == ProcessInfo.processInfo.hostName, pid > 0 else { return false }
        return kill(pid_t(pid), 0) != 0 && errno == ESRCH
    }
}

/// The outcome of ``SQLiteCatalog/acquireLease(_:owner:duration:now:)``.
public enum LeaseAcquisition: Hashable, Sendable {
    /// The caller now holds the lease. `tookOverFrom` is the previous holder when its lease had expired
    /// without being released (a crashed or stalled process), so that the caller can report it.
    case acquired(Lease, tookOverFrom: Lease?)
    /// Someone else holds an unexpired lease; the caller must not run.
    case held(by: Lease)

    /// The caller's lease when it was acquired, `nil` when it is held by someone else.
    public var lease: Lease? {
        if case .acquired(let lease, _) = self { return lease }
        return nil
    }
}
