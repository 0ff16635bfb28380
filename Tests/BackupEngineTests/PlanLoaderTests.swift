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

/// The working directory plans in these tests resolve against. It does not exist: the loader never
/// checks that paths exist.
private let workingDirectory = "/srv/backup"

private func parse(
    _ yaml: String, origin: String = "plan.yaml", in directory: String = workingDirectory
) throws
    -> BackupPlan
{
    try PlanLoader.parse(yaml: yaml, origin: origin, workingDirectory: directory)
}

/// The example of the plan reference, line by line.
private let referenceExample = """
    plan: quickstart
    catalog: ./backups/catalog.sqlite
    storage: {type: local, path: ./backups}
    sources:
      - {name: config, type: files, paths: [Examples/sample/config], exclude: ["*.tmp"], include: ["*.yaml", "*.conf"], hash_contents: true}
      - {name: app-db, type: sqlite, path: Examples/sample/app.db}
    compression: {algorithm: zstd, level: 3, threads: 2}
    encryption: {key_file: ./backup.key}
    naming: "{plan}/{source}/{yyyy}/{MM}/{dd}/{plan}-{source}-{label}.{ext}"
    retention: {keep_last: 7, keep_daily: 7, keep_weekly: 4, keep_monthly: 6, time_zone: Asia/Shanghai}
    time_zone: UTC

    """

/// A valid plan of five lines; error cases append from line 6.
private let minimalPlan = """
    plan: quickstart
    catalog: ./catalog.sqlite
    storage: {type: local, path: ./backups}
    sources:
      - {name: config, type: files, paths: [config]}

    """

