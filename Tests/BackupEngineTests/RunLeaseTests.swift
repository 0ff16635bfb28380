import BackupCatalog
import BackupModels
import Foundation
import RemoteStorage
import Retention
import Testing

@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// The run lease (`run:<plan>`) that makes one run of a plan work at a time on every host sharing a catalog.
@Suite("Engine: the run lease shared by every host")
struct RunLeaseTests {
    private static let runLease = Lease.name(forRun: "test")

    /// A process id no process has: the kernel hands out ids below `pid_max` only.
    private static func pidOfNoProcess() throws -> Int32 {
        let text = try String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    private func engine(_ scratch: Scratch, clock: TestClock) throws -> Engine {
        try scratch.write("src/app.conf", "listen 8080\n")
        return try Fixture.engine(Fixture.plan(scratch), clock: clock)
    }

    @Test("a run on another host blocks a backup with 'locked' naming that host; nothing is recorded")
    func anotherHostBlocks() async throws {
        let scratch = Scratch("runlease")
        let clock = TestClock("2026-12-04T01:00:00Z")
        let engine = try engine(scratch, clock: clock)
        let other = LeaseOwner(host: "backup-replica-2", pid: 31337)
        let held = try await engine.catalog.acquireLease(Self.runLease, owner: other, duration: .seconds(600), now: Date())
        #expect(held.lease != nil)

        await #expect {
            _ = try await engine.backup()
        } throws: { error in
            let error = error as? EngineError
            return error?.code == .locked && error?.message.contains("backup-replica-2") == true
        }
        #expect(try await engine.list().isEmpty, "a blocked run records nothing")
        // Retention removes nothing while the other run works either.
        await #expect { _ = try await engine.applyRetention(dryRun: false) } throws: { ($0 as? EngineError)?.code == .locked }

        try await engine.catalog.releaseLease(try #require(held.lease))
        let report = try await engine.backup()
        #expect(report.succeeded)
        #expect(try await engine.catalog.lease(named: Self.runLease) == nil, "a finished run releases its lease")
    }

    @Test("status names the host and process that hold the run lease; a lease of a dead local process names nobody")
    func statusNamesTheHolder() async throws {
        let scratch = Scratch("runlease")
        let clock = TestClock("2026-12-04T01:00:00Z")
        let engine = try engine(scratch, clock: clock)
        #expect(try await PlanStatus.read(for: engine, now: Date()).runningOn == nil)

        let other = LeaseOwner(host: "backup-replica-2", pid: 31337)
        let held = try #require(
            try await engine.catalog.acquireLease(Self.runLease, owner: other, duration: .seconds(600), now: Date()).lease)
        #expect(try await PlanStatus.read(for: engine, now: Date()).runningOn == other)
        try await engine.catalog.releaseLease(held)

        let dead = LeaseOwner(host: ProcessInfo.processInfo.hostName, pid: try Self.pidOfNoProcess())
        _ = try await engine.catalog.acquireLease(Self.runLease, owner: dead, duration: .seconds(600), now: Date())
        #expect(try await PlanStatus.read(for: engine, now: Date()).runningOn == nil, "a dead process runs nothing")
    }

    @Test("a lease left by a dead process of this host is taken over at once, and its running record recovered")
    func deadLocalHolder() async throws {
        let scratch = Scratch("runlease")
        let clock = TestClock("2026-12-04T01:00:00Z")
        let engine = try engine(scratch, clock: clock)
        // A process of this host that is gone.
        let deadPID = try Self.pidOfNoProcess()
        let dead = LeaseOwner(host: ProcessInfo.processInfo.hostName, pid: deadPID)
        #expect(dead.isGoneFromThisHost)
        #expect(!LeaseOwner.current().isGoneFromThisHost, "this process is alive")
        #expect(!LeaseOwner(host: "elsewhere", pid: deadPID).isGoneFromThisHost, "nothing is known of another host")

        _ = try await engine.catalog.acquireLease(Self.runLease, owner: dead, duration: .seconds(3600), now: Date())
        let interrupted = BackupRecord(
            plan: "test", source: "config", kind: .full,
            label: .full(at: clock.now.addingTimeInterval(-60), in: .gmt), startedAt: clock.now.addingTimeInterval(-60),
            host: ProcessInfo.processInfo.hostName)
        try await engine.catalog.insert(interrupted)

        let report = try await engine.backup()
        #expect(report.succeeded)
        #expect(report.recovered.map(\.id) == [interrupted.id])
        #expect(try await engine.catalog.record(interrupted.id)?.state == .failed)
    }

