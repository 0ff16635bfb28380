import ArtifactFormat
import BackupCatalog
import BackupEngine
package import BackupModels
import BackupScheduler
import BackupSources
import Foundation
import PostgresCatalog
import RemoteStorage
package import Yams

extension PlanLoader {
    /// The keys each mapping of a plan allows, in the order the reference documents them.
    package enum Keys {
        package static let plan = [
            "plan", "catalog", "storage", "sources", "compression", "encryption", "naming", "retention", "schedule",
            "notify", "limits", "time_zone", "drill", "catalog_password_env", "catalog_tls",
        ]
        package static let localStorage = ["type", "path", "link_secret_env", "link_base_url", "bandwidth_limit"]
        package static let s3Storage = [
            "type", "provider", "endpoint", "region", "bucket", "prefix", "path_style", "access_key_env",
            "secret_key_env", "session_token_env", "credentials_file", "download_domain", "bandwidth_limit",
        ]
        package static let httpStorage = ["type", "url", "user_env", "password_env", "token_env", "bandwidth_limit"]
        package static let mysqlSource = [
            "name", "type", "host", "port", "user", "password_env", "option_file", "databases", "exclude_tables",
            "incremental", "on_broken_chain", "schema_dir", "require_coverage", "parallel",
        ]
        package static let schedule = [
            "cron", "full", "incremental", "full_every", "max_chain_length", "time_zone", "window", "jitter", "missed",
        ]
        package static let notify = ["log", "webhooks", "commands"]
        package static let webhook = ["url", "headers_from_env", "timeout_seconds", "max_attempts"]
        package static let command = ["command", "timeout_seconds"]
        package static let limits = ["max_concurrent_runs", "nice", "ionice", "ionice_level"]
        package static let filesSource = ["name", "type", "paths", "include", "exclude", "hash_contents"]
        package static let sqliteSource = ["name", "type", "path"]
        package static let compression = ["algorithm", "level", "threads"]
        package static let encryption = ["key_file", "key_env"]
        package static let retentionCounts = [
            "keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly",
        ]
        package static let retentionDurations = [
            "keep_within", "keep_within_hourly", "keep_within_daily", "keep_within_weekly", "keep_within_monthly",
            "keep_within_yearly",
        ]
        package static let retention =
            retentionCounts + retentionDurations + [
                "max_age_days", "min_count", "max_deletions", "failed_grace", "time_zone",
            ]

        /// The `storage.type` values this version supports.
        package static let storageTypes = ["local", "s3", "cos", "http"]
        /// The source `type` values this version supports.
        package static let sourceTypes = ["files", "sqlite", "mysql"]
    }

    /// The most zstd worker threads a plan may ask for (zstd's own limit on 64-bit systems).
    package static let maximumCompressionThreads = 256
}

extension PlanLoader.Reader {
    /// The whole plan.
    package func plan(from root: Node?) throws -> BackupPlan {
        guard let root else {
            throw error(
                .wrongType, at: "", nil,
                "the plan is empty; expected a mapping with at least plan, catalog, storage and sources")
        }
        let fields = try mapping(root, at: "")
        try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.plan)

        let nameNode = try fields.required("plan")
        let name = try string(nameNode, at: "plan")
        try checking("plan", nameNode) { try NamingTemplate.checkName(name, field: "plan") }
        let catalogPath = try catalog(fields.required("catalog"), at: "catalog")
        let catalogPasswordVariable = try environmentVariable("catalog_password_env", in: fields)
        let catalogTLS = try fields.optional("catalog_tls").map { node in
            let text = try string(node, at: "catalog_tls")
            guard let tls = CatalogTLS(rawValue: text) else {
                throw error(.invalidValue, at: "catalog_tls", node, "must be disable, require or verify-full, not '\(text)'")
            }
            return tls
        }
        if !CatalogFactory.isURL(catalogPath) {
            for key in ["catalog_password_env", "catalog_tls"] {
                if let node = fields.optional(key) {
                    throw error(.invalidValue, at: key, node, "applies to a PostgreSQL catalog (catalog: postgres://…) only")
                }
            }
        }
        let storage = try self.storage(fields.required("storage"), at: "storage")
        let sources = try self.sources(fields.required("sources"), at: "sources")
        let compression = try fields.optional("compression").map { try self.compression($0, at: "compression") }
        let encryption = try self.encryption(fields)