@Suite("Plan loader: reading valid plans")
struct PlanLoaderParsingTests {
    @Test("the reference example sets every field")
    func fullExample() throws {
        let plan = try parse(referenceExample)

        #expect(plan.name == "quickstart")
        #expect(plan.catalogPath == "/srv/backup/backups/catalog.sqlite")
        #expect(plan.storage == .local(LocalStorageConfig(path: "/srv/backup/backups")))
        #expect(plan.sources.count == 2)
        let config = FileTreeSourceConfig(
            name: "config", paths: ["/srv/backup/Examples/sample/config"], include: ["*.yaml", "*.conf"],
            exclude: ["*.tmp"], hashContents: true)
        #expect(plan.sources.first == .files(config))
        #expect(
            plan.sources.last == .sqlite(SQLiteSourceConfig(name: "app-db", path: "/srv/backup/Examples/sample/app.db"))
        )
        #expect(plan.compression == CompressionSettings(algorithm: .zstd, level: 3, threads: 2))
        #expect(plan.encryption == EncryptionSettings(keyFile: "/srv/backup/backup.key"))
        #expect(plan.naming.pattern == "{plan}/{source}/{yyyy}/{MM}/{dd}/{plan}-{source}-{label}.{ext}")
        let retention = try #require(plan.retention)
        #expect(retention.keepLast == 7)
        #expect(retention.keepDaily == 7)
        #expect(retention.keepWeekly == 4)
        #expect(retention.keepMonthly == 6)
        #expect(retention.keepHourly == nil)
        #expect(retention.keepYearly == nil)
        #expect(retention.keepWithin == nil)
        #expect(retention.maxAgeDays == nil)
        #expect(retention.minCount == 1)
        #expect(retention.failedGrace == RetentionDuration(days: 1))
        #expect(retention.timeZoneIdentifier == "Asia/Shanghai")
        #expect(plan.timeZoneIdentifier == "UTC")
    }

    @Test("a minimal plan gets the defaults")
    func minimalPlanDefaults() throws {
        let plan = try parse(minimalPlan)

        #expect(plan.name == "quickstart")
        #expect(plan.sources == [.files(FileTreeSourceConfig(name: "config", paths: ["/srv/backup/config"]))])
        if case .files(let files) = plan.sources[0] {
            #expect(files.include.isEmpty)
            #expect(files.exclude.isEmpty)
            #expect(files.hashContents == false)
        }
        #expect(plan.compression.algorithm == .zstd)
        #expect(plan.compression.level == nil)
        #expect(plan.compression.threads == nil)
        #expect(plan.encryption == nil)
        #expect(plan.naming == .default)
        #expect(plan.retention == nil)
        #expect(plan.timeZoneIdentifier == "UTC")
    }

    @Test("every retention key is read")
    func everyRetentionKey() throws {
        let plan = try parse(
            minimalPlan + """
                retention:
                  keep_last: 1
                  keep_hourly: 2
                  keep_daily: -1
                  keep_weekly: 4
                  keep_monthly: 5
                  keep_yearly: 6
                  keep_within: 1y2m7d3h
                  keep_within_hourly: 36h
                  keep_within_daily: 14d
                  keep_within_weekly: 2m
                  keep_within_monthly: 1y
                  keep_within_yearly: 10y
                  max_age_days: 0
                  min_count: 3
                  max_deletions: 50
                  failed_grace: 2d12h
                  time_zone: Europe/Berlin
                """)
        let expected = RetentionPolicy(
            keepLast: 1, keepHourly: 2, keepDaily: -1, keepWeekly: 4, keepMonthly: 5, keepYearly: 6,
            keepWithin: RetentionDuration(years: 1, months: 2, days: 7, hours: 3),
            keepWithinHourly: RetentionDuration(hours: 36), keepWithinDaily: RetentionDuration(days: 14),
            keepWithinWeekly: RetentionDuration(months: 2), keepWithinMonthly: RetentionDuration(years: 1),
            keepWithinYearly: RetentionDuration(years: 10), maxAgeDays: 0, minCount: 3, maxDeletions: 50,
            failedGrace: RetentionDuration(days: 2, hours: 12), timeZoneIdentifier: "Europe/Berlin")
        #expect(plan.retention == expected)
    }

    @Test("retention without time_zone uses the plan's zone")
    func retentionInheritsTimeZone() throws {
        let plan = try parse(minimalPlan + "time_zone: Asia/Shanghai\nretention: {keep_daily: 7}\n")
        #expect(plan.timeZoneIdentifier == "Asia/Shanghai")
        #expect(plan.retention?.timeZoneIdentifier == "Asia/Shanghai")
        #expect(plan.retention?.minCount == 1)
    }

    @Test("optional keys left empty are absent")
    func nullOptionalKeys() throws {
        let plan = try parse(
            """
            plan: quickstart
            catalog: ./catalog.sqlite
            storage: {type: local, path: ./backups}
            sources:
              - name: config
                type: files
                paths: [config]
                include:
                exclude: ~
            retention:
            naming: null
            """)
        #expect(plan.retention == nil)
        #expect(plan.naming == .default)
        #expect(plan.sources == [.files(FileTreeSourceConfig(name: "config", paths: ["/srv/backup/config"]))])
    }

    @Test("key_env, gzip and no compression")
    func keyEnvironmentAndCompression() throws {
        let gzip = try parse(
            minimalPlan + "encryption: {key_env: BACKUP_KEY}\ncompression: {algorithm: gzip, level: 9}\n")
        #expect(gzip.encryption == EncryptionSettings(keyEnvironmentVariable: "BACKUP_KEY"))
        #expect(gzip.compression == CompressionSettings(algorithm: .gzip, level: 9))

        let none = try parse(minimalPlan + "compression: {algorithm: none}\n")
        #expect(none.compression == CompressionSettings(algorithm: .none))
    }

    @Test("relative paths resolve against the working directory and are standardized")
    func relativePaths() throws {
        let plan = try parse(
            """
            plan: quickstart
            catalog: ../shared/./catalog.sqlite
            storage: {type: local, path: /var/backups/tmp/../store/}
            sources:
              - {name: config, type: files, paths: [etc/app, ./data//x, /abs/../../root-level]}
              - {name: db, type: sqlite, path: ../../../../app.db}
            encryption: {key_file: keys/backup.key}
            """, in: "/srv/backup/plans")
        #expect(plan.catalogPath == "/srv/backup/shared/catalog.sqlite")
        #expect(plan.storage == .local(LocalStorageConfig(path: "/var/backups/store")))
        #expect(
            plan.sources[0]
                == .files(
                    FileTreeSourceConfig(
                        name: "config", paths: ["/srv/backup/plans/etc/app", "/srv/backup/plans/data/x", "/root-level"])
                ))
        #expect(plan.sources[1] == .sqlite(SQLiteSourceConfig(name: "db", path: "/app.db")))
        #expect(plan.encryption?.keyFile == "/srv/backup/plans/keys/backup.key")
    }

    @Test("a relative working directory is taken from the current directory")
    func relativeWorkingDirectory() throws {
        let plan = try parse(minimalPlan, in: "plans/prod")
        let current = FileManager.default.currentDirectoryPath
        #expect(
            plan.catalogPath
                == URL(fileURLWithPath: current).appendingPathComponent("plans/prod/catalog.sqlite").standardized.path)
    }

    @Test("~ expands to the home directory")
    func tildeExpansion() throws {
        let home = try #require(ProcessInfo.processInfo.environment["HOME"])
        let plan = try parse(minimalPlan + "encryption: {key_file: ~/keys/backup.key}\n")
        #expect(
            plan.encryption?.keyFile
                == URL(fileURLWithPath: home).appendingPathComponent("keys/backup.key").standardized.path)
    }

    @Test("numbers and dates used as names are kept as written")
    func scalarsAsText() throws {
        let plan = try parse(
            """
            plan: 2024
            catalog: ./catalog.sqlite
            storage: {type: local, path: ./backups}
            sources:
              - {name: 007, type: sqlite, path: 2024-01-01}
            """)
        #expect(plan.name == "2024")
        #expect(plan.sources == [.sqlite(SQLiteSourceConfig(name: "007", path: "/srv/backup/2024-01-01"))])
    }

    @Test("anchors, aliases and merge keys work")
    func anchorsAndMergeKeys() throws {
        let plan = try parse(
            """
            plan: quickstart
            catalog: ./catalog.sqlite
            storage: {type: local, path: ./backups}
            sources:
              - &config {name: config, type: files, paths: [config], exclude: &junk ["*.tmp", "*.swp"]}
              - <<: *config
                name: data
                paths: [data]
              - {name: logs, type: files, paths: [logs], exclude: *junk}
            """)
        let names = plan.sources.map(\.name)
        #expect(names == ["config", "data", "logs"])
        #expect(
            plan.sources[1]
                == .files(FileTreeSourceConfig(name: "data", paths: ["/srv/backup/data"], exclude: ["*.tmp", "*.swp"])))
        #expect(
            plan.sources[2]
                == .files(FileTreeSourceConfig(name: "logs", paths: ["/srv/backup/logs"], exclude: ["*.tmp", "*.swp"])))
    }
}

