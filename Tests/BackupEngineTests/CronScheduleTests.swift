import BackupEngine
import BackupModels
import Foundation
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

// MARK: - Support

private let shanghai = TimeZone(identifier: "Asia/Shanghai")!
private let newYork = TimeZone(identifier: "America/New_York")!
private let berlin = TimeZone(identifier: "Europe/Berlin")!
private let lordHowe = TimeZone(identifier: "Australia/Lord_Howe")!

/// The instant with these UTC fields.
private func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0)
    -> Date
{
    CalendarTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second).date(in: .utc)!
}

/// The instant with these wall-clock fields in `zone` (must exist and be unambiguous).
private func local(
    _ zone: TimeZone, _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0
) -> Date {
    CalendarTime(year: year, month: month, day: day, hour: hour, minute: minute).date(in: zone)!
}

private func runs(_ expression: String, in zone: TimeZone = .utc, after start: Date, count: Int) throws -> [Date] {
    try CronSchedule(expression, timeZone: zone).next(count, after: start)
}

// MARK: - Parsing

@Suite("CronSchedule parsing")
struct CronScheduleParsingTests {
    @Test(
        "normalizes whitespace, names and macros",
        arguments: [
            ("  30\t1 *  * *  ", "30 1 * * *"),
            ("0 0 * jan,Jul mon-fri", "0 0 * JAN,JUL MON-FRI"),
            ("@daily", "0 0 * * *"),
            ("@MIDNIGHT", "0 0 * * *"),
            ("@hourly", "0 * * * *"),
            ("@weekly", "0 0 * * 0"),
            ("@monthly", "0 0 1 * *"),
            ("@yearly", "0 0 1 1 *"),
            ("@annually", "0 0 1 1 *"),
        ])
    func normalization(expression: String, normalized: String) throws {
        let schedule = try CronSchedule(expression, timeZone: .utc)
        #expect(schedule.description == normalized)
        #expect(try CronSchedule(normalized, timeZone: .utc) == schedule)
    }

    @Test(
        "each syntax element selects the documented minutes",
        arguments: [
            ("* * * * *", [1, 2, 3, 4]),
            ("1,5,9 * * * *", [1, 5, 9, 61]),
            ("1-3 * * * *", [1, 2, 3, 61]),
            ("*/15 * * * *", [15, 30, 45, 60]),
            ("10-50/10 * * * *", [10, 20, 30, 40, 50, 70]),
            ("5/20 * * * *", [5, 25, 45, 65]),
            ("0-5/2,58 * * * *", [2, 4, 58, 60]),
            ("7 */6 * * *", [7, 367, 727, 1087]),
        ])
    func minutes(expression: String, expected: [Int]) throws {
        // Minutes after 2026-11-25T00:00Z (a Wednesday).
        let start = utc(2026, 11, 25)
        let result = try runs(expression, after: start, count: expected.count)
        #expect(result.map { Int($0.timeIntervalSince(start) / 60) } == expected)
    }

    @Test(
        "month and weekday names and numbers select the same days",
        arguments: [
            ("0 0 * * MON-FRI", "0 0 * * 1-5"),
            ("0 0 * * sun", "0 0 * * 0"),
            ("0 0 * * 7", "0 0 * * 0"),
            ("0 0 * * FRI-SUN", "0 0 * * 5,6,0"),
            ("0 0 * * 5-7", "0 0 * * 5,6,0"),
            ("0 0 1 jan-mar *", "0 0 1 1-3 *"),
            ("0 0 1 Dec *", "0 0 1 12 *"),
            ("0 0 * * */2", "0 0 * * 0,2,4,6"),
            ("@weekly", "0 0 * * 7"),
        ])
    func names(expression: String, equivalent: String) throws {
        let start = utc(2026, 11, 25)
        #expect(try runs(expression, after: start, count: 12) == runs(equivalent, after: start, count: 12))
    }
}

// MARK: - Errors

