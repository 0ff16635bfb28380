import BackupModels
import BackupPlans
import Foundation
import Logging
import Testing

/// A scratch folder, plans parsed from YAML inside it, and the checks run on them with an explicit environment.
final class PreflightScratch {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "check-preflight-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// Writes `text` into `name` inside the folder (mode `mode`) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
        let path = folder + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// A plan from YAML, relative paths resolved in the folder.
    func plan(_ yaml: String) throws -> BackupPlan {
        try PlanLoader.parse(yaml: yaml, origin: "plan.yaml", workingDirectory: folder)
    }

    /// Runs every check of `plan` with `environment` as the only environment.
    func check(
        _ plan: BackupPlan, environment: [String: String] = [:], notify: Bool = false, now: Date = Date(),
        reachDeadline: Duration = .seconds(30)
    ) async -> [CheckResult] {
        var logger = Logger(label: "preflight-tests")
        logger.logLevel = .critical
        var environment = environment
        environment["PATH"] = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"]
        var preflight = Preflight(
            plan: plan, logger: logger, environment: environment, now: { now }, sendsTestNotification: notify)
        preflight.reachDeadline = reachDeadline
        return await preflight.run()
    }
}

/// The services' variables (scripts/services/*.sh write them).
enum Services {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
}

/// Every result not ok, for messages.
func notOK(_ results: [CheckResult]) -> [CheckResult] { results.filter { $0.status != .ok } }

/// Expects `check` of `component` to have failed with a fix, and returns it.
@discardableResult
func expectFailed(
    _ results: [CheckResult], _ component: String, _ check: String, sourceLocation: SourceLocation = #_sourceLocation
) -> CheckResult? {
    let result = results.result(component, check)
    #expect(result?.status == .failed, "\(component) \(check): \(String(describing: result)) in \(results)", sourceLocation: sourceLocation)
    #expect(result?.fix?.isEmpty == false, "a failed check names its fix", sourceLocation: sourceLocation)
    return result
}

/// Expects no secret among the results' details and fixes.
func expectNoSecret(_ results: [CheckResult], _ secrets: [String?], sourceLocation: SourceLocation = #_sourceLocation) {
    let text = results.map { "\($0.detail) \($0.fix ?? "")" }.joined(separator: "\n")
    for case let secret? in secrets where secret.count >= 4 {
        #expect(!text.contains(secret), "a secret appeared in the results", sourceLocation: sourceLocation)
    }
}