/// One plan that must be rejected, and what the error must say.
struct PlanErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var code: PlanError.Code
    var keyPath: String
    var line: Int?
    var mentions: [String] = []

    var testDescription: String { name }

    /// `minimalPlan` followed by `extra` from line 6.
    static func appending(
        _ name: String, _ extra: String, _ code: PlanError.Code, _ keyPath: String, line: Int?, mentions: [String] = []
    ) -> PlanErrorCase {
        PlanErrorCase(
            name: name, yaml: minimalPlan + extra, code: code, keyPath: keyPath, line: line, mentions: mentions)
    }

    /// A plan whose `sources:` list (from line 5) is `sources`.
    static func sources(
        _ name: String, _ sources: String, _ code: PlanError.Code, _ keyPath: String, line: Int?,
        mentions: [String] = []
    ) -> PlanErrorCase {
        let yaml = """
            plan: quickstart
            catalog: ./catalog.sqlite
            storage: {type: local, path: ./backups}
            sources:
            \(sources)
            """
        return PlanErrorCase(name: name, yaml: yaml, code: code, keyPath: keyPath, line: line, mentions: mentions)
    }
}

private let errorCases: [PlanErrorCase] = [
    // Unknown keys
    .appending(
        "unknown top-level key", "schedules: daily\n", .unknownKey, "schedules", line: 6,
        mentions: ["unknown key 'schedules'", "did you mean 'schedule'?", "allowed keys: plan, catalog, storage, sources"]),
    .appending(
        "unknown retention key suggests the right one", "retention:\n  keep_last: 3\n  keep_dayly: 7\n", .unknownKey,
        "retention.keep_dayly", line: 8, mentions: ["did you mean 'keep_daily'?", "keep_within_yearly"]),
    .sources(
        "unknown key of a files source", "  - {name: config, type: files, paths: [a], excludes: ['*.tmp']}",
        .unknownKey,
        "sources[0].excludes", line: 5, mentions: ["did you mean 'exclude'?", "hash_contents"]),
    .sources(
        "files key on a sqlite source",
        "  - {name: config, type: files, paths: [a]}\n  - {name: db, type: sqlite, paths: [a.db]}",
        .unknownKey, "sources[1].paths", line: 6, mentions: ["did you mean 'path'?"]),
    .appending(
        "unknown storage key", "", .unknownKey, "storage.bucket", line: 3, mentions: ["allowed keys: type, path"]),
    // Wrong types
    .appending(
        "a quoted word as a count", "retention: {keep_daily: \"seven\"}\n", .wrongType, "retention.keep_daily", line: 6,
        mentions: ["expected an integer, got the string 'seven'"]),
    .appending(
        "a quoted number as a count", "retention:\n  keep_daily: \"7\"\n", .wrongType, "retention.keep_daily", line: 7,
        mentions: ["remove the quotes"]),
    .sources(
        "a string where paths expects a list", "  - name: config\n    type: files\n    paths: foo", .wrongType,
        "sources[0].paths", line: 7, mentions: ["expected a list of paths, got the string 'foo'"]),
    .sources(
        "a list inside a glob list", "  - {name: config, type: files, paths: [a], exclude: ['*.tmp', [x]]}", .wrongType,
        "sources[0].exclude[1]", line: 5, mentions: ["expected a string, got a list"]),
    .sources(
        "a quoted boolean", "  - {name: config, type: files, paths: [a], hash_contents: 'yes'}", .wrongType,
        "sources[0].hash_contents", line: 5, mentions: ["expected true or false"]),
    .appending(
        "a boolean as a name", "", .wrongType, "plan", line: 1, mentions: ["quote it"]),
    .appending(
        "a string as storage", "", .wrongType, "storage", line: 3, mentions: ["expected a mapping"]),
    .sources(
        "a string as a source", "  - config", .wrongType, "sources[0]", line: 5, mentions: ["expected a mapping"]),
    PlanErrorCase(
        name: "a list as the document", yaml: "- plan\n- catalog\n", code: .wrongType, keyPath: "", line: 1,
        mentions: ["expected a mapping, got a list"]),
    PlanErrorCase(
        name: "an empty document", yaml: "# nothing yet\n", code: .wrongType, keyPath: "", line: nil,
        mentions: ["the plan is empty"]),
    // Missing keys
    PlanErrorCase(
        name: "missing plan name", yaml: String(minimalPlan.drop { $0 != "\n" }.dropFirst()), code: .missingKey,
        keyPath: "plan", line: nil, mentions: ["required key is missing"]),
    .sources(
        "missing paths", "  - name: config\n    type: files", .missingKey, "sources[0].paths", line: 5),
    .sources(
        "missing source type", "  - {name: config, paths: [a]}", .missingKey, "sources[0].type", line: 5),
    .appending(
        "catalog without a value", "", .missingKey, "catalog", line: nil, mentions: ["has no value"]),
    .appending(
        "encryption with neither key", "encryption: {}\n", .missingKey, "encryption", line: 6,
        mentions: ["exactly one of key_file or key_env"]),
    .appending(
        "encryption left empty", "encryption:\n", .missingKey, "encryption", line: 6, mentions: ["remove the key"]),
    // Invalid values
    .sources(
        "duplicate source names",
        "  - {name: config, type: files, paths: [a]}\n  - {name: config, type: sqlite, path: b.db}",
        .invalidValue, "sources[1].name", line: 6, mentions: ["duplicate source name 'config'", "sources[0]"]),
    .sources(
        "unsupported source type", "  - {name: config, type: ftp, host: example.org}", .invalidValue, "sources[0].type",
        line: 5, mentions: ["unsupported source type 'ftp' (supported: files, sqlite, mysql)"]),
    .appending(
        "unsupported storage type", "", .invalidValue, "storage.type", line: 3,
        mentions: ["unsupported storage type 'ftp' (supported: local, s3, cos, http)"]),
    .appending(
        "a plan name with a slash", "", .invalidValue, "plan", line: 1,
        mentions: ["'prod/db' contains a path separator"]),
    .sources(
        "a source named ..", "  - {name: '..', type: sqlite, path: a.db}", .invalidValue, "sources[0].name", line: 5,
        mentions: ["relative path component"]),
    .appending(
        "a naming template with ..", "naming: \"{plan}/../{source}-{label}.{ext}\"\n", .invalidValue, "naming", line: 6,
        mentions: ["invalid naming template", "'..' segments could escape the storage root"]),
    .appending(
        "a naming template without {label}", "naming: \"{plan}/{source}.{ext}\"\n", .invalidValue, "naming", line: 6,
        mentions: ["{label}"]),
    .appending(
        "an unknown time zone", "time_zone: Mars/Olympus_Mons\n", .invalidValue, "time_zone", line: 6,
        mentions: ["unknown time zone 'Mars/Olympus_Mons'"]),
    .appending(
        "an unknown retention time zone", "retention:\n  keep_last: 3\n  time_zone: Asia/Atlantis\n", .invalidValue,
        "retention.time_zone", line: 8, mentions: ["unknown time zone 'Asia/Atlantis'"]),
    .appending(
        "a bad duration", "retention:\n  keep_within: 7x\n", .invalidValue, "retention.keep_within", line: 7,
        mentions: ["'7x'", "unexpected character 'x'"]),
    .appending(
        "a duration without unit", "retention: {failed_grace: 12}\n", .invalidValue, "retention.failed_grace", line: 6,
        mentions: ["has no unit"]),
    .appending(
        "a count below -1", "retention:\n  keep_last: 3\n  keep_daily: -2\n", .invalidValue, "retention.keep_daily",
        line: 8, mentions: ["-1 for unlimited"]),
    .appending(
        "a negative max age", "retention: {max_age_days: -30}\n", .invalidValue, "retention.max_age_days", line: 6),
    .appending(
        "a count out of Int range", "retention: {keep_last: 99999999999999999999}\n", .invalidValue,
        "retention.keep_last", line: 6, mentions: ["out of range"]),
    .appending(
        "both key_file and key_env", "encryption:\n  key_file: ./backup.key\n  key_env: BACKUP_KEY\n", .invalidValue,
        "encryption", line: 7, mentions: ["not both"]),
    .appending(
        "zstd level 20", "compression: {algorithm: zstd, level: 20}\n", .invalidValue, "compression.level", line: 6,
        mentions: ["zstd level must be 1–19; got 20"]),
    .appending(
        "zstd level 0", "compression: {level: 0}\n", .invalidValue, "compression.level", line: 6, mentions: ["1–19"]),
    .appending(
        "gzip level 10", "compression:\n  algorithm: gzip\n  level: 10\n", .invalidValue, "compression.level", line: 8,
        mentions: ["gzip level must be 1–9"]),
    .appending(
        "a level for none", "compression: {algorithm: none, level: 1}\n", .invalidValue, "compression.level", line: 6,
        mentions: ["takes no level"]),
    .appending(
        "threads for gzip", "compression: {algorithm: gzip, threads: 2}\n", .invalidValue, "compression.threads",
        line: 6, mentions: ["zstd only"]),
    .appending(
        "negative threads", "compression: {threads: -1}\n", .invalidValue, "compression.threads", line: 6),
    .appending(
        "an unknown algorithm", "compression: {algorithm: lz4}\n", .invalidValue, "compression.algorithm", line: 6,
        mentions: ["supported: zstd, gzip, none"]),
    .appending(
        "an unknown user's home", "encryption: {key_file: ~no-such-user-4711/backup.key}\n", .invalidValue,
        "encryption.key_file", line: 6, mentions: ["no such user"]),
    .appending(
        "an empty catalog path", "", .invalidValue, "catalog", line: 2, mentions: ["must not be empty"]),
    .sources(
        "an empty paths list", "  - {name: config, type: files, paths: []}", .invalidValue, "sources[0].paths", line: 5,
        mentions: ["must not be empty"]),
    .sources(
        "an empty path in the list", "  - name: config\n    type: files\n    paths:\n      - a\n      - ''",
        .invalidValue,
        "sources[0].paths[1]", line: 9, mentions: ["must not be empty"]),
    .sources(
        "two paths stored under one name", "  - {name: config, type: files, paths: [etc/app/conf, opt/app/conf]}",
        .invalidValue, "sources[0].paths[1]", line: 5, mentions: ["both be stored as 'conf'"]),
    PlanErrorCase(
        name: "an empty sources list", yaml: "plan: p\ncatalog: c\nstorage: {type: local, path: s}\nsources: []\n",
        code: .invalidValue, keyPath: "sources", line: 4, mentions: ["must not be empty"]),
    // Syntax
    PlanErrorCase(
        name: "a YAML syntax error", yaml: "plan: quickstart\ncatalog: ./catalog.sqlite\nstorage: type: local\n",
        code: .syntax, keyPath: "", line: 3, mentions: ["mapping values are not allowed"]),
    PlanErrorCase(
        name: "an unclosed flow list", yaml: minimalPlan + "retention: {keep_last: 3\ntime_zone: UTC\n", code: .syntax,
        keyPath: "", line: 7, mentions: ["did not find expected ',' or '}'"]),
    PlanErrorCase(
        name: "two documents", yaml: minimalPlan + "---\nplan: other\n", code: .syntax, keyPath: "", line: 6,
        mentions: ["expected a single document in the stream at line 1, column 1, but found another document"]),
    PlanErrorCase(
        name: "a tab used for indentation", yaml: minimalPlan + "retention:\n\tkeep_last: 3\n", code: .syntax,
        keyPath: "", line: 7, mentions: ["tabs"]),
    PlanErrorCase(
        name: "a duplicated key", yaml: minimalPlan + "plan: other\n", code: .syntax, keyPath: "", line: 1,
        mentions: ["duplicate key 'plan'"]),
]

