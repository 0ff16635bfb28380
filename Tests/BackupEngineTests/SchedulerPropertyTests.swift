import BackupModels
import Foundation
import PropertyBased
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// Properties of due instants and windows over generated expressions, zones, windows and instants.
@Suite("Scheduler properties")
struct SchedulerPropertyTests {
    static let zones = [
        "UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata",
    ]
    static let minutes = ["*", "*/5", "0", "30", "0,30", "10-20", "5/15", "59"]
    static let hours = ["*", "*/2", "1", "2", "1-3", "0,12", "23", "2-4/2"]
    static let days = ["*", "1", "15", "*/10", "29", "31", "1-7"]
    static let months = ["*", "1-6", "FEB", "*/3", "NOV,DEC", "MAR", "3,11"]
    static let weekdays = ["*", "MON-FRI", "0", "SUN,SAT", "3", "7"]

    /// One of `values`, picked by index so that the generator never yields `nil`.
    static func pick(_ values: [String]) -> Generator<String, Shrink.Integer<Int>> {
        Gen.int(in: 0...(values.count - 1)).map { values[$0] }
    }

    static let expressions = zip(pick(minutes), pick(hours), pick(days), pick(months), pick(weekdays)).map {
        "\($0) \($1) \($2) \($3) \($4)"
    }
    static let zoneNames = pick(zones)
    /// 2020-01-01 to 2035-12-31.
    static let instants = Gen.int(in: 1_577_836_800...2_082_758_400)

    @Test("next(after:) is strictly increasing, and previousRun inverts it")
    func nextIsIncreasing() async throws {
        await propertyCheck(count: 300, input: Self.expressions, Self.zoneNames, Self.instants) { expression, zoneName, seconds in
            guard let zone = TimeZone(identifier: zoneName),
                let schedule = try? CronSchedule(expression, timeZone: zone)
            else {
                Issue.record("\(expression) in \(zoneName) does not parse")
                return
            }
            let plan = ScheduledPlan(name: "p", cron: schedule)
            let start = Date(timeIntervalSince1970: Double(seconds))
            let runs = plan.nextRuns(12, after: start)
            var previous = start
            for run in runs {
                #expect(run > previous, "\(expression) in \(zoneName) after \(start)")
                #expect(plan.previousRun(atOrBefore: run) == run)
                #expect(
                    plan.previousRun(atOrBefore: run.addingTimeInterval(-1))
                        == (previous == start ? plan.previousRun(atOrBefore: start) : previous),
                    "\(expression) in \(zoneName): the run before \(run)")
                previous = run
            }
        }
    }

    @Test("a jittered start stays inside the window; the window closes after every instant it contains")
    func windowsAndJitter() async throws {
        let times = Gen.int(in: 0...1439)
        await propertyCheck(
            count: 400, input: times, times, Self.zoneNames, Self.instants, Gen.int(in: 0...999)
        ) { startMinute, endMinute, zoneName, seconds, permille in
            guard startMinute != endMinute, let zone = TimeZone(identifier: zoneName) else { return }
            let text = RunWindow.format(startMinute) + "-" + RunWindow.format(endMinute)
            guard let window = try? RunWindow(text, timeZone: zone),
                let cron = try? CronSchedule("* * * * *", timeZone: zone)
            else {
                Issue.record("\(text) does not parse")
                return
            }
            let instant = Date(timeIntervalSince1970: Double(seconds / 60 * 60))
            guard let closing = window.closing(after: instant) else {
                #expect(!window.contains(instant))
                return
            }
            #expect(closing > instant)
            #expect(!window.contains(closing), "\(text) in \(zoneName) closes at \(closing)")
            #expect(window.contains(closing.addingTimeInterval(-1)), "\(text) in \(zoneName) is open just before \(closing)")
            let plan = ScheduledPlan(name: "p", cron: cron, window: window, jitter: .seconds(6 * 3600))
            let delay = plan.jitterDelay(for: instant, fraction: Double(permille) / 1000)
            let start = instant.addingTimeInterval(BackupScheduler.seconds(delay))
            #expect(window.contains(start), "\(text) in \(zoneName): \(instant) + \(delay)")
        }
    }
}
