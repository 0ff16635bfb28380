import BackupEngine
import BackupModels
import BackupPlans
import BackupScheduler
import BackupSources
import Foundation
import Retention

/// The JSON documents the example prints (documented in Documentation/GettingStarted.md).
enum JSONOutput {
    struct Record: Encodable {
        var id: String
        var plan: String
        var source: String
        var kind: String
        var label: String
        var state: String
        var started_at: Date
        var finished_at: Date?
        var size_bytes: Int64
        var parent_id: String?
        var host: String
        var tags: [String]
        var artifacts: [ArtifactDescriptor]
        var failure_reason: String?
        var last_drill: DrillRecord?
        var last_verified_at: Date?

        enum CodingKeys: String, CodingKey {
            case id, plan, source, kind, label, state, started_at, finished_at, size_bytes, parent_id, host, tags, artifacts
            case failure_reason, last_drill, last_verified_at
        }

        /// Writes absent values as `null` so every record has every key.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(plan, forKey: .plan)
            try container.encode(source, forKey: .source)
            try container.encode(kind, forKey: .kind)
            try container.encode(label, forKey: .label)
            try container.encode(state, forKey: .state)
            try container.encode(started_at, forKey: .started_at)
            try container.encode(finished_at, forKey: .finished_at)
            try container.encode(size_bytes, forKey: .size_bytes)
            try container.encode(parent_id, forKey: .parent_id)
            try container.encode(host, forKey: .host)
            try container.encode(tags, forKey: .tags)
            try container.encode(artifacts, forKey: .artifacts)
            try container.encode(failure_reason, forKey: .failure_reason)
            try container.encode(last_drill, forKey: .last_drill)
            try container.encode(last_verified_at, forKey: .last_verified_at)
        }
    }

    struct Decision: Encodable {
        var id: String
        var source: String
        var label: String
        var started_at: Date
        var action: String
        var reasons: [String]
    }

    static func records(
        _ records: [BackupRecord], lastDrills: [BackupID: DrillRecord] = [:], lastVerified: [BackupID: Date] = [:]
    ) throws -> String {
        let rows = records.map {
            Record(
                id: $0.id.rawValue, plan: $0.plan, source: $0.source, kind: $0.kind.rawValue, label: $0.label.rawValue,
                state: $0.state.rawValue, started_at: $0.startedAt, finished_at: $0.finishedAt, size_bytes: $0.sizeBytes,
                parent_id: $0.parentID?.rawValue, host: $0.host, tags: $0.tags, artifacts: $0.artifacts,
                failure_reason: $0.failureReason, last_drill: lastDrills[$0.id], last_verified_at: lastVerified[$0.id])
        }
        return String(decoding: try JSONCoding.encoder().encode(rows), as: UTF8.self)
    }

    static func decisions(_ plan: RetentionPlan) throws -> String {
        let rows = plan.decisions.map {
            Decision(
                id: $0.id.rawValue, source: $0.source, label: $0.label.rawValue, started_at: $0.startedAt,
                action: $0.action.rawValue, reasons: $0.reasons)
        }
        return String(decoding: try JSONCoding.encoder().encode(rows), as: UTF8.self)
    }
}

/// Human-readable output.
enum Summary {
    static func run(_ report: BackupRunReport, engine: Engine) -> String {
        var lines: [String] = []
        for record in report.recovered {
            lines.append("recovered interrupted backup \(record.source) \(record.label): marked failed, leftovers removed")
        }
        for outcome in report.outcomes {
            if let record = outcome.record, let artifact = record.artifacts.first {
                let location: String
                switch engine.plan.storage {
                case .local(let config): location = displayPath(config.path + "/" + artifact.key)
                case .s3(let config): location = "s3://\(config.bucket)/\(config.prefix)\(artifact.key)"
                case .http(let config): location = config.url + artifact.key
                }
                lines.append("stored \(outcome.source) \(record.kind.rawValue) \(record.label) (id \(record.id))")
                lines.append("  → \(location)  \(bytes(artifact.sizeBytes)), sha256 \(artifact.sha256.prefix(16))…")
            } else {
                lines.append("FAILED \(outcome.source): \(outcome.error.map { String(describing: $0) } ?? "unknown error")")
            }
            for note in outcome.notes { lines.append("  note: \(note)") }
        }
        lines.append("catalog: \(displayPath(engine.plan.catalogPath))")
        if let prune = report.prune {
            let kept = prune.plan.kept.count
            lines.append(
                "retention: kept \(kept), removed \(prune.removed.count)"
                    + (prune.failures.isEmpty ? "" : ", \(prune.failures.count) failed"))
        }
        return lines.joined(separator: "\n")
    }

    /// `path` relative to the working directory (`./backups/…`) when it lies inside it.
    static func displayPath(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        let prefix = cwd.hasSuffix("/") ? cwd : cwd + "/"
        return path.hasPrefix(prefix) ? "./" + path.dropFirst(prefix.count) : path
    }

    static func table(_ records: [BackupRecord]) -> String {
        guard !records.isEmpty else { return "no backups" }
        var lines = ["ID                SOURCE          KIND         STATE      LABEL                               SIZE"]
        for record in records {
            lines.append(
                [
                    record.id.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0),
                    record.source.padding(toLength: 15, withPad: " ", startingAt: 0),
                    record.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0),
                    record.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0),
                    record.label.rawValue.padding(toLength: 35, withPad: " ", startingAt: 0),
                    bytes(record.sizeBytes),
                ].joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    static func prune(_ report: PruneReport) -> String {
        var lines: [String] = []
        for decision in report.plan.decisions {
            let action = decision.action == .keep ? "keep  " : (report.dryRun ? "would remove" : "remove")
            lines.append("\(action)  \(decision.source)  \(decision.label)  \(decision.reasons.joined(separator: ", "))")
        }
        let removals = report.plan.removals.count
        lines.append(report.dryRun ? "dry run: \(removals) would be removed" : "removed \(report.removed.count) of \(removals)")
        for (id, failure) in report.failures { lines.append("FAILED to remove \(id): \(failure)") }
        return lines.joined(separator: "\n")
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