@Suite("CronSchedule errors")
struct CronScheduleErrorTests {
    @Test(
        "every field error names the field and the offending text",
        arguments: [
            ("61 * * * *", CronError.Code.outOfRange, "minute", "61 is out of range 0–59"),
            ("* 24 * * *", .outOfRange, "hour", "24 is out of range 0–23"),
            ("* * 0 * *", .outOfRange, "day-of-month", "0 is out of range 1–31"),
            ("* * 32 * *", .outOfRange, "day-of-month", "32"),
            ("* * * 13 *", .outOfRange, "month", "13"),
            ("* * * * 8", .outOfRange, "day-of-week", "8 is out of range 0–7"),
            ("99999999999999999999 * * * *", .outOfRange, "minute", "99999999999999999999"),
            ("*/0 * * * *", .invalidStep, "minute", "step 0"),
            ("* */x * * *", .invalidStep, "hour", "'x'"),
            ("* */99 * * *", .invalidStep, "hour", "step 99"),
            ("5-1 * * * *", .reversedRange, "minute", "'5-1' is a reversed range"),
            ("* * * * FRI-MON", .reversedRange, "day-of-week", "FRI-MON"),
            ("* * * FOO *", .unknownName, "month", "unknown month name 'FOO'"),
            ("* * * * FUNDAY", .unknownName, "day-of-week", "'FUNDAY'"),
            ("abc * * * *", .unknownName, "minute", "'abc' is not a number"),
            ("* * MON * *", .unknownName, "day-of-month", "'MON'"),
            ("1,,5 * * * *", .emptyItem, "minute", "'1,,5'"),
            ("* 1, * * *", .emptyItem, "hour", "'1,'"),
            ("5x * * * *", .malformed, "minute", "'5x'"),
            ("* 1-2-3 * * *", .malformed, "hour", "'1-2-3'"),
            ("*/5/2 * * * *", .malformed, "minute", "'*/5/2'"),
            ("* * * * MON-", .malformed, "day-of-week", "'MON-'"),
            ("/5 * * * *", .malformed, "minute", "missing value"),
            ("* * * * 1.5", .malformed, "day-of-week", "'1.5'"),
        ])
    func fieldErrors(expression: String, code: CronError.Code, field: String, fragment: String) {
        let error = #expect(throws: CronError.self) { try CronSchedule(expression, timeZone: .utc) }
        #expect(error?.code == code)
        #expect(error?.field == field)
        #expect(error?.description.hasPrefix("cron \"\(expression)\": \(field): ") == true)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
    }

    @Test("the documented message for an out-of-range minute")
    func documentedMessage() {
        let error = #expect(throws: CronError.self) { try CronSchedule("61 * * * *", timeZone: .utc) }
        #expect(error?.description == "cron \"61 * * * *\": minute: 61 is out of range 0–59")
        #expect(error?.text == "61")
    }

    @Test(
        "whole-expression errors",
        arguments: [
            ("", CronError.Code.fieldCount, "found 0"),
            ("* * * *", .fieldCount, "expected 5 fields"),
            ("* * * * * *", .fieldCount, "found 6"),
            ("@reboot", .unknownMacro, "'@reboot'"),
            ("@daily 5", .fieldCount, "'5' after macro @daily"),
        ])
    func wholeExpressionErrors(expression: String, code: CronError.Code, fragment: String) {
        let error = #expect(throws: CronError.self) { try CronSchedule(expression, timeZone: .utc) }
        #expect(error?.code == code)
        #expect(error?.field == nil)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
    }
}

// MARK: - Next

@Suite("CronSchedule next runs")
struct CronScheduleNextTests {
    @Test("the recommended daily archive at 01:30 Shanghai runs at 17:30Z the day before")
    func shanghaiArchive() throws {
        let result = try runs("30 1 * * *", in: shanghai, after: utc(2026, 11, 25, 12), count: 3)
        #expect(result == [utc(2026, 11, 25, 17, 30), utc(2026, 11, 26, 17, 30), utc(2026, 11, 27, 17, 30)])
    }

    @Test("weekdays only skip the weekend")
    func weekdays() throws {
        // 2026-11-27 is a Friday.
        let result = try runs("0 0 * * 1-5", after: utc(2026, 11, 26, 12), count: 3)
        #expect(result == [utc(2026, 11, 27), utc(2026, 11, 30), utc(2026, 12, 1)])
    }

