import BackupModels
import Foundation
import Logging
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

@Suite("Notifier settings")
struct SchedulerNotifyTests {
    let logger = Logger(label: "notify-test")

    @Test("a notify section builds its notifiers; secrets come from the environment")
    func builds() throws {
        let config = NotifyConfig(
            log: true, webhooks: [.init(url: "https://hooks.example.com/backup", headersFromEnvironment: ["Authorization": "HOOK_AUTH"])],
            commands: [.init(command: ["/usr/local/bin/page-oncall", "--team", "storage"])])
        let notifier = try Engine.makeNotifier(config, logger: logger, environment: ["HOOK_AUTH": "Bearer s3cret"])
        let multi = try #require(notifier as? MultiNotifier)
        #expect(multi.notifiers.count == 3)
        let webhook = try #require(multi.notifiers.compactMap { $0 as? WebhookNotifier }.first)
        #expect(webhook.headers["Authorization"] == "Bearer s3cret")
        let command = try #require(multi.notifiers.compactMap { $0 as? CommandNotifier }.first)
        #expect(command.executable == "/usr/local/bin/page-oncall")
        #expect(command.arguments == ["--team", "storage"])
        #expect(try Engine.makeNotifier(NotifyConfig(log: true), logger: logger) is LogNotifier)
        #expect(try Engine.makeNotifier(NotifyConfig(log: false), logger: logger) == nil)
    }

    @Test(
        "bad settings name the setting, never a secret",
        arguments: [
            (NotifyConfig(webhooks: [.init(url: "hooks.example.com/backup")]), "notify.webhooks[0].url"),
            (NotifyConfig(webhooks: [.init(url: "ftp://hooks.example.com/x")]), "notify.webhooks[0].url"),
            (
                NotifyConfig(webhooks: [.init(url: "https://h.example.com", headersFromEnvironment: ["Authorization": "UNSET_VAR"])]),
                "notify.webhooks[0].headers_from_env.Authorization"
            ),
            (NotifyConfig(webhooks: [.init(url: "https://h.example.com", timeoutSeconds: 0)]), "notify.webhooks[0].timeout_seconds"),
            (NotifyConfig(commands: [.init(command: [])]), "notify.commands[0].command"),
        ])
    func badSettings(config: NotifyConfig, setting: String) throws {
        let error = try #require(throws: NotifyError.self) {
            try Engine.makeNotifier(config, logger: logger, environment: ["OTHER": "Bearer s3cret"])
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.subject == setting)
        #expect(!error.description.contains("s3cret"))
    }

    @Test("a skipped run is an event with the plan, the due instant and the reason")
    func runSkippedEvent() throws {
        let event = BackupEvent.runSkipped(
            plan: "nightly", scheduledAt: SchedulerFixture.date("2026-11-24T17:30:00Z"), reason: "outside window",
            at: SchedulerFixture.date("2026-11-25T02:00:00Z"))
        #expect(event.kind.rawValue == "run_skipped")
        #expect(event.details == ["plan": "nightly", "scheduled_at": "2026-11-24T17:30:00.000Z", "reason": "outside window"])
    }
}
