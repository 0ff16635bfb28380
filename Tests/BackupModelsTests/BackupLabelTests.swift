import BackupModels
import Foundation
import PropertyBased
import Testing

@Suite("Backup labels")
struct BackupLabelTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    @Test("a full label is the start time in the given zone, suffixed F")
    func fullLabel() throws {
        let date = try #require(ISO8601.date(from: "2026-11-24T17:30:00Z"))
        #expect(BackupLabel.full(at: date, in: shanghai).rawValue == "20261125-013000F")
        #expect(BackupLabel.full(at: date, in: .utc).rawValue == "20261124-173000F")
    }

    @Test("an incremental label keeps the full's part, even on another incremental")
    func incrementalLabel() throws {
        let full = try BackupLabel("20261125-013000F")
        let first = BackupLabel.incremental(on: full, at: try #require(ISO8601.date(from: "2026-11-24T18:00:00Z")), in: shanghai)
        #expect(first.rawValue == "20261125-013000F_20261125-020000I")
        let second = BackupLabel.incremental(on: first, at: try #require(ISO8601.date(from: "2026-11-24T19:00:00Z")), in: shanghai)
        #expect(second.rawValue == "20261125-013000F_20261125-030000I")
        #expect(second.kind == .incremental)
        #expect(second.fullPart == full.rawValue)
    }

    @Test(
        "malformed labels are refused",
        arguments: ["", "20261125-013000", "20261125-013000I", "2026112-013000F", "20261125-013000F_20261125-020000F", "20261125x013000F"])
    func malformed(_ text: String) {
        #expect(throws: ModelError.self) { try BackupLabel(text) }
    }

    @Test("labels round-trip through their date in any zone")
    func roundTrip() async {
        await propertyCheck(input: Gen.int(in: 0...4_000_000_000)) { seconds in
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            for zone in [TimeZone.utc, shanghai, TimeZone(identifier: "America/New_York")!] {
                let label = BackupLabel.full(at: date, in: zone)
                #expect((try? BackupLabel(label.rawValue)) == label)
                // DST repeats an hour in New York; the label's local time must still map back to a valid instant.
                let back = label.date(in: zone)
                #expect(back != nil)
                if zone != TimeZone(identifier: "America/New_York")! { #expect(back == date) }
            }
        }
    }

    @Test("labels sort by time, with incrementals after their full")
    func ordering() throws {
        let labels = try ["20261125-013000F_20261125-020000I", "20261124-013000F", "20261125-013000F"].map(BackupLabel.init)
        #expect(labels.sorted().map(\.rawValue) == ["20261124-013000F", "20261125-013000F", "20261125-013000F_20261125-020000I"])
    }
}

@Suite("Durations in restic notation")
struct RetentionDurationTests {
    @Test(
        "parses every unit",
        arguments: [
            ("1y2m7d3h", RetentionDuration(years: 1, months: 2, days: 7, hours: 3)),
            ("7d", RetentionDuration(days: 7)),
            ("36h", RetentionDuration(hours: 36)),
            ("3h1y", RetentionDuration(years: 1, hours: 3)),
        ])
    func parses(_ text: String, _ expected: RetentionDuration) throws {
        #expect(try RetentionDuration(parsing: text) == expected)
    }

    @Test("rejects malformed durations and names the field", arguments: ["", "7", "d", "7w", "1d1d", "-3d", "1.5d"])
    func rejects(_ text: String) {
        #expect {
            try RetentionDuration(parsing: text, field: "retention.keep_within")
        } throws: { error in
            (error as? ModelError)?.subject == "retention.keep_within"
        }
    }

    @Test("months are calendar months")
    func calendarMonths() throws {
        let calendar = Calendar.gregorian(in: .utc)
        let date = try #require(ISO8601.date(from: "2026-03-31T12:00:00Z"))
        let back = RetentionDuration(months: 1).subtracted(from: date, in: calendar)
        #expect(ISO8601.string(from: back) == "2026-02-28T12:00:00.000Z")
    }

    @Test("description round-trips")
    func description() throws {
        for text in ["1y2m7d3h", "7d", "0h", "12h"] {
            #expect(try RetentionDuration(parsing: text).description == text)
        }
    }
}