    @Test("restricting both day fields fires when either matches")
    func dayFieldsOr() throws {
        let result = try runs("0 12 1 * MON", after: utc(2026, 11, 25), count: 7)
        #expect(
            result == [
                utc(2026, 11, 30, 12), utc(2026, 12, 1, 12), utc(2026, 12, 7, 12), utc(2026, 12, 14, 12),
                utc(2026, 12, 21, 12), utc(2026, 12, 28, 12), utc(2027, 1, 1, 12),
            ])
        // With day-of-week `*`, only the day of month applies (and the reverse).
        #expect(try runs("0 12 1 * *", after: utc(2026, 11, 25), count: 2) == [utc(2026, 12, 1, 12), utc(2027, 1, 1, 12)])
        #expect(try runs("0 12 * * MON", after: utc(2026, 11, 25), count: 2) == [utc(2026, 11, 30, 12), utc(2026, 12, 7, 12)])
        // A field starting with `*` does not count as restricted, but still filters.
        #expect(try runs("0 12 */10 * MON", after: utc(2026, 11, 25), count: 2) == [utc(2026, 12, 21, 12), utc(2027, 1, 11, 12)])
    }

    @Test("February 29 is found up to eight years ahead")
    func leapDay() throws {
        #expect(try runs("0 0 29 2 *", after: utc(2026, 1, 1), count: 2) == [utc(2028, 2, 29), utc(2032, 2, 29)])
        #expect(try runs("0 0 29 2 *", after: utc(2096, 3, 1), count: 1) == [utc(2104, 2, 29)])
    }

    @Test("an expression that never matches returns nil", arguments: ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *"])
    func neverMatches(expression: String) throws {
        let schedule = try CronSchedule(expression, timeZone: newYork)
        #expect(schedule.next(after: utc(2026, 1, 1)) == nil)
        #expect(schedule.next(5, after: utc(2026, 1, 1)).isEmpty)
    }

    @Test("hourly and steps are strictly after the given instant")
    func strictlyAfter() throws {
        #expect(try runs("@hourly", after: utc(2026, 11, 25, 10, 15), count: 2) == [utc(2026, 11, 25, 11), utc(2026, 11, 25, 12)])
        #expect(try runs("@hourly", after: utc(2026, 11, 25, 11), count: 1) == [utc(2026, 11, 25, 12)])
        #expect(
            try runs("*/15 * * * *", after: utc(2026, 11, 25, 10, 7, 30), count: 2) == [
                utc(2026, 11, 25, 10, 15), utc(2026, 11, 25, 10, 30),
            ])
        #expect(try runs("*/15 * * * *", after: utc(2026, 11, 25, 10, 14, 59), count: 1) == [utc(2026, 11, 25, 10, 15)])
        #expect(try runs("*/15 * * * *", after: utc(2026, 11, 25, 23, 45), count: 1) == [utc(2026, 11, 26)])
        #expect(try runs("0 0 1 1 *", after: utc(2026, 12, 31, 23, 59), count: 1) == [utc(2027, 1, 1)])
    }

    @Test("10,000 successive runs of */5 are exactly five minutes apart")
    func longSequence() throws {
        // Speed is measured outside the tests (see Benchmarks/README.md); this checks the long sequence is right.
        let schedule = try CronSchedule("*/5 * * * *", timeZone: newYork)
        let result = schedule.next(10_000, after: utc(2026, 1, 1))
        #expect(result.count == 10_000)
        #expect(result.last == utc(2026, 1, 1).addingTimeInterval(10_000 * 300))
        #expect(zip(result, result.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 300 })
    }
}

// MARK: - Daylight-saving time

