import BackupModels
import Foundation
import Retention

/// Builds backup records for retention tests: readable times, deterministic ids, real labels.
struct RecordFactory {
    var plan = "nightly"
    var source = "app-db"
    var zone = TimeZone.utc

    /// The instant of `text` (`yyyy-MM-dd HH:mm` or `yyyy-MM-dd HH:mm:ss`) in `zone`.
    static func date(_ text: String, in zone: TimeZone = .utc) -> Date {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).map { Int($0)! }
        let time = CalendarTime(
            year: parts[0], month: parts[1], day: parts[2], hour: parts.count > 3 ? parts[3] : 0,
            minute: parts.count > 4 ? parts[4] : 0, second: parts.count > 5 ? parts[5] : 0)
        return time.date(in: zone)!
    }

    func date(_ text: String) -> Date { Self.date(text, in: zone) }

    /// A full backup started at `text`.
    func full(_ text: String, state: BackupState = .committed, id: String? = nil) -> BackupRecord {
        full(at: date(text), state: state, id: id)
    }

    func full(at time: Date, state: BackupState = .committed, id: String? = nil) -> BackupRecord {
        let label = BackupLabel.full(at: time, in: zone)
        return BackupRecord(
            id: BackupID(rawValue: id ?? "\(plan)/\(source)/\(label)"), plan: plan, source: source, kind: .full,
            label: label, state: state, startedAt: time)
    }

    /// An incremental backup on `parent`, started at `text`.
    func incremental(on parent: BackupRecord, _ text: String, state: BackupState = .committed) -> BackupRecord {
        incremental(on: parent, at: date(text), state: state)
    }

    func incremental(on parent: BackupRecord, at time: Date, state: BackupState = .committed) -> BackupRecord {
        let label = BackupLabel.incremental(on: parent.label, at: time, in: zone)
        return BackupRecord(
            id: BackupID(rawValue: "\(plan)/\(source)/\(label)"), plan: plan, source: source, kind: .incremental,
            parentID: parent.id, label: label, state: state, startedAt: time)
    }

    /// An incremental whose parent id names no record in the input.
    func incremental(missingParent parentID: String, _ text: String) -> BackupRecord {
        let time = date(text)
        let root = BackupLabel.full(at: time.addingTimeInterval(-3600), in: zone)
        let label = BackupLabel.incremental(on: root, at: time, in: zone)
        return BackupRecord(
            id: BackupID(rawValue: "\(plan)/\(source)/\(label)"), plan: plan, source: source, kind: .incremental,
            parentID: BackupID(rawValue: parentID), label: label, state: .committed, startedAt: time)
    }
}

extension RetentionPlan {
    /// The ids of kept records.
    var keptIDs: Set<BackupID> { Set(kept.map(\.id)) }

    /// The reasons of the record `record`, or `nil` if it has no decision.
    func reasons(of record: BackupRecord) -> [String]? { decision(for: record.id)?.reasons }

    /// The action for `record`, or `nil` if it has no decision.
    func action(of record: BackupRecord) -> RetentionDecision.Action? { decision(for: record.id)?.action }
}

/// Fixed instants shared by tests.
enum Instants {
    /// 2026-11-25 12:00 UTC, a Wednesday.
    static let now = RecordFactory.date("2026-11-25 12:00")
}