    @Test("a running record of a run that died on another host is recovered once its lease expired")
    func expiredRemoteHolder() async throws {
        let scratch = Scratch("runlease")
        let clock = TestClock("2026-12-04T01:00:00Z")
        let engine = try engine(scratch, clock: clock)
        let other = LeaseOwner(host: "backup-replica-2", pid: 31337)
        // Taken two minutes ago for one minute, never renewed: the process died.
        _ = try await engine.catalog.acquireLease(
            Self.runLease, owner: other, duration: .seconds(60), now: Date().addingTimeInterval(-120))
        let interrupted = BackupRecord(
            plan: "test", source: "config", kind: .full,
            label: .full(at: clock.now.addingTimeInterval(-120), in: .gmt), startedAt: clock.now.addingTimeInterval(-120),
            host: "backup-replica-2")
        try await engine.catalog.insert(interrupted)

        let report = try await engine.backup()
        #expect(report.succeeded)
        #expect(report.recovered.map(\.id) == [interrupted.id])
    }

    @Test("a run that loses its lease is cancelled: its record is marked failed and nothing is committed")
    func lostLeaseCancels() async throws {
        let scratch = Scratch("runlease")
        let clock = TestClock("2026-12-04T01:00:00Z")
        var engine = try engine(scratch, clock: clock)
        engine.runLeaseDuration = .seconds(3)
        let started = Gate()
        engine.makeSource = { _ in StallingSource(started: started) }

        let running = engine
        let run = Task { try await running.backup() }
        await started.wait()
        // Another host takes the lease over (as after this process stalled past its expiry).
        let mine = try #require(try await engine.catalog.lease(named: Self.runLease))
        #expect(try await engine.catalog.releaseLease(mine))
        let thief = LeaseOwner(host: "backup-replica-2", pid: 31337)
        #expect(try await engine.catalog.acquireLease(Self.runLease, owner: thief, duration: .seconds(600), now: Date()).lease != nil)

        let outcome = await run.result
        #expect {
            _ = try outcome.get()
        } throws: { ($0 as? EngineError)?.code == .locked && "\($0)".contains("lost its run lease") }
        let records = try await engine.list()
        #expect(records.count == 1)
        #expect(records.allSatisfy { $0.state == .failed }, "\(records.map(\.state))")
        #expect(try await engine.catalog.lease(named: Self.runLease)?.owner == thief, "the new holder keeps its lease")
    }

    @Test("a retention pass inside a backup run holds the run already; alone it takes and releases it")
    func retentionHoldsTheRun() async throws {
        let scratch = Scratch("runlease")
        let clock = TestClock("2026-12-04T01:00:00Z")
        try scratch.write("src/app.conf", "listen 8080\n")
        let plan = Fixture.plan(scratch, retention: RetentionPolicy(keepLast: 1))
        let engine = try Fixture.engine(plan, clock: clock)
        for _ in 0..<3 {
            #expect(try await engine.backup(BackupRequest(kind: .full)).succeeded)
            clock.advance(3600)
        }
        #expect(try await engine.list(states: [.committed]).count == 1)
        _ = try await engine.applyRetention(dryRun: false)
        #expect(try await engine.catalog.lease(named: Self.runLease) == nil)
    }
}

/// A source that signals when it started and then works until cancelled.
private struct StallingSource: BackupSource {
    let started: Gate
    var name: String { "config" }
    var typeName: String { "files" }
    var supportsIncremental: Bool { false }
    var payloadExtensions: [String] { ["tar"] }

    func prepare(_ request: SourceRequest, progress: @escaping @Sendable (SourceProgress) -> Void) async throws -> PreparedBackup {
        let started = self.started
        let stream = ByteStream {
            return {
                started.open()
                try await Task.sleep(for: .milliseconds(50))
                return [UInt8](repeating: 1, count: 1024)
            }
        }
        return PreparedBackup(stream: stream, fileExtension: "tar", outcome: { SourceOutcome() })
    }
}