@Suite("CronSchedule daylight-saving time")
struct CronScheduleDaylightSavingTests {
    @Test("a skipped wall time runs once at the end of the gap")
    func skippedHour() throws {
        // 2026-03-08 New York: 02:00 EST → 03:00 EDT (07:00Z).
        #expect(
            try runs("30 2 * * *", in: newYork, after: utc(2026, 3, 7, 12), count: 2)
                == [utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)])
        // 2026-03-29 Berlin: 02:00 CET → 03:00 CEST (01:00Z).
        #expect(try runs("30 2 * * *", in: berlin, after: utc(2026, 3, 28, 12), count: 1) == [utc(2026, 3, 29, 1)])
        // 2026-10-04 Lord Howe: 02:00 +10:30 → 02:30 +11 (15:30Z the day before).
        #expect(try runs("15 2 * * *", in: lordHowe, after: utc(2026, 10, 3), count: 1) == [utc(2026, 10, 3, 15, 30)])
    }

    @Test("a repeated wall time runs once, at its first occurrence")
    func repeatedHour() throws {
        // 2026-11-01 New York: 01:30 EDT (05:30Z) and 01:30 EST (06:30Z).
        let schedule = try CronSchedule("30 1 * * *", timeZone: newYork)
        #expect(schedule.next(2, after: utc(2026, 10, 31, 12)) == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)])
        #expect(schedule.next(after: utc(2026, 11, 1, 5, 30)) == utc(2026, 11, 2, 6, 30))
        #expect(schedule.next(after: utc(2026, 11, 1, 6)) == utc(2026, 11, 2, 6, 30))
        // 2026-10-25 Berlin: 02:30 CEST (00:30Z) and 02:30 CET (01:30Z).
        #expect(
            try runs("30 2 * * *", in: berlin, after: utc(2026, 10, 24, 12), count: 2) == [
                utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30),
            ])
        // 2026-04-05 Lord Howe: 01:45 at +11 (14:45Z) and at +10:30 (15:15Z).
        #expect(
            try runs("45 1 * * *", in: lordHowe, after: utc(2026, 4, 4), count: 2) == [utc(2026, 4, 4, 14, 45), utc(2026, 4, 5, 15, 15)])
    }

    @Test("every half hour across both New York transitions")
    func halfHourlyNewYork() throws {
        #expect(
            try runs("*/30 * * * *", in: newYork, after: utc(2026, 3, 8, 5, 45), count: 4)
                == [utc(2026, 3, 8, 6), utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7), utc(2026, 3, 8, 7, 30)])
        #expect(
            try runs("*/30 * * * *", in: newYork, after: utc(2026, 11, 1, 4, 45), count: 4)
                == [utc(2026, 11, 1, 5), utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7), utc(2026, 11, 1, 7, 30)])
    }

    @Test("*/30 is strictly increasing and unique through a whole year of transitions", arguments: [newYork, berlin, lordHowe])
    func halfHourlyYear(zone: TimeZone) throws {
        let result = try runs("*/30 * * * *", in: zone, after: local(zone, 2026, 1, 1), count: 2 * 24 * 365)
        #expect(result.count == 2 * 24 * 365)
        #expect(zip(result, result.dropFirst()).allSatisfy { $0 < $1 })
        let spanHours = result.last!.timeIntervalSince(result.first!) / 3600
        // One lost run per skipped half hour in spring, one per repeated half hour in autumn: 365 days of
        // wall time minus the half hour before the first run, plus whatever the zone skips or repeats.
        #expect(abs(spanHours - (365 * 24 - 0.5)) <= 1)
    }
}

// MARK: - Properties

/// SplitMix64: a small deterministic generator, so that every run checks the same cases.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random expression together with the values each field stands for, computed independently of the parser.
private struct GeneratedExpression: CustomStringConvertible {
    var fields: [(text: String, values: Set<Int>)]
    var description: String { fields.map(\.text).joined(separator: " ") }

    func matches(_ wall: DateComponents) -> Bool {
        guard fields[0].values.contains(wall.minute!), fields[1].values.contains(wall.hour!),
            fields[3].values.contains(wall.month!)
        else { return false }
        let dayOfMonth = fields[2].values.contains(wall.day!)
        let dayOfWeek = fields[4].values.contains(wall.weekday! - 1)
        let bothRestricted = !fields[2].text.hasPrefix("*") && !fields[4].text.hasPrefix("*")
        return bothRestricted ? (dayOfMonth || dayOfWeek) : (dayOfMonth && dayOfWeek)
    }
}

private let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
private let weekdayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