/// Error cases whose base plan is edited in place rather than appended to.
private func edited(_ errorCase: PlanErrorCase) -> PlanErrorCase {
    var result = errorCase
    switch errorCase.name {
    case "unknown storage key":
        result.yaml = minimalPlan.replacingOccurrences(of: "path: ./backups}", with: "path: ./backups, bucket: b}")
    case "a boolean as a name":
        result.yaml = minimalPlan.replacingOccurrences(of: "plan: quickstart", with: "plan: yes")
    case "a string as storage":
        result.yaml = minimalPlan.replacingOccurrences(of: "{type: local, path: ./backups}", with: "./backups")
    case "catalog without a value":
        result.yaml = minimalPlan.replacingOccurrences(of: "catalog: ./catalog.sqlite", with: "catalog:")
    case "unsupported storage type":
        result.yaml = minimalPlan.replacingOccurrences(
            of: "type: local, path: ./backups", with: "type: ftp, bucket: logs")
    case "a plan name with a slash":
        result.yaml = minimalPlan.replacingOccurrences(of: "plan: quickstart", with: "plan: prod/db")
    case "an empty catalog path":
        result.yaml = minimalPlan.replacingOccurrences(of: "catalog: ./catalog.sqlite", with: "catalog: ''")
    default: break
    }
    return result
}

