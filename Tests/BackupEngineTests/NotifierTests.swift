import BackupModels
import Foundation
import Logging
import Synchronization
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

// MARK: - Fixtures

private let eventDate = Date(timeIntervalSince1970: 1_795_570_200)  // 2026-11-25T01:30:00Z

private let sampleEvents: [(BackupEvent, Set<String>)] = [
    (
        .backupSucceeded(
            plan: "nightly", source: "mysql", backupID: BackupID(rawValue: "00000000000000ff"),
            label: try! BackupLabel("20261125-013000F"), kind: .full, bytes: 1_234_567, duration: .milliseconds(12_345),
            at: eventDate),
        ["plan", "source", "backup_id", "label", "backup_kind", "bytes", "duration_seconds"]
    ),
    (
        .backupFailed(plan: "nightly", source: "files", reason: "disk full", at: eventDate),
        ["plan", "source", "reason"]
    ),
    (
        .snapshotFailed(repository: "cos_repo", snapshot: "2_bklog_x_snapshot_20261125", reason: "PARTIAL", attempt: 2, at: eventDate),
        ["repository", "snapshot", "reason", "attempt"]
    ),
    (
        .restoreFinished(
            restoreID: "r-42", indices: ["idx_a", "idx_b"], documentCount: 9_000, duration: .seconds(90), state: .done,
            at: eventDate),
        ["restore_id", "indices", "doc_count", "duration_seconds", "state"]
    ),
    (
        .retentionRemoved(plan: "nightly", removedCount: 3, keptCount: 7, at: eventDate),
        ["plan", "removed_count", "kept_count"]
    ),
]

/// A value several tasks append to.
private final class Recorder<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// A temporary folder removed when the test ends.
private struct TemporaryFolder: ~Copyable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("notifier-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

private func jsonObject(_ data: Data) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
}

// MARK: - Events

@Suite("Notifications: event JSON")
struct BackupEventJSONTests {
    @Test("every kind encodes to snake_case keys and ISO 8601 dates, and decodes back", arguments: sampleEvents)
    func encodesStableJSON(event: BackupEvent, expectedDetails: Set<String>) throws {
        let data = try JSONCoding.encoder().encode(event)
        let object = try jsonObject(data)
        #expect(Set(object.keys) == ["kind", "occurred_at", "details"])
        #expect(object["kind"] as? String == event.kind.rawValue)
        #expect(object["occurred_at"] as? String == "2026-11-25T01:30:00.000Z")
        let details = try #require(object["details"] as? [String: String])
        #expect(Set(details.keys) == expectedDetails)
        let snakeCase = /[a-z]+(_[a-z]+)*/
        for key in details.keys { #expect(key.wholeMatch(of: snakeCase) != nil, "\(key)") }
        #expect(try JSONCoding.decoder().decode(BackupEvent.self, from: data) == event)
    }

    @Test("details carry the values in documented units")
    func detailValues() {
        let success = sampleEvents[0].0
        #expect(success.kind == .backupSucceeded)
        #expect(success.details["bytes"] == "1234567")
        #expect(success.details["duration_seconds"] == "12.345")
        #expect(success.details["backup_kind"] == "full")
        let restore = sampleEvents[3].0
        #expect(restore.details["indices"] == "idx_a,idx_b")
        #expect(restore.details["duration_seconds"] == "90.000")
    }

    @Test("failures are told apart from successes")
    func failureFlag() {
        #expect(sampleEvents.map(\.0.isFailure) == [false, true, true, false, false])
        let failedRestore = BackupEvent.restoreFinished(
            restoreID: "r", indices: [], documentCount: 0, duration: .zero, state: .failed, at: eventDate)
        #expect(failedRestore.isFailure)
    }
}

// MARK: - Log

private struct CapturingLogHandler: LogHandler {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let lines: Recorder<Line>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var flat: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { flat[key] = "\(value)" }
        lines.append(Line(level: event.level, message: "\(event.message)", metadata: flat))
    }
}

@Suite("Notifications: log")
struct LogNotifierTests {
    @Test("one line per event: info for success, error for failure, details as metadata")
    func logsOneLinePerEvent() async throws {
        let lines = Recorder<CapturingLogHandler.Line>()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
        let notifier = LogNotifier(logger: logger)
        for (event, _) in sampleEvents { try await notifier.notify(event) }
        let captured = lines.all
        #expect(captured.count == sampleEvents.count)
        #expect(captured.map(\.level) == [.info, .error, .error, .info, .info])
        #expect(captured[0].message == "backup succeeded")
        #expect(captured[0].metadata["event"] == "backup_succeeded")
        #expect(captured[0].metadata["backup_id"] == "00000000000000ff")
        #expect(captured[1].metadata["reason"] == "disk full")
    }
}