private func generateField(index: Int, using random: inout SplitMix64) -> (text: String, values: Set<Int>) {
    let (low, high, starHigh) = [(0, 59, 59), (0, 23, 23), (1, 31, 31), (1, 12, 12), (0, 7, 6)][index]
    func name(_ value: Int, rangeEnd: Bool = false) -> String {
        let useName = Bool.random(using: &random)
        if index == 3, useName { return monthNames[value - 1] }
        if index == 4, useName, value < 7 || rangeEnd { return weekdayNames[value % 7].lowercased() }
        return String(value)
    }
    func normalize(_ values: some Sequence<Int>) -> Set<Int> { Set(values.map { index == 4 && $0 == 7 ? 0 : $0 }) }
    func item() -> (String, Set<Int>) {
        let a = Int.random(in: low...high, using: &random)
        let b = Int.random(in: a...high, using: &random)
        let step = Int.random(in: 1...max(1, high / 3), using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0: return (name(a), normalize([a]))
        // SUN as the end of a range that starts later means 7; a range starting at SUN ends on a number.
        case 1: return ("\(name(a))-\(a == 0 ? String(b) : name(b, rangeEnd: true))", normalize(a...b))
        case 2: return ("\(a)-\(b)/\(step)", normalize(stride(from: a, through: b, by: step)))
        default: return ("\(a)/\(step)", normalize(stride(from: a, through: max(a, starHigh), by: step)))
        }
    }
    // Dense fields are likelier, so that most cases run often enough to cross transitions.
    let dense = index == 1 ? 0.6 : (index == 0 ? 0.3 : 0.6)
    if Double.random(in: 0..<1, using: &random) < dense {
        if Bool.random(using: &random) { return ("*", normalize(low...starHigh)) }
        let step = Int.random(in: 1...max(1, starHigh / 4), using: &random)
        return ("*/\(step)", normalize(stride(from: low, through: starHigh, by: step)))
    }
    var texts: [String] = []
    var values: Set<Int> = []
    for _ in 0..<Int.random(in: 1...3, using: &random) {
        let (text, itemValues) = item()
        texts.append(text)
        values.formUnion(itemValues)
    }
    return (texts.joined(separator: ","), values)
}

/// A random expression; a third of them run around 02:00, where New York, Berlin and Lord Howe change
/// their clocks.
///
/// A `simple` expression runs in every month, and on every day half the time, so that a short window
/// holds runs.
private func generateExpression(simple: Bool = false, using random: inout SplitMix64) -> GeneratedExpression {
    var fields = (0..<5).map { generateField(index: $0, using: &random) }
    if simple {
        fields[3] = ("*", Set(1...12))
        if Bool.random(using: &random) {
            fields[2] = ("*", Set(1...31))
            fields[4] = ("*", Set(0...6))
        }
    }
    if Int.random(in: 0..<3, using: &random) == 0 {
        fields[1] = [("2", Set([2])), ("1-3", Set([1, 2, 3])), ("*/2", Set(stride(from: 0, through: 22, by: 2)))]
            .randomElement(using: &random)!
    }
    return GeneratedExpression(fields: fields)
}

private let propertyZones = [TimeZone.utc, shanghai, newYork, berlin, lordHowe]

/// A start instant: a quarter of the time anywhere in 2020–2035, otherwise shortly before or after a transition.
private func generateStart(in zone: TimeZone, using random: inout SplitMix64) -> Date {
    let anywhere = Date(timeIntervalSince1970: Double(Int.random(in: 1_577_836_800...2_082_758_400, using: &random)))
    guard Int.random(in: 0..<4, using: &random) > 0, let transition = zone.nextDaylightSavingTimeTransition(after: anywhere) else {
        return anywhere
    }
    return transition.addingTimeInterval(Double(Int.random(in: -4 * 3600...2 * 3600, using: &random)))
}

/// Whether `run` is the end of a daylight-saving gap that skipped a wall time matching `expression`.
private func isShiftOfSkippedTime(_ run: Date, expression: GeneratedExpression, zone: TimeZone) -> Bool {
    let before = zone.secondsFromGMT(for: run.addingTimeInterval(-1))
    let after = zone.secondsFromGMT(for: run)
    guard before < after else { return false }
    // Wall times from local(run - 1s) up to local(run) do not exist; walk them as naive UTC times.
    let naive = Calendar.gregorian(in: .utc)
    var wall = run.addingTimeInterval(Double(before))
    let end = run.addingTimeInterval(Double(after))
    while wall < end {
        if expression.matches(naive.dateComponents([.minute, .hour, .day, .month, .weekday], from: wall)) {
            return true
        }
        wall.addTimeInterval(60)
    }
    return false
}

