import BackupCatalog
public import BackupModels
import Foundation
import Logging

extension Engine {
    /// The backups a rolling verification at `percent` reads: the committed backups of the plan (of
    /// `source` when given), least recently verified first, `ceil(count × percent / 100)` of them.
    ///
    /// A backup never verified counts as read when it was committed (its artifact was checked as it was
    /// stored), so new backups queue behind older ones. Each run reads at least a `percent` share of the
    /// backups that existed before it, always the ones read longest ago, so every backup is read again
    /// within `ceil(100 / percent)` runs.
    ///
    /// - Parameters:
    ///   - percent: The share to read per run, above 0 and at most 100.
    ///   - source: Only backups of this source, when given.
    /// - Throws: ``EngineError`` `invalidRequest` when `percent` is out of range.
    public func rollingVerificationSelection(percent: Double, source: String? = nil) async throws -> [BackupRecord] {
        guard percent > 0, percent <= 100 else {
            throw EngineError(code: .invalidRequest, message: "--sample must be above 0 and at most 100 percent (is \(percent))")
        }
        let committed = try await catalog.records(RecordQuery(plan: plan.name, source: source, states: [.committed]))
        guard !committed.isEmpty else { return [] }
        let verified = try await catalog.lastVerified(plan: plan.name)
        func lastRead(_ record: BackupRecord) -> Date { verified[record.id] ?? record.finishedAt ?? record.startedAt }
        let ordered = committed.sorted { (lastRead($0), $0.startedAt, $0.id.rawValue) < (lastRead($1), $1.startedAt, $1.id.rawValue) }
        let count = Int((Double(committed.count) * percent / 100).rounded(.up))
        return Array(ordered.prefix(max(1, count)))
    }

    /// Reads back the backups ``rollingVerificationSelection(percent:source:)`` picks (see ``verify(_:)``);
    /// the catalog notes each as read.
    ///
    /// - Returns: One result per backup read, in the order read.
    public func verifyRolling(percent: Double, source: String? = nil) async throws -> [VerifyResult] {
        let selection = try await rollingVerificationSelection(percent: percent, source: source)
        logger.info("rolling verification", metadata: ["percent": "\(percent)", "backups": "\(selection.count)"])
        var results: [VerifyResult] = []
        for record in selection {
            try Task.checkCancellation()
            results.append(try await verify(record.id))
        }
        return results
    }
}