@Suite("Plan loader: errors name the key path and line")
struct PlanLoaderErrorTests {
    @Test(arguments: errorCases.map(edited))
    func rejects(_ errorCase: PlanErrorCase) throws {
        let error = try #require(throws: PlanError.self) { try parse(errorCase.yaml, origin: "quickstart.yaml") }
        #expect(error.code == errorCase.code, "\(error)")
        #expect(error.keyPath == errorCase.keyPath, "\(error)")
        #expect(error.line == errorCase.line, "\(error)")
        #expect(error.file == "quickstart.yaml")
        for text in errorCase.mentions {
            #expect(error.message.contains(text), "\(error)")
        }
    }

    @Test("the description reads file:line: key path: message")
    func descriptionFormat() throws {
        let yaml = """
            plan: quickstart
            catalog: ./catalog.sqlite
            storage: {type: local, path: ./backups}
            sources:
              - {name: config, type: files, paths: [a]}
              - name: remote
                type: ftp
            """
        let error = try #require(throws: PlanError.self) { try parse(yaml, origin: "quickstart.yaml") }
        #expect(
            error.description
                == "quickstart.yaml:7: sources[1].type: unsupported source type 'ftp' (supported: files, sqlite, mysql)")
        #expect(error.column == 11)

        let missing = PlanError(
            code: .missingKey, file: "plan.yaml", keyPath: "plan", message: "required key is missing")
        #expect(missing.description == "plan.yaml: plan: required key is missing")
        let syntax = PlanError(code: .syntax, file: "plan.yaml", keyPath: "", line: 3, message: "bad")
        #expect(syntax.description == "plan.yaml:3: bad")
    }

    @Test("values under encryption are never echoed")
    func encryptionValuesStayOut() throws {
        let secret = "c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy1sb25nIQ=="
        for extra in ["encryption: {key_env: \"\(secret)\"}\n", "encryption: {key_file: [\"\(secret)\"]}\n"] {
            let error = try #require(throws: PlanError.self) { try parse(minimalPlan + extra) }
            #expect(error.line == 6)
            #expect(!error.description.contains(secret))
            #expect(!error.description.contains("c2Vj"))
        }
    }
}