/// The runs a brute-force minute scan of the UTC timeline finds in (`start`, `end`].
private func bruteForceRuns(_ expression: GeneratedExpression, zone: TimeZone, after start: Date, through end: Date)
    -> [Date]
{
    let calendar = Calendar.gregorian(in: zone)
    let naive = Calendar.gregorian(in: .utc)
    var seenWallMinutes: Set<Int> = []
    var result: [Date] = []
    // Begin three hours early so that wall times repeated after a fall-back are known to have run.
    var instant = Date(timeIntervalSince1970: (start.timeIntervalSince1970 / 60).rounded(.down) * 60 - 3 * 3600)
    var previousOffset = zone.secondsFromGMT(for: instant.addingTimeInterval(-60))
    while instant <= end {
        let offset = zone.secondsFromGMT(for: instant)
        let wallMinute = Int(instant.timeIntervalSince1970) / 60 + offset / 60
        let firstOccurrence = seenWallMinutes.insert(wallMinute).inserted
        var fires =
            firstOccurrence
            && expression.matches(
                calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: instant))
        if !fires, offset > previousOffset {
            var wall = instant.addingTimeInterval(Double(previousOffset))
            while wall < instant.addingTimeInterval(Double(offset)), !fires {
                fires = expression.matches(naive.dateComponents([.minute, .hour, .day, .month, .weekday], from: wall))
                wall.addTimeInterval(60)
            }
        }
        if fires, instant > start { result.append(instant) }
        previousOffset = offset
        instant.addTimeInterval(60)
    }
    return result
}

@Suite("CronSchedule properties")
struct CronSchedulePropertyTests {
    @Test("random expressions in random zones: strictly increasing runs that match their fields")
    func runsMatchFields() throws {
        var random = SplitMix64(state: 0xC0FFEE)
        var shifted = 0
        for _ in 0..<500 {
            let expression = generateExpression(using: &random)
            let zone = propertyZones.randomElement(using: &random)!
            let start = generateStart(in: zone, using: &random)
            let schedule = try CronSchedule(expression.description, timeZone: zone)
            let result = schedule.next(50, after: start)
            let calendar = Calendar.gregorian(in: zone)
            var previous = start
            for run in result {
                #expect(run > previous, "\(expression) in \(zone.identifier) after \(start)")
                previous = run
                #expect(Int(run.timeIntervalSince1970) % 60 == 0 || zone.secondsFromGMT(for: run) % 60 != 0)
                let wall = calendar.dateComponents([.second, .minute, .hour, .day, .month, .weekday], from: run)
                #expect(wall.second == 0)
                if !expression.matches(wall) {
                    #expect(
                        isShiftOfSkippedTime(run, expression: expression, zone: zone),
                        "\(expression) in \(zone.identifier): \(run) does not match")
                    shifted += 1
                }
            }
        }
        // Some cases must exercise the shift of a skipped wall time.
        #expect(shifted > 0)
    }

    @Test("random simple expressions: no run is skipped compared with a brute-force minute scan")
    func noRunSkipped() throws {
        var random = SplitMix64(state: 0x5EED)
        var compared = 0
        var crossings = 0
        for _ in 0..<150 {
            let expression = generateExpression(simple: true, using: &random)
            let zone = propertyZones.randomElement(using: &random)!
            let start = generateStart(in: zone, using: &random)
            let schedule = try CronSchedule(expression.description, timeZone: zone)
            let windowEnd = start.addingTimeInterval(30 * 3600)
            let result = schedule.next(2_000, after: start).filter { $0 <= windowEnd }
            let expected = bruteForceRuns(expression, zone: zone, after: start, through: windowEnd)
            #expect(result == expected, "\(expression) in \(zone.identifier) after \(start)")
            compared += expected.count
            if let transition = zone.nextDaylightSavingTimeTransition(after: start), transition <= windowEnd,
                !expected.isEmpty
            {
                crossings += 1
            }
        }
        // The generator must produce cases that run inside the window, and many that cross a transition.
        #expect(compared > 5_000)
        #expect(crossings > 20)
    }
}
