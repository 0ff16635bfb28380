import BackupCatalog
import BackupModels
import Foundation
import Testing

@testable import BackupEngine

/// Rolling verification: a share of the backups per run, least recently read first, every one within 100/P runs.
@Suite("Rolling verification")
struct RollingVerifyTests {
    /// An engine whose plan holds `count` committed full backups of one files source, an hour apart.
    static func engine(backups count: Int, scratch: Scratch, clock: TestClock) async throws -> Engine {
        try scratch.write("src/a.txt", "a\n")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock)
        for _ in 0..<count {
            #expect(try await engine.backup(BackupRequest(kind: .full, applyRetention: false)).succeeded)
            clock.advance(3600)
        }
        return engine
    }

    @Test("at 10% each of 10 backups is read once in 10 runs, oldest read first, and the catalog remembers when", arguments: [10.0, 30.0])
    func everyBackupWithinCycle(percent: Double) async throws {
        let scratch = Scratch("rolling")
        let clock = TestClock("2026-11-25T01:30:00Z")
        let engine = try await Self.engine(backups: 10, scratch: scratch, clock: clock)
        let all = try await engine.list(states: [.committed])
        let perRun = Int((10 * percent / 100).rounded(.up))
        let runs = Int((100 / percent).rounded(.up))
        var readOrder: [BackupID] = []
        for _ in 0..<runs {
            let results = try await engine.verifyRolling(percent: percent)
            #expect(results.count == perRun)
            #expect(results.allSatisfy { $0.isSound })
            readOrder += results.map(\.id)
            clock.advance(86_400)
        }
        #expect(Set(readOrder) == Set(all.map(\.id)), "every backup was read within \(runs) runs")
        #expect(Array(readOrder.prefix(all.count)) == all.map(\.id), "never-read backups are read oldest first")
        let verified = try await engine.catalog.lastVerified(plan: "test")
        #expect(verified.count == 10)
        // The next run reads those read longest ago.
        let next = try await engine.rollingVerificationSelection(percent: percent)
        #expect(next.count == perRun)
        let newestPicked = try #require(next.compactMap { verified[$0.id] }.max())
        let oldestLeft = try #require(all.filter { record in !next.contains { $0.id == record.id } }.compactMap { verified[$0.id] }.min())
        #expect(newestPicked <= oldestLeft)
    }

    @Test("a new backup queues behind older ones, so the cycle of the old ones holds")
    func newBackupsQueueBehind() async throws {
        let scratch = Scratch("rolling")
        let clock = TestClock("2026-11-25T01:30:00Z")
        let engine = try await Self.engine(backups: 4, scratch: scratch, clock: clock)
        let old = try await engine.list(states: [.committed]).map(\.id)
        var read: [BackupID] = []
        for _ in 0..<4 {
            read += try await engine.verifyRolling(percent: 25).map(\.id)
            clock.advance(3600)
            // Each run a new backup arrives.
            #expect(try await engine.backup(BackupRequest(kind: .full, applyRetention: false)).succeeded)
            clock.advance(3600)
        }
        #expect(Set(old).isSubset(of: Set(read)), "all 4 old backups read within 100/25 runs despite new ones: \(read)")
    }

    @Test("a damaged backup is reported by the run that reads it; a percentage outside (0, 100] is refused")
    func damagedAndBounds() async throws {
        let scratch = Scratch("rolling")
        let clock = TestClock("2026-11-25T01:30:00Z")
        let engine = try await Self.engine(backups: 2, scratch: scratch, clock: clock)
        let oldest = try #require(try await engine.list(states: [.committed]).first)
        let artifact = scratch.sub("store/" + oldest.artifacts[0].key)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: artifact)))
        bytes[bytes.count - 1] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: artifact))
        let results = try await engine.verifyRolling(percent: 50)
        #expect(results.map(\.id) == [oldest.id])
        #expect(results.first?.isSound == false)
        for percent in [0.0, -5, 100.5] {
            let error = await #expect(throws: EngineError.self) { _ = try await engine.verifyRolling(percent: percent) }
            #expect(error?.code == .invalidRequest)
            #expect(error?.message.contains("--sample") == true)
        }
    }
}