        var naming = NamingTemplate.default
        if let node = fields.optional("naming") {
            let pattern = try string(node, at: "naming")
            naming = try checking("naming", node) { try NamingTemplate(pattern) }
        }
        let timeZone = try fields.optional("time_zone").map { try self.timeZone($0, at: "time_zone") } ?? "UTC"
        let schedule = try fields.optional("schedule").map {
            try self.schedule($0, at: "schedule", defaultTimeZone: timeZone)
        }
        let notify = try fields.optional("notify").map { try self.notify($0, at: "notify") }
        let limits = try fields.optional("limits").map { try self.limits($0, at: "limits") }
        let retention = try fields.optional("retention").map {
            try self.retention($0, at: "retention", defaultTimeZone: timeZone)
        }
        let drill = try fields.optional("drill").map {
            try self.drill($0, at: "drill", sources: sources, timeZone: schedule?.timeZoneIdentifier ?? timeZone)
        }
        var plan = BackupPlan(
            name: name, catalogPath: catalogPath, storage: storage, sources: sources,
            compression: compression ?? CompressionSettings(), encryption: encryption, naming: naming,
            retention: retention, timeZoneIdentifier: timeZone, schedule: schedule, notify: notify, limits: limits, drill: drill)
        plan.catalogPasswordEnvironmentVariable = catalogPasswordVariable
        plan.catalogTLS = catalogTLS
        return plan
    }

    /// `catalog:`, a file path (resolved against the plan's folder) or a PostgreSQL URL (kept as written,
    /// and refused when it holds a password).
    package func catalog(_ node: Node, at keyPath: String) throws -> String {
        let text = try string(node, at: keyPath)
        guard CatalogFactory.isURL(text) else { return try path(node, at: keyPath) }
        do {
            return try PostgresCatalogLocation(url: text).description
        } catch let catalogError as CatalogError {
            throw error(.invalidValue, at: keyPath, node, catalogError.message)
        }
    }

    /// `sources:`, a non-empty list with unique names.
    package func sources(_ node: Node, at keyPath: String) throws -> [SourceConfig] {
        let list = try items(node, at: keyPath, nonEmpty: false, expected: "a list of sources")
        guard !list.isEmpty else {
            throw error(
                .invalidValue, at: keyPath, node, "the list must not be empty; a plan backs up at least one source")
        }
        var sources: [SourceConfig] = []
        var firstUse: [String: String] = [:]
        for (item, itemPath) in list {
            let (source, nameNode) = try self.source(item, at: itemPath)
            if let earlier = firstUse[source.name] {
                throw error(
                    .invalidValue, at: "\(itemPath).name", nameNode,
                    "duplicate source name '\(source.name)' (already used by \(earlier)); names must be unique in a plan"
                )
            }
            firstUse[source.name] = itemPath
            sources.append(source)
        }
        return sources
    }

    /// One source, and its `name` node for duplicate-name errors.
    package func source(_ node: Node, at keyPath: String) throws -> (SourceConfig, Node) {
        let fields = try mapping(node, at: keyPath)
        let nameNode = try fields.required("name")
        let name = try string(nameNode, at: fields.path("name"))
        try checking(fields.path("name"), nameNode) { try NamingTemplate.checkName(name, field: fields.path("name")) }
        let typeNode = try fields.required("type")
        let type = try string(typeNode, at: fields.path("type"))
        switch type {
        case "files":
            try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.filesSource)
            let pathsNode = try fields.required("paths")
            let paths = try self.paths(pathsNode, at: fields.path("paths"), nonEmpty: true)
            try checkDistinctEntries(paths, pathsNode, at: fields.path("paths"))
            let include = try fields.optional("include").map {
                try strings($0, at: fields.path("include"), nonEmpty: false)
            }
            let exclude = try fields.optional("exclude").map {
                try strings($0, at: fields.path("exclude"), nonEmpty: false)
            }
            let hashContents = try fields.optional("hash_contents").map {
                try bool($0, at: fields.path("hash_contents"))
            }
            let config = FileTreeSourceConfig(
                name: name, paths: paths, include: include ?? [], exclude: exclude ?? [],
                hashContents: hashContents ?? false)
            return (.files(config), nameNode)
        case "sqlite":
            try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.sqliteSource)
            let path = try self.path(fields.required("path"), at: fields.path("path"))
            return (.sqlite(SQLiteSourceConfig(name: name, path: path)), nameNode)
        case "mysql":
            try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.mysqlSource)
            return (.mysql(try mysqlSource(name: name, fields)), nameNode)
        case _ where sourceTypes.knows(type):
            var settings: [String: String] = [:]
            for entry in fields.entries where entry.key != "name" && entry.key != "type" {
                settings[entry.key] = try string(entry.value, at: fields.path(entry.key))
            }
            return (.custom(CustomSourceConfig(name: name, type: type, settings: settings)), nameNode)
        default:
            let supported = PlanLoader.Keys.sourceTypes + sourceTypes.typeNames.filter { !PlanLoader.Keys.sourceTypes.contains($0) }
            throw error(
                .invalidValue, at: fields.path("type"), typeNode,
                "unsupported source type '\(type)' (supported: \(supported.joined(separator: ", ")))")
        }
    }

    /// Each path of a files source becomes a top-level archive entry named after its last component, so
    /// two paths must not share one.
    package func checkDistinctEntries(_ paths: [String], _ node: Node, at keyPath: String) throws {
        var firstIndex: [String: Int] = [:]
        for (index, path) in paths.enumerated() {
            let entry = path == "/" ? "/" : String(path.split(separator: "/").last ?? "")
            if let earlier = firstIndex[entry] {
                let item = node.sequence.map { $0[index] }
                let message =
                    paths[earlier] == path
                    ? "'\(path)' is listed twice (also \(keyPath)[\(earlier)])"
                    : "'\(path)' and \(keyPath)[\(earlier)] '\(paths[earlier])' would both be stored as '\(entry)'; "
                        + "back them up in separate sources"
                throw error(.invalidValue, at: "\(keyPath)[\(index)]", item, message)
            }
            firstIndex[entry] = index
        }
    }

    /// `compression:`; levels are checked against the algorithm.
    package func compression(_ node: Node, at keyPath: String) throws -> CompressionSettings {
        let fields = try mapping(node, at: keyPath)
        try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.compression)
        var settings = CompressionSettings()
        if let algorithmNode = fields.optional("algorithm") {
            let name = try string(algorithmNode, at: fields.path("algorithm"))
            guard let algorithm = CompressionAlgorithm(rawValue: name) else {
                let known = CompressionAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
                throw error(
                    .invalidValue, at: fields.path("algorithm"), algorithmNode,
                    "unsupported compression algorithm '\(name)' (supported: \(known))")
            }
            settings.algorithm = algorithm
        }
        if let levelNode = fields.optional("level") {
            let level = try int(levelNode, at: fields.path("level"))
            let range: ClosedRange<Int>? =
                switch settings.algorithm {
                case .zstd: 1...19
                case .gzip: 1...9
                case .none: nil
                }
            guard let range else {
                throw error(.invalidValue, at: fields.path("level"), levelNode, "algorithm 'none' takes no level")
            }
            guard range.contains(level) else {
                throw error(
                    .invalidValue, at: fields.path("level"), levelNode,
                    "\(settings.algorithm.rawValue) level must be \(range.lowerBound)–\(range.upperBound); got \(level)"
                )
            }
            settings.level = level
        }
        if let threadsNode = fields.optional("threads") {
            let threads = try int(threadsNode, at: fields.path("threads"))
            guard settings.algorithm == .zstd else {
                throw error(
                    .invalidValue, at: fields.path("threads"), threadsNode,
                    "threads applies to zstd only, not '\(settings.algorithm.rawValue)'")
            }
            guard (0...PlanLoader.maximumCompressionThreads).contains(threads) else {
                throw error(
                    .invalidValue, at: fields.path("threads"), threadsNode,
                    "must be 0–\(PlanLoader.maximumCompressionThreads) (0 compresses on the calling thread); got \(threads)"
                )
            }
            settings.threads = threads
        }
        return settings
    }

    /// `encryption:`; exactly one of `key_file` and `key_env`. An `encryption:` key left empty is an
    /// error rather than "no encryption", so that commenting out its lines never silently disables it.
    package func encryption(_ plan: PlanLoader.Fields) throws -> EncryptionSettings? {
        guard let node = plan.value("encryption") else { return nil }
        guard node.tagName != .null else {
            throw error(
                .missingKey, at: "encryption", node,
                "has no value; set key_file or key_env, or remove the key to store backups unencrypted")
        }
        let fields = try mapping(node, at: "encryption")
        try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.encryption)
        let fileNode = fields.optional("key_file")
        let variableNode = fields.optional("key_env")
        switch (fileNode, variableNode) {
        case (let fileNode?, nil):
            return EncryptionSettings(keyFile: try path(fileNode, at: fields.path("key_file")))
        case (nil, let variableNode?):
            let name = try string(variableNode, at: fields.path("key_env"))
            let isVariableName =
                name.first.map { !$0.isNumber } == true
                && name.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0))
                }
            guard isVariableName else {
                // Never echo the value: it may be a key pasted in the wrong place.
                throw error(
                    .invalidValue, at: fields.path("key_env"), variableNode,
                    "not an environment variable name (letters, digits and _, not starting with a digit); "
                        + "the plan names the variable, the key itself goes in the environment")
            }
            return EncryptionSettings(keyEnvironmentVariable: name)
        case (_?, _?):
            throw error(.invalidValue, at: "encryption", node, "set exactly one of key_file or key_env, not both")
        case (nil, nil):
            throw error(.missingKey, at: "encryption", node, "set exactly one of key_file or key_env")
        }
    }

    /// An IANA time zone name.
    package func timeZone(_ node: Node, at keyPath: String) throws -> String {
        let identifier = try string(node, at: keyPath)
        _ = try checking(keyPath, node) { try TimeZone.named(identifier, field: keyPath) }
        return identifier
    }

    /// `retention:`; the zone defaults to the plan's `time_zone`, then ``RetentionPolicy/validate()`` runs.
    package func retention(_ node: Node, at keyPath: String, defaultTimeZone: String) throws -> RetentionPolicy {
        let fields = try mapping(node, at: keyPath)
        try fields.rejectUnknownKeys(allowed: PlanLoader.Keys.retention)
        func count(_ key: String) throws -> Int? {
            try fields.optional(key).map { try int($0, at: fields.path(key)) }
        }
        func duration(_ key: String) throws -> RetentionDuration? {
            try fields.optional(key).map { node in
                let text = try string(node, at: fields.path(key))
                return try checking(fields.path(key), node) {
                    try RetentionDuration(parsing: text, field: fields.path(key))
                }
            }
        }
        var policy = RetentionPolicy(
            keepLast: try count("keep_last"), keepHourly: try count("keep_hourly"), keepDaily: try count("keep_daily"),
            keepWeekly: try count("keep_weekly"), keepMonthly: try count("keep_monthly"),
            keepYearly: try count("keep_yearly"), keepWithin: try duration("keep_within"),
            keepWithinHourly: try duration("keep_within_hourly"), keepWithinDaily: try duration("keep_within_daily"),
            keepWithinWeekly: try duration("keep_within_weekly"),
            keepWithinMonthly: try duration("keep_within_monthly"),
            keepWithinYearly: try duration("keep_within_yearly"), maxAgeDays: try count("max_age_days"),
            maxDeletions: try count("max_deletions"), timeZoneIdentifier: defaultTimeZone)
        if let minCount = try count("min_count") { policy.minCount = minCount }
        if let failedGrace = try duration("failed_grace") { policy.failedGrace = failedGrace }
        if let zoneNode = fields.optional("time_zone") {
            policy.timeZoneIdentifier = try timeZone(zoneNode, at: fields.path("time_zone"))
        }
        do {
            try policy.validate()
        } catch let error as ModelError {
            // validate() names its field as `retention.<key>`: point at that key's value.
            let key = error.subject.split(separator: ".").last.map(String.init) ?? ""
            let field = error.subject.hasPrefix("retention.") ? error.subject : keyPath
            throw converted(error, at: field, fields.value(key) ?? node)
        }
        return policy
    }
}