@Suite("Plan loader: reading files")
struct PlanLoaderFileTests {
    /// A fresh folder, removed after `body`.
    private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("PlanLoaderTests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test("a relative plan file is read from the working directory, and its paths resolve there")
    func loadsRelativeFile() throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory + "/plans", withIntermediateDirectories: true)
            try minimalPlan.write(toFile: directory + "/plans/quickstart.yaml", atomically: true, encoding: .utf8)

            let plan = try PlanLoader.load(contentsOf: "plans/quickstart.yaml", workingDirectory: directory)
            #expect(plan.catalogPath == directory + "/catalog.sqlite")
            #expect(plan.storage == .local(LocalStorageConfig(path: directory + "/backups")))
        }
    }

    @Test("the shipped Examples/quickstart.yaml loads")
    func shippedExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let plan = try PlanLoader.load(contentsOf: "Examples/quickstart.yaml", workingDirectory: root)
        #expect(plan.name == "quickstart")
        #expect(plan.catalogPath == root + "/backups/catalog.sqlite")
        #expect(plan.sources.map(\.name) == ["config", "app-db"])
        #expect(
            plan.source(named: "app-db")
                == .sqlite(SQLiteSourceConfig(name: "app-db", path: root + "/Examples/sample/app.db")))
    }

    @Test("errors name the file as the caller gave it")
    func errorsNameTheFile() throws {
        try withTemporaryDirectory { directory in
            try (minimalPlan + "retention: {keep_dayly: 7}\n").write(
                toFile: directory + "/quickstart.yaml", atomically: true, encoding: .utf8)
            let error = try #require(throws: PlanError.self) {
                try PlanLoader.load(contentsOf: "quickstart.yaml", workingDirectory: directory)
            }
            #expect(error.description.hasPrefix("quickstart.yaml:6: retention.keep_dayly: unknown key 'keep_dayly'"))
        }
    }

    @Test("missing files, folders and non-UTF-8 files are unreadable")
    func unreadableFiles() throws {
        try withTemporaryDirectory { directory in
            try Data([0x70, 0x6C, 0x61, 0x6E, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(
                to: URL(fileURLWithPath: directory + "/binary.yaml"))
            for (name, reason) in [
                ("absent.yaml", "no such file"), (".", "is a directory"), ("binary.yaml", "not UTF-8"),
            ] {
                let error = try #require(throws: PlanError.self) {
                    try PlanLoader.load(contentsOf: name, workingDirectory: directory)
                }
                #expect(error.code == .unreadable)
                #expect(error.file == name)
                #expect(error.message.contains(reason), "\(error)")
            }
        }
    }
}