// MARK: - Command

@Suite("Notifications: command")
struct CommandNotifierTests {
    @Test("the event's JSON arrives on standard input and its kind in BACKUPKIT_EVENT")
    func jsonOnStandardInput() async throws {
        let folder = try TemporaryFolder()
        let output = folder.path("event.json")
        let notifier = CommandNotifier(
            executable: "/bin/sh", arguments: ["-c", #"cat > "$OUT" && printf %s "$BACKUPKIT_EVENT" > "$OUT.kind""#],
            timeout: .seconds(10), environment: ["OUT": output])
        let event = sampleEvents[0].0
        try await notifier.notify(event)
        let data = try Data(contentsOf: URL(fileURLWithPath: output))
        #expect(try JSONCoding.decoder().decode(BackupEvent.self, from: data) == event)
        #expect(try String(contentsOfFile: output + ".kind", encoding: .utf8) == "backup_succeeded")
    }

    @Test("a non-zero exit names the command, its status and stderr, never its environment")
    func nonZeroExit() async throws {
        let notifier = CommandNotifier(
            executable: "/bin/sh", arguments: ["-c", "echo 'hook broke' >&2; exit 3"], timeout: .seconds(10),
            environment: ["HOOK_TOKEN": "tok-s3cret"])
        let error = await #expect(throws: NotifyError.self) { try await notifier.notify(sampleEvents[1].0) }
        #expect(error?.code == .commandFailed)
        #expect(error?.subject == "/bin/sh")
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("status 3"))
        #expect(text.contains("hook broke"))
        #expect(!text.contains("tok-s3cret"))
    }

    @Test("a missing program is a command failure")
    func missingProgram() async throws {
        let notifier = CommandNotifier(executable: "/nonexistent/hook", arguments: [], timeout: .seconds(5))
        let error = await #expect(throws: NotifyError.self) { try await notifier.notify(sampleEvents[1].0) }
        #expect(error?.code == .commandFailed)
        #expect(error?.subject == "/nonexistent/hook")
    }

    @Test("a command that outlives its timeout is terminated and reported")
    func timeout() async throws {
        // The command outlives any stall of the test's cooperative pool (the whole suite runs in parallel on two
        // cores), so the timer always fires first; the notifier kills it long before it would end.
        let notifier = CommandNotifier(executable: "/bin/sh", arguments: ["-c", "exec sleep 300"], timeout: .milliseconds(200))
        let error = await #expect(throws: NotifyError.self) { try await notifier.notify(sampleEvents[1].0) }
        #expect(error?.code == .commandTimedOut)
        #expect(error?.subject == "/bin/sh")
    }
}

@Suite("Notifications: command termination and stderr")
struct CommandNotifierTerminationTests {
    /// Whether process `pid` is gone (reaped, so no zombie either).
    private func isGone(_ pid: Int32) -> Bool { kill(pid, 0) != 0 && errno == ESRCH }

