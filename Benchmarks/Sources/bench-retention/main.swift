// Times `RetentionPolicy.plan(for:now:)` over 1,000,000 committed records against a baseline in the
// same run (sorting the same records by start time), and prints both with their ratio, in wall and
// CPU time, plus the process's memory high-water mark before and after planning.
//
// Run: swift run -c release --package-path Benchmarks bench-retention

import BackupModels
import Foundation
import Retention

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

let plans = ["nightly", "hourly"]
let sources = ["app-db", "config", "business-data", "catalog"]
let groupCount = plans.count * sources.count
let recordCount = 1_000_000
let hoursPerGroup = recordCount / groupCount  // 125,000 hours ≈ 14.3 years per group
let chainLength = 24  // a full every day, then 23 incrementals each on the previous backup
let zone = TimeZone(identifier: "Asia/Shanghai")!
let start = CalendarTime(year: 2012, month: 1, day: 1, hour: 1).date(in: zone)!

func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// `YYYYMMDD-HHMMSS` of `date` in the benchmark's zone.
func stamp(_ date: Date) -> String {
    let t = CalendarTime(date, in: zone)
    return pad(t.year, 4) + pad(t.month, 2) + pad(t.day, 2) + "-" + pad(t.hour, 2) + pad(t.minute, 2) + pad(t.second, 2)
}

/// Records interleaved by time across groups, as a catalog listing ordered by start time returns them.
func makeRecords() throws -> [BackupRecord] {
    var records: [BackupRecord] = []
    records.reserveCapacity(recordCount)
    var previous = [BackupRecord?](repeating: nil, count: groupCount)
    var serial: UInt64 = 0
    var fullStamp = ""
    for hour in 0..<hoursPerGroup {
        let time = start.addingTimeInterval(Double(hour) * 3600)
        let isFull = hour % chainLength == 0
        let ownStamp = stamp(time)
        if isFull { fullStamp = ownStamp }
        let label = try BackupLabel(isFull ? ownStamp + "F" : fullStamp + "F_" + ownStamp + "I")
        for group in 0..<groupCount {
            serial += 1
            let hex = String(serial, radix: 16)
            let id = BackupID(rawValue: String(repeating: "0", count: 16 - hex.count) + hex)
            let plan = plans[group / sources.count]
            let source = sources[group % sources.count]
            let parent = isFull ? nil : previous[group]
            let record = BackupRecord(
                id: id, plan: plan, source: source, kind: parent == nil ? .full : .incremental, parentID: parent?.id,
                label: label, state: .committed, startedAt: time, finishedAt: time.addingTimeInterval(60))
            previous[group] = record
            records.append(record)
        }
    }
    return records
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func format(_ value: Double) -> String { String(format: "%.3f", value) }

/// CPU time of this process; the machine running the benchmark may be shared, so wall time alone
/// can overstate the cost.
func processCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// The resident-set high-water mark and current size (Linux `/proc/self/status`), or "n/a".
func memory() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "n/a" }
    let lines = status.split(separator: "\n").filter { $0.hasPrefix("VmHWM") || $0.hasPrefix("VmRSS") }
    return lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        .joined(separator: ", ")
}

struct Measurement<T> {
    var wall: Double
    var cpu: Double
    var result: T
}

/// Runs `body` `runs` times and reports the median wall and CPU times.
func measure<T>(_ label: String, runs: Int, _ body: () -> T) -> Measurement<T> {
    let clock = ContinuousClock()
    var walls: [Double] = []
    var cpus: [Double] = []
    var last: T?
    for _ in 0..<runs {
        last = nil
        let cpuStart = processCPUSeconds()
        let started = clock.now
        let result = body()
        walls.append(seconds(clock.now - started))
        cpus.append(processCPUSeconds() - cpuStart)
        last = result
    }
    walls.sort()
    cpus.sort()
    let measurement = Measurement(wall: walls[runs / 2], cpu: cpus[runs / 2], result: last!)
    print(
        "  \(label): median wall \(format(measurement.wall)) s (best \(format(walls[0])) s), "
            + "median CPU \(format(measurement.cpu)) s, \(runs) runs")
    return measurement
}

let generationClock = ContinuousClock()
let generationStart = generationClock.now
let records = try makeRecords()
let now = records.last!.startedAt.addingTimeInterval(3600)
print(
    "generated \(records.count) committed records (\(groupCount) plan/source groups, hourly over "
        + "\(hoursPerGroup / 24 / 365) years, chains of \(chainLength)) in "
        + "\(format(seconds(generationClock.now - generationStart))) s")
print("memory after generating: \(memory())")

let policy = RetentionPolicy(
    keepLast: 7, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 3,
    keepWithin: RetentionDuration(days: 2), maxAgeDays: 3650, timeZoneIdentifier: "Asia/Shanghai")
var capped = policy
capped.maxDeletions = 100

print("timings (release build):")
let planned = measure("policy.plan(for:now:)", runs: 5) { policy.plan(for: records, now: now) }
print("memory after planning: \(memory())")
let cappedRun = measure("policy.plan(for:now:) with max_deletions 100", runs: 3) { capped.plan(for: records, now: now) }
let baseline = measure("baseline: sort the records by startedAt", runs: 5) {
    records.sorted { $0.startedAt < $1.startedAt }.count
}

let plan = planned.result
print("plan: \(plan.decisions.count) decisions, \(plan.kept.count) kept, \(plan.removals.count) removed")
print("capped plan: \(cappedRun.result.removals.count) removed")
func ratio(_ a: Double, _ b: Double) -> String { String(format: "%.2f", a / b) }
print("ratio plan / baseline: wall \(ratio(planned.wall, baseline.wall))x, CPU \(ratio(planned.cpu, baseline.cpu))x")
print(
    "ratio capped plan / baseline: wall \(ratio(cappedRun.wall, baseline.wall))x, "
        + "CPU \(ratio(cappedRun.cpu, baseline.cpu))x")
if planned.cpu >= 1.0 { print("WARNING: planning 1,000,000 records took a second or more of CPU") }