@Suite("Plan loader: writing plans back")
struct PlanLoaderRenderingTests {
    @Test("yaml(for:) of the reference example parses back to the same plan")
    func roundTripOfExample() throws {
        let plan = try parse(referenceExample)
        let text = PlanLoader.yaml(for: plan)
        #expect(try parse(text, in: "/elsewhere") == plan)
        #expect(text.contains("naming: \"{plan}/{source}/{yyyy}/{MM}/{dd}/{plan}-{source}-{label}.{ext}\"\n"))
        #expect(text.contains("exclude: [\"*.tmp\"]\n"))
        #expect(
            text.hasPrefix("plan: quickstart\ncatalog: /srv/backup/backups/catalog.sqlite\nstorage:\n  type: local\n"))
    }

    @Test("a plan with every optional field round-trips, and rendering is stable")
    func roundTripOfEveryField() throws {
        let retention = RetentionPolicy(
            keepLast: 1, keepHourly: 24, keepDaily: -1, keepWeekly: 4, keepMonthly: 12, keepYearly: 3,
            keepWithin: RetentionDuration(days: 2), keepWithinHourly: RetentionDuration(hours: 36),
            keepWithinDaily: RetentionDuration(days: 14), keepWithinWeekly: RetentionDuration(months: 2),
            keepWithinMonthly: RetentionDuration(years: 1), keepWithinYearly: RetentionDuration(years: 10, months: 1),
            maxAgeDays: 400, minCount: 2, maxDeletions: 20, failedGrace: RetentionDuration(hours: 6),
            timeZoneIdentifier: "America/Argentina/Buenos_Aires")
        let plan = BackupPlan(
            name: "prod", catalogPath: "/var/lib/backup/catalog.sqlite",
            storage: .local(LocalStorageConfig(path: "/mnt/nfs/backups")),
            sources: [
                .files(
                    FileTreeSourceConfig(
                        name: "config", paths: ["/etc/app", "/opt/app/conf.d"], include: ["*.yaml"],
                        exclude: ["*.tmp", "cache/"],
                        hashContents: true)),
                .sqlite(SQLiteSourceConfig(name: "app-db", path: "/var/lib/app/app.db")),
            ],
            compression: CompressionSettings(algorithm: .zstd, level: 19, threads: 0),
            encryption: EncryptionSettings(keyEnvironmentVariable: "BACKUP_KEY"),
            naming: try NamingTemplate("{plan}/{source}/{kind}/{plan}-{source}-{label}.{ext}"), retention: retention,
            timeZoneIdentifier: "Etc/GMT+8")
        let text = PlanLoader.yaml(for: plan)
        let parsed = try parse(text)
        #expect(parsed == plan)
        #expect(PlanLoader.yaml(for: parsed) == text)
    }

    @Test(
        "strings YAML would misread are quoted",
        arguments: [
            "2024", "yes", "null", "~", "1.5", "0x1F", "2024-01-01", "-dash", "#hash", "a: b", "o'brien", "say \"hi\"",
            "back\\slash", "tab\there", "new\nline", "配置", "{braces}", "[list]", "a, b", "*star", "&anchor", "!tag",
            "%percent", "@at", "`tick`", "trailing ", " leading", "<<", "=", ".inf", "true", "Off",
        ])
    func roundTripOfTrickyStrings(_ text: String) throws {
        // Names cannot hold control characters or backslashes (NamingTemplate.checkName); paths and globs can.
        let name = text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\\" } ? "n" : text
        let plan = BackupPlan(
            name: name, catalogPath: "/data/" + text,
            storage: .local(LocalStorageConfig(path: "/store/" + text)),
            sources: [
                .files(FileTreeSourceConfig(name: name, paths: ["/src/" + text], include: [text], exclude: [text]))
            ],
            encryption: EncryptionSettings(keyFile: "/keys/" + text), timeZoneIdentifier: "UTC")
        let parsed = try parse(PlanLoader.yaml(for: plan))
        #expect(parsed == plan)
    }
}
