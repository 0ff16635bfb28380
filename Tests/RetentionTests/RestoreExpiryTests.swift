import BackupModels
import Foundation
import Retention
import Testing

/// Restored indices are deleted at expiry, reference-counted by exact name.
@Suite("Restore expiry")
struct RestoreExpiryTests {
    let now = Instants.now

    func restore(_ id: String, _ state: RestoreState, expiresIn hours: Double, _ indices: [String]) -> RestoreConfig {
        RestoreConfig(
            id: id, businessID: "2", tableID: "2_bklog.nginx", startTime: now.addingTimeInterval(-86_400 * 10),
            endTime: now.addingTimeInterval(-86_400 * 9), expiresAt: now.addingTimeInterval(hours * 3600),
            state: state, createdAt: now.addingTimeInterval(-86_400), indices: indices)
    }

    @Test("an index still listed by a live restore is kept; the others go")
    func exactNameReferenceCounting() {
        let expiring = restore("a", .done, expiresIn: -1, ["restore_a_1", "restore_a_10", "restore_b"])
        let live = restore("b", .done, expiresIn: 24, ["restore_a_1"])
        let plan = RestoreExpiry.plan(for: [expiring, live], now: now)
        #expect(plan.expiring == ["a"])
        #expect(plan.indicesToDelete == ["restore_a_10", "restore_b"])
        #expect(plan.indicesKept == ["restore_a_1": ["b"]])
    }

    @Test("names are never matched by prefix")
    func noPrefixMatching() {
        let expiring = restore("a", .done, expiresIn: -1, ["restore_a_10"])
        let live = restore("b", .running, expiresIn: 24, ["restore_a_1", "restore_a_100"])
        let plan = RestoreExpiry.plan(for: [live, expiring], now: now)
        #expect(plan.indicesToDelete == ["restore_a_10"])
        #expect(plan.indicesKept.isEmpty)
    }

    @Test(
        "done, failed, pending and running restores expire at their expiry time",
        arguments: [
            RestoreState.done, .failed, .pending, .running,
        ])
    func statesThatExpire(state: RestoreState) {
        let due = restore("due", state, expiresIn: 0, ["restore_x"])
        let later = restore("later", state, expiresIn: 0.5, ["restore_y"])
        let plan = RestoreExpiry.plan(for: [due, later], now: now)
        #expect(plan.expiring == ["due"])
        #expect(plan.indicesToDelete == ["restore_x"])
    }

    @Test("already expired restores neither expire again nor hold indices")
    func expiredRestores() {
        let gone = restore("gone", .expired, expiresIn: 48, ["restore_shared"])
        let expiring = restore("now", .done, expiresIn: -2, ["restore_shared"])
        let plan = RestoreExpiry.plan(for: [gone, expiring], now: now)
        #expect(plan.expiring == ["now"])
        #expect(plan.indicesToDelete == ["restore_shared"])
    }

    @Test("an index two expiring restores share is deleted once; users are listed sorted")
    func sharedIndices() {
        let first = restore("r2", .done, expiresIn: -1, ["restore_z", "restore_a"])
        let second = restore("r1", .failed, expiresIn: -3, ["restore_a", "restore_kept"])
        let liveOne = restore("r9", .done, expiresIn: 5, ["restore_kept"])
        let liveTwo = restore("r3", .pending, expiresIn: 5, ["restore_kept"])
        let plan = RestoreExpiry.plan(for: [first, second, liveOne, liveTwo], now: now)
        #expect(plan.expiring == ["r2", "r1"])
        #expect(plan.indicesToDelete == ["restore_a", "restore_z"])
        #expect(plan.indicesKept == ["restore_kept": ["r3", "r9"]])
    }

    @Test("deletion batches keep each comma-joined request under the limit, in order")
    func deletionBatches() {
        let names = (0..<50).map { "restore_2_bklog_nginx_access_2026112\($0 % 10)_\($0)" }
        let plan = RestoreExpiryPlan(indicesToDelete: names.sorted())
        let batches = plan.deletionBatches(maxJoinedLength: 200)
        #expect(batches.count > 1)
        #expect(batches.allSatisfy { $0.joined(separator: ",").utf8.count <= 200 })
        #expect(batches.flatMap { $0 } == names.sorted())

        let oversize = RestoreExpiryPlan(indicesToDelete: [String(repeating: "x", count: 30), "y"])
        #expect(oversize.deletionBatches(maxJoinedLength: 10) == [[String(repeating: "x", count: 30)], ["y"]])
        #expect(RestoreExpiryPlan().deletionBatches().isEmpty)
    }
}