    private func readPID(_ path: String) async throws -> Int32 {
        for _ in 0..<250 {  // at most 5 s
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw NotifyError(code: .commandFailed, subject: "test", message: "the command did not write its pid")
    }

    @Test("a command that leaves a background job running returns when the command itself exits")
    func backgroundJobDoesNotHoldTheCommand() async throws {
        // A hook that starts a daemon (`notify-agent &`) with its output elsewhere: the command is done when it
        // exits, whatever its children still do.
        // Before the fix the notifier saw the command end only when the background job did, here after its
        // timeout: notify threw commandTimedOut after 60 s.
        let folder = try TemporaryFolder()
        let pidFile = folder.path("pid")
        let notifier = CommandNotifier(
            executable: "/bin/sh", arguments: ["-c", #"sleep 120 </dev/null >/dev/null 2>&1 & echo $! > "$PID_FILE""#],
            timeout: .seconds(60), environment: ["PID_FILE": pidFile])
        try await notifier.notify(sampleEvents[1].0)
        // Neither waited for nor stopped (Notifications.md): the job still runs; the test ends it.
        let job = try await readPID(pidFile)
        #expect(kill(job, 0) == 0, "the background job was stopped")
        kill(job, SIGKILL)
    }

    @Test("a command ignoring SIGTERM is killed after the grace period")
    func killsAfterGrace() async throws {
        let folder = try TemporaryFolder()
        let pidFile = folder.path("pid")
        let notifier = CommandNotifier(
            executable: "/bin/sh", arguments: ["-c", #"echo $$ > "$PID_FILE"; trap '' TERM; exec sleep 300"#],
            timeout: .milliseconds(300), environment: ["PID_FILE": pidFile])
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: NotifyError.self) { try await notifier.notify(sampleEvents[1].0) }
        let elapsed = clock.now - started
        #expect(error?.code == .commandTimedOut)
        #expect(error?.message.contains("killed") == true)
        // Killed, not finished: the command would sleep 300 s (longer than any stall of a loaded test run). Only the lower bound is asserted (a loaded
        // machine makes the run longer, never shorter).
        #expect(elapsed >= .milliseconds(300) + CommandNotifier.terminationGrace)
        #expect(isGone(try await readPID(pidFile)))
    }

    @Test("the error holds the last line of stderr, even after much output")
    func lastStandardErrorLine() async throws {
        let script = #"""
            printf 'first line\n' >&2
            i=0; while [ $i -lt 3000 ]; do echo "noise line $i ................................" >&2; i=$((i+1)); done
            printf 'the last word\n\n' >&2
            exit 4
            """#
        let notifier = CommandNotifier(executable: "/bin/sh", arguments: ["-c", script], timeout: .seconds(20))
        let error = await #expect(throws: NotifyError.self) { try await notifier.notify(sampleEvents[1].0) }
        #expect(error?.code == .commandFailed)
        #expect(error?.message == "exited with status 4: the last word")
    }

    @Test("a command killed by a signal says so")
    func killedBySignal() async throws {
        let notifier = CommandNotifier(executable: "/bin/sh", arguments: ["-c", "kill -9 $$"], timeout: .seconds(10))
        let error = await #expect(throws: NotifyError.self) { try await notifier.notify(sampleEvents[1].0) }
        #expect(error?.code == .commandFailed)
        #expect(error?.message.contains("signal 9") == true)
    }

    @Test("a program found through PATH runs, and ignoring standard input is not a failure")
    func lookedUpInPath() async throws {
        try await CommandNotifier(executable: "true", arguments: [], timeout: .seconds(10)).notify(sampleEvents[0].0)
    }

    @Test("cancelling the notification stops the command")
    func cancellationStopsCommand() async throws {
        let folder = try TemporaryFolder()
        let pidFile = folder.path("pid")
        let notifier = CommandNotifier(
            executable: "/bin/sh", arguments: ["-c", #"echo $$ > "$PID_FILE"; exec sleep 30"#], timeout: .seconds(60),
            environment: ["PID_FILE": pidFile])
        let task = Task { try await notifier.notify(sampleEvents[1].0) }
        let pid = try await readPID(pidFile)
        task.cancel()
        // A command left running would end the notification with success after 30 s, not with cancellation.
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(isGone(pid))
    }

    @Test("waitForExit(timeout:) gives the status, or nil while the child runs; terminate(grace:) kills")
    func childProcessTimedWaitAndTerminate() async throws {
        let quick = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exit 5"], environment: [:], output: .discard)
        #expect(await quick.waitForExit(timeout: .seconds(10)) == 5)

        let stubborn = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "trap '' TERM; echo ready >&2; exec sleep 30"], environment: [:],
            output: .discard)
        #expect(await stubborn.waitForExit(timeout: .milliseconds(100)) == nil)
        #expect(await stubborn.terminate(grace: .milliseconds(200)) == -SIGKILL)
        #expect(await stubborn.waitForExit(timeout: .zero) == -SIGKILL)
        #expect(await stubborn.errorTail(waitingAtMost: .seconds(5)) == "ready\n")
    }
}

// MARK: - Webhook

/// A local HTTP server (python3) that records requests and answers with scripted statuses; the last
/// status repeats.
private final class ScriptedServer {
    static let script = #"""
        import sys, json, os, signal, http.server
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        folder, plan = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
        count = [0]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = plan[min(count[0], len(plan) - 1)]
                count[0] += 1
                record = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode()}
                with open(os.path.join(folder, "requests.jsonl"), "a") as f:
                    f.write(json.dumps(record) + "\n")
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "2")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        with open(os.path.join(folder, "port.tmp"), "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(os.path.join(folder, "port.tmp"), os.path.join(folder, "port"))
        server.serve_forever()
        """#

    struct Request {
        var path: String
        var headers: [String: String]
        var body: Data
    }

    let folder: URL
    let process = Process()
    private(set) var port = 0

    static var isAvailable: Bool {
        ["/usr/bin/python3", "/usr/local/bin/python3"].contains { FileManager.default.isExecutableFile(atPath: $0) }
            || (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
                FileManager.default.isExecutableFile(atPath: "\($0)/python3")
            }
    }

    init(statuses: [Int]) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, folder.path, statuses.map(String.init).joined(separator: ",")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let portFile = folder.appendingPathComponent("port")
        for _ in 0..<250 {  // at most 5 s
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let value = Int(text) {
                port = value
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        stop()
        throw NotifyError(code: .invalidConfiguration, subject: "python3", message: "test server did not start")
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }

    var requests: [Request] {
        get throws {
            let file = folder.appendingPathComponent("requests.jsonl")
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map { line in
                let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return Request(
                    path: object["path"] as? String ?? "", headers: object["headers"] as? [String: String] ?? [:],
                    body: Data((object["body"] as? String ?? "").utf8))
            }
        }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)  // the test runner may ignore SIGTERM, and children inherit that
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }
}

@Suite("Notifications: webhook")
struct WebhookNotifierTests {
    private let sleeps = Recorder<Duration>()

    private func notifier(_ url: String, retry: RetryPolicy, headers: [String: String] = [:]) throws -> WebhookNotifier {
        let sleeps = self.sleeps
        return try WebhookNotifier(url: url, headers: headers, retry: retry, timeout: .seconds(5)) { sleeps.append($0) }
    }

    static let quickRetry = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(100), maxDelay: .seconds(5), jitter: 0)

    @Test("posts the event's JSON with Content-Type and the configured headers")
    func postsJSON() async throws {
        guard ScriptedServer.isAvailable else {
            print("skipped: python3 not found")
            return
        }
        let server = try await ScriptedServer(statuses: [200])
        defer { server.stop() }
        let event = sampleEvents[3].0
        try await notifier(server.url, retry: Self.quickRetry, headers: ["Authorization": "Bearer tok-s3cret"]).notify(event)
        let requests = try server.requests
        try #require(requests.count == 1)
        #expect(requests[0].path == "/hook")
        #expect(requests[0].headers["content-type"] == "application/json")
        #expect(requests[0].headers["authorization"] == "Bearer tok-s3cret")
        #expect(requests[0].headers["x-backupkit-event"] == "restore_finished")
        #expect(try JSONCoding.decoder().decode(BackupEvent.self, from: requests[0].body) == event)
        #expect(sleeps.all.isEmpty)
    }

    @Test("retries 503 with growing delays, then succeeds")
    func retriesServerErrors() async throws {
        guard ScriptedServer.isAvailable else { return print("skipped: python3 not found") }
        let server = try await ScriptedServer(statuses: [503, 503, 200])
        defer { server.stop() }
        try await notifier(server.url, retry: Self.quickRetry).notify(sampleEvents[0].0)
        #expect(try server.requests.count == 3)
        #expect(sleeps.all == [.milliseconds(100), .milliseconds(200)])
    }

    @Test("retries 429, honouring Retry-After, then succeeds")
    func retriesTooManyRequests() async throws {
        guard ScriptedServer.isAvailable else { return print("skipped: python3 not found") }
        let server = try await ScriptedServer(statuses: [429, 200])
        defer { server.stop() }
        try await notifier(server.url, retry: Self.quickRetry).notify(sampleEvents[0].0)
        #expect(try server.requests.count == 2)
        #expect(sleeps.all == [.seconds(2)])
    }

    @Test("does not retry 400 and reports the status")
    func noRetryOnClientError() async throws {
        guard ScriptedServer.isAvailable else { return print("skipped: python3 not found") }
        let server = try await ScriptedServer(statuses: [400])
        defer { server.stop() }
        let error = await #expect(throws: NotifyError.self) {
            try await notifier(server.url, retry: Self.quickRetry).notify(sampleEvents[0].0)
        }
        #expect(error?.code == .webhookFailed)
        #expect(error?.status == 400)
        #expect(error?.attempts == 1)
        #expect(try server.requests.count == 1)
        #expect(sleeps.all.isEmpty)
    }

    @Test("gives up after the last attempt with the last status")
    func givesUpAfterMaxAttempts() async throws {
        guard ScriptedServer.isAvailable else { return print("skipped: python3 not found") }
        let server = try await ScriptedServer(statuses: [503])
        defer { server.stop() }
        let error = await #expect(throws: NotifyError.self) {
            try await notifier(server.url, retry: Self.quickRetry).notify(sampleEvents[0].0)
        }
        #expect(error?.status == 503)
        #expect(error?.attempts == 3)
        #expect(try server.requests.count == 3)
        #expect(sleeps.all.count == 2)
    }

    @Test("stops when the next delay would exceed the total time budget")
    func boundedTotalTime() async throws {
        guard ScriptedServer.isAvailable else { return print("skipped: python3 not found") }
        let server = try await ScriptedServer(statuses: [503])
        defer { server.stop() }
        let retry = RetryPolicy(
            maxAttempts: 10, initialDelay: .seconds(10), maxDelay: .seconds(60), maxTotalTime: .seconds(25), jitter: 0)
        let error = await #expect(throws: NotifyError.self) { try await notifier(server.url, retry: retry).notify(sampleEvents[0].0) }
        #expect(error?.attempts == 2)
        #expect(try server.requests.count == 2)
        // 10 s (slept) + 20 s (next delay) passes the 25 s budget whatever the requests themselves took,
        // as long as each answers within 15 s.
        #expect(sleeps.all == [.seconds(10)])
    }

    @Test("an unreachable endpoint fails after retries without leaking the token, password or query")
    func unreachableRedacts() async throws {
        let url = "http://hookuser:hunter2@127.0.0.1:1/hook?token=q-s3cret"
        let error = await #expect(throws: NotifyError.self) {
            try await notifier(url, retry: Self.quickRetry, headers: ["Authorization": "Bearer tok-s3cret"]).notify(sampleEvents[0].0)
        }
        #expect(error?.code == .webhookFailed)
        #expect(error?.status == nil)
        #expect(error?.attempts == 3)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("http://127.0.0.1:1/hook"))
        for secret in ["hunter2", "hookuser", "q-s3cret", "tok-s3cret", "token="] { #expect(!text.contains(secret), "\(secret)") }
    }

    @Test(
        "a URL setting must be http or https with a host",
        arguments: ["ftp://user:pw@example.com/x", "example.com/hook", "http:///path", ""])
    func rejectsInvalidURL(url: String) throws {
        let error = #expect(throws: NotifyError.self) { try WebhookNotifier(url: url, timeout: .seconds(1)) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.subject == "notify.webhook.url")
        #expect(!(error.map { "\($0)" } ?? "").contains("pw@"))
    }
}

// MARK: - Retry policy and fan-out

@Suite("Notifications: retry policy and fan-out")
struct RetryAndMultiNotifierTests {
    @Test("delays double up to the cap and jitter stays within its band")
    func backoff() {
        var generator = SystemRandomNumberGenerator()
        let exact = RetryPolicy(initialDelay: .milliseconds(500), multiplier: 2, maxDelay: .seconds(3), jitter: 0)
        #expect(
            (1...5).map { exact.delay(afterAttempt: $0, using: &generator) } == [
                .milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3),
            ])
        let jittered = RetryPolicy(initialDelay: .seconds(1), jitter: 0.25)
        let delays = (0..<200).map { _ in jittered.delay(afterAttempt: 1, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .milliseconds(750) && $0 <= .milliseconds(1_250) })
        #expect(Set(delays).count > 1)
    }

    @Test("delivers to every notifier and reports the ones that failed")
    func fanOut() async throws {
        let folder = try TemporaryFolder()
        let output = folder.path("second.json")
        let lines = Recorder<CapturingLogHandler.Line>()
        let multi = MultiNotifier([
            CommandNotifier(executable: "/bin/sh", arguments: ["-c", "exit 7"], timeout: .seconds(5)),
            CommandNotifier(
                executable: "/bin/sh", arguments: ["-c", #"cat > "$OUT""#], timeout: .seconds(5), environment: ["OUT": output]),
            LogNotifier(logger: Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }),
        ])
        let failures = await multi.deliver(sampleEvents[2].0)
        #expect(failures.map(\.index) == [0])
        #expect(failures.first?.notifier == "CommandNotifier")
        #expect(FileManager.default.fileExists(atPath: output))
        #expect(lines.all.count == 1)

        let error = await #expect(throws: NotifyError.self) { try await multi.notify(sampleEvents[2].0) }
        #expect(error?.code == .partialDelivery)
        #expect(error?.message.contains("#0 CommandNotifier") == true)
        #expect(lines.all.count == 2)
    }
}
