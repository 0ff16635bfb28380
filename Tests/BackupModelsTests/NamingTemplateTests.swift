import BackupModels
import Foundation
import Testing

@Suite("Naming templates")
struct NamingTemplateTests {
    let values = NamingTemplate.Values(
        plan: "quickstart", source: "app-db", kind: .incremental,
        label: try! BackupLabel("20261125-013000F_20261125-020000I"), host: "node-1", ext: "sqlite.zst",
        date: ISO8601.date(from: "2026-11-24T18:00:00Z")!)

    @Test("the default template renders the documented convention in the given zone")
    func defaultTemplate() throws {
        let key = try NamingTemplate.default.render(values, in: TimeZone(identifier: "Asia/Shanghai")!)
        #expect(key == "quickstart/app-db/2026/11/25/quickstart-app-db-20261125-013000F_20261125-020000I.sqlite.zst")
        // The same instant is still 24 November in UTC: dates come from the zone, not the day number.
        let utcKey = try NamingTemplate.default.render(values, in: .utc)
        #expect(utcKey.hasPrefix("quickstart/app-db/2026/11/24/"))
    }

    @Test("the spelled-out default template is the parsed default pattern")
    func defaultTemplateMatchesPattern() throws {
        #expect(NamingTemplate.default == (try NamingTemplate(NamingTemplate.defaultPattern)))
    }

    @Test("every placeholder renders and parses back")
    func everyPlaceholder() throws {
        let template = try NamingTemplate("{host}/{plan}/{kind}/{yyyy}-{MM}-{dd}T{HH}{mm}{ss}/{source}_{label}.{ext}")
        let key = try template.render(values, in: .utc)
        #expect(key == "node-1/quickstart/incremental/2026-11-24T180000/app-db_20261125-013000F_20261125-020000I.sqlite.zst")
        let parsed = try template.parse(key)
        #expect(parsed[.host] == "node-1")
        #expect(parsed[.plan] == "quickstart")
        #expect(parsed[.kind] == "incremental")
        #expect(parsed[.yyyy] == "2026")
        #expect(parsed[.ss] == "00")
        #expect(parsed[.source] == "app-db")
        #expect(parsed[.label] == "20261125-013000F_20261125-020000I")
        #expect(parsed[.ext] == "sqlite.zst")
    }

    @Test("names with dashes parse back when a placeholder repeats")
    func repeatedPlaceholders() throws {
        var dashed = values
        dashed.plan = "log-platform"
        dashed.source = "app-db"
        let key = try NamingTemplate.default.render(dashed, in: .utc)
        let parsed = try NamingTemplate.default.parse(key)
        #expect(parsed[.plan] == "log-platform")
        #expect(parsed[.source] == "app-db")
    }

    @Test("keys from another template do not parse")
    func foreignKey() {
        #expect(throws: ModelError.self) { try NamingTemplate.default.parse("something/else.tar") }
    }

    @Test(
        "templates that could escape the root or collide are rejected, naming the template",
        arguments: [
            "", "/abs/{label}", "{plan}/../{label}", "{plan}/./{label}", "{plan}//{label}", "{plan}/{label}/",
            "{plan}\\{label}", "{plan}/{label}\u{7}", "{plan}/{source}", "{plan}/{unknown}/{label}", "{plan/{label}",
            "{plan}}/{label}", "{plan}{source}/{label}",
        ])
    func rejected(_ pattern: String) {
        #expect {
            try NamingTemplate(pattern)
        } throws: { error in
            guard let error = error as? ModelError else { return false }
            return error.code == .invalidTemplate && error.subject == pattern
        }
    }

    @Test("values that would change the key's structure are rejected, naming the field", arguments: ["a/b", "..", ".", "", "x\u{0}"])
    func badValues(_ plan: String) {
        var bad = values
        bad.plan = plan
        #expect {
            try NamingTemplate.default.render(bad, in: .utc)
        } throws: { error in
            (error as? ModelError)?.subject == "plan"
        }
    }
}
