import ArtifactFormat
import BackupCatalog
import BackupEngine
public import BackupModels
import BackupScheduler
import BackupSources
import RemoteStorage
import Yams

extension PlanLoader {
    /// Writes `plan` as YAML in the format ``parse(yaml:origin:workingDirectory:)`` reads.
    ///
    /// Keys come in the reference's order; optional keys that are unset (or empty lists) are left out,
    /// while the compression algorithm, naming template, time zones, `min_count` and `failed_grace` are
    /// always written so the text shows what will happen. Strings YAML would read as another type
    /// (`yes`, `2024-01-01`, `null`) or that need escaping are double-quoted.
    ///
    /// For a plan returned by the loader, parsing the result gives back an equal plan. A plan built in
    /// code with relative paths comes back with them resolved against the working directory.
    ///
    /// - Parameter plan: The plan to render.
    /// - Returns: YAML text ending with a newline.
    public static func yaml(for plan: BackupPlan) -> String {
        var lines: [String] = []
        func add(_ indent: Int, _ key: String, _ value: String? = nil) {
            let padding = String(repeating: " ", count: indent)
            lines.append(value.map { "\(padding)\(key): \($0)" } ?? "\(padding)\(key):")
        }
        func addList(_ indent: Int, _ key: String, _ values: [String]) {
            let flow = "[" + values.map(quotedIfNeeded).joined(separator: ", ") + "]"
            if indent + key.count + flow.count + 2 <= 100 {
                add(indent, key, flow)
            } else {
                add(indent, key)
                lines += values.map { String(repeating: " ", count: indent + 2) + "- " + quotedIfNeeded($0) }
            }
        }

        add(0, "plan", quotedIfNeeded(plan.name))
        add(0, "catalog", quotedIfNeeded(plan.catalogPath))
        if let variable = plan.catalogPasswordEnvironmentVariable { add(0, "catalog_password_env", quotedIfNeeded(variable)) }
        if let tls = plan.catalogTLS { add(0, "catalog_tls", tls.rawValue) }
        add(0, "storage")
        switch plan.storage {
        case .local(let local):
            add(2, "type", "local")
            add(2, "path", quotedIfNeeded(local.path))
            if let variable = local.linkSecretEnvironmentVariable { add(2, "link_secret_env", quotedIfNeeded(variable)) }
            if let url = local.linkBaseURL { add(2, "link_base_url", quotedIfNeeded(url)) }
            if let limit = local.bandwidthLimit { add(2, "bandwidth_limit", String(limit)) }
        case .s3(let s3):
            add(2, "type", plan.storage.typeName)
            if s3.provider == .minio { add(2, "provider", "minio") }
            if let endpoint = s3.endpoint { add(2, "endpoint", quotedIfNeeded(endpoint)) }
            add(2, "region", quotedIfNeeded(s3.region))
            add(2, "bucket", quotedIfNeeded(s3.bucket))
            if !s3.prefix.isEmpty { add(2, "prefix", quotedIfNeeded(s3.prefix)) }
            if let pathStyle = s3.pathStyle { add(2, "path_style", String(pathStyle)) }
            let optional: [(String, String?)] = [
                ("access_key_env", s3.accessKeyEnvironmentVariable), ("secret_key_env", s3.secretKeyEnvironmentVariable),
                ("session_token_env", s3.sessionTokenEnvironmentVariable), ("credentials_file", s3.credentialsFile),
                ("download_domain", s3.downloadDomain),
            ]
            for case (let key, let value?) in optional { add(2, key, quotedIfNeeded(value)) }
            if let limit = s3.bandwidthLimit { add(2, "bandwidth_limit", String(limit)) }
        case .http(let http):
            add(2, "type", "http")
            add(2, "url", quotedIfNeeded(http.url))
            let optional: [(String, String?)] = [
                ("user_env", http.userEnvironmentVariable), ("password_env", http.passwordEnvironmentVariable),
                ("token_env", http.tokenEnvironmentVariable),
            ]
            for case (let key, let value?) in optional { add(2, key, quotedIfNeeded(value)) }
            if let limit = http.bandwidthLimit { add(2, "bandwidth_limit", String(limit)) }
        }
        add(0, "sources")
        for source in plan.sources {
            lines.append("  - name: " + quotedIfNeeded(source.name))
            add(4, "type", source.typeName)
            switch source {
            case .files(let files):
                addList(4, "paths", files.paths)
                if !files.include.isEmpty { addList(4, "include", files.include) }
                if !files.exclude.isEmpty { addList(4, "exclude", files.exclude) }
                if files.hashContents { add(4, "hash_contents", "true") }
            case .sqlite(let sqlite):
                add(4, "path", quotedIfNeeded(sqlite.path))
            case .mysql(let mysql):
                add(4, "host", quotedIfNeeded(mysql.host))
                add(4, "port", String(mysql.port))
                add(4, "user", quotedIfNeeded(mysql.user))
                if let variable = mysql.passwordEnvironmentVariable { add(4, "password_env", quotedIfNeeded(variable)) }
                if let file = mysql.optionFile { add(4, "option_file", quotedIfNeeded(file)) }
                if !mysql.databases.isEmpty { addList(4, "databases", mysql.databases) }
                if !mysql.excludeTables.isEmpty { addList(4, "exclude_tables", mysql.excludeTables) }
                add(4, "incremental", mysql.incremental.rawValue)
                if mysql.onBrokenChain != .fail { add(4, "on_broken_chain", mysql.onBrokenChain.rawValue) }
                if let folder = mysql.schemaDirectory { add(4, "schema_dir", quotedIfNeeded(folder)) }
                if mysql.requireCoverage { add(4, "require_coverage", "true") }
                if mysql.parallel != 1 { add(4, "parallel", String(mysql.parallel)) }
            case .custom(let custom):
                for (key, value) in custom.settings.sorted(by: { $0.key < $1.key }) { add(4, key, quotedIfNeeded(value)) }
            }
        }
        add(0, "compression")
        add(2, "algorithm", plan.compression.algorithm.rawValue)
        if let level = plan.compression.level { add(2, "level", String(level)) }
        if let threads = plan.compression.threads { add(2, "threads", String(threads)) }
        if let encryption = plan.encryption {
            if encryption.keyFile == nil, encryption.keyEnvironmentVariable == nil {
                add(0, "encryption", "{}")
            } else {
                add(0, "encryption")
                if let keyFile = encryption.keyFile { add(2, "key_file", quotedIfNeeded(keyFile)) }
                if let variable = encryption.keyEnvironmentVariable { add(2, "key_env", quotedIfNeeded(variable)) }
            }
        }
        add(0, "naming", quotedIfNeeded(plan.naming.pattern))
        if let retention = plan.retention {
            add(0, "retention")
            let counts: [(String, Int?)] = [
                ("keep_last", retention.keepLast), ("keep_hourly", retention.keepHourly),
                ("keep_daily", retention.keepDaily), ("keep_weekly", retention.keepWeekly),
                ("keep_monthly", retention.keepMonthly), ("keep_yearly", retention.keepYearly),
            ]
            for case (let key, let value?) in counts { add(2, key, String(value)) }
            let durations: [(String, RetentionDuration?)] = [
                ("keep_within", retention.keepWithin), ("keep_within_hourly", retention.keepWithinHourly),
                ("keep_within_daily", retention.keepWithinDaily), ("keep_within_weekly", retention.keepWithinWeekly),
                ("keep_within_monthly", retention.keepWithinMonthly),
                ("keep_within_yearly", retention.keepWithinYearly),
            ]
            for case (let key, let value?) in durations { add(2, key, value.description) }
            if let maxAgeDays = retention.maxAgeDays { add(2, "max_age_days", String(maxAgeDays)) }
            add(2, "min_count", String(retention.minCount))
            if let maxDeletions = retention.maxDeletions { add(2, "max_deletions", String(maxDeletions)) }
            add(2, "failed_grace", retention.failedGrace.description)
            add(2, "time_zone", quotedIfNeeded(retention.timeZoneIdentifier))
        }
        if let schedule = plan.schedule {
            add(0, "schedule")
            add(2, "cron", quotedIfNeeded(schedule.cron))
            if let full = schedule.fullCron { add(2, "full", quotedIfNeeded(full)) }
            if let every = schedule.fullEverySeconds { add(2, "full_every", "\(Int(every.rounded()))s") }
            if let length = schedule.maxChainLength { add(2, "max_chain_length", String(length)) }
            add(2, "time_zone", quotedIfNeeded(schedule.timeZoneIdentifier))
            if let window = schedule.window { add(2, "window", quotedIfNeeded(window)) }
            if schedule.jitterSeconds > 0 { add(2, "jitter", "\(Int(schedule.jitterSeconds.rounded()))s") }
            add(2, "missed", schedule.missed.rawValue)
        }
        if let notify = plan.notify {
            add(0, "notify")
            add(2, "log", String(notify.log))
            if !notify.webhooks.isEmpty { add(2, "webhooks") }
            for webhook in notify.webhooks {
                lines.append("    - url: " + quotedIfNeeded(webhook.url))
                if !webhook.headersFromEnvironment.isEmpty {
                    add(6, "headers_from_env")
                    for (header, variable) in webhook.headersFromEnvironment.sorted(by: { $0.key < $1.key }) {
                        add(8, quotedIfNeeded(header), quotedIfNeeded(variable))
                    }
                }
                add(6, "timeout_seconds", "\(Int(webhook.timeoutSeconds.rounded()))s")
                add(6, "max_attempts", String(webhook.maxAttempts))
            }
            if !notify.commands.isEmpty { add(2, "commands") }
            for command in notify.commands {
                lines.append("    - command: [" + command.command.map(quotedIfNeeded).joined(separator: ", ") + "]")
                add(6, "timeout_seconds", "\(Int(command.timeoutSeconds.rounded()))s")
            }
        }
        if let limits = plan.limits {
            add(0, "limits")
            if let value = limits.maxConcurrentRuns { add(2, "max_concurrent_runs", String(value)) }
            if let value = limits.niceness { add(2, "nice", String(value)) }
            if let value = limits.ioClass { add(2, "ionice", quotedIfNeeded(value)) }
            if let value = limits.ioLevel { add(2, "ionice_level", String(value)) }
        }
        if let drill = plan.drill {
            add(0, "drill")
            if let cron = drill.cron { add(2, "cron", doubleQuoted(cron)) }
            add(2, "sample", String(drill.sample))
            if let target = drill.mysqlTarget { add(2, "mysql_target", doubleQuoted(target)) }
            if let variable = drill.passwordEnvironmentVariable { add(2, "password_env", quotedIfNeeded(variable)) }
            if let folder = drill.scratchDirectory { add(2, "scratch_dir", quotedIfNeeded(folder)) }
        }
        add(0, "time_zone", quotedIfNeeded(plan.timeZoneIdentifier))
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` as a plain YAML scalar when that reads back as the same string, else double-quoted.
    ///
    /// Plain output is limited to letters, digits and `_ . / + @ -` (starting with a letter, digit, `_`,
    /// `.` or `/`), which is safe both in block and in flow (`[a, b]`) context, and must resolve to a
    /// string (not `yes`, `1.5`, `~`).
    package static func quotedIfNeeded(_ text: String) -> String {
        let isPlainSafe =
            text.first.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "/") } == true
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_./+@-".contains($0)) }
            && Node(text).tagName == .str
        return isPlainSafe ? text : doubleQuoted(text)
    }

    /// `text` as a YAML double-quoted scalar, escaping `"`, `\` and non-printable characters.
    package static func doubleQuoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                let isPrintable =
                    scalar.properties.generalCategory != .control && scalar.properties.generalCategory != .format
                    && scalar.properties.generalCategory != .lineSeparator
                    && scalar.properties.generalCategory != .paragraphSeparator
                    && scalar.properties.generalCategory != .unassigned
                    && scalar.properties.generalCategory != .surrogate
                if isPrintable {
                    result.unicodeScalars.append(scalar)
                } else if scalar.value <= 0xFFFF {
                    result += "\\u" + hex(scalar.value, width: 4)
                } else {
                    result += "\\U" + hex(scalar.value, width: 8)
                }
            }
        }
        return result + "\""
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
