import Foundation
import SnapshotClientTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Runs every example command that takes a secret with distinctive canary values, and checks that no canary
/// reaches standard output, standard error (where the examples log, verbosely here), the catalog file, the
/// files in storage (manifests, artifacts), a webhook's bodies or the argv of any process the example starts
/// (read from `/proc` while it runs).
///
/// Each test also checks that its canaries went somewhere a leak could be seen: the webhook receiver got the
/// canary header, the cluster double accepted the canary password, the failure paths failed. A secret that no
/// command ever read would make the absence checks pass for nothing.
@Suite("secret canary")
struct SecretCanaryCLITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func binary(_ name: String) -> String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path,
            repository + "/.build/debug/" + name,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    /// A 32-byte key as 64 hex characters; its text and its raw bytes are both looked for.
    static let keyCanary = String(repeating: "c4a4a7c0", count: 8)
    static let otherKeyCanary = String(repeating: "0d15ea5e", count: 8)
    static let webhookCanary = "Bearer canary-webhook-7f3a9c1e5b"
    static let linkCanary = "canary-link-secret-4d8e2b6a-9c0f1e2d3b4a"
    static let mysqlCanary = "canary-mysql-pw-93b1c7"
    static let davCanary = "canary-dav-pw-2e6f0a"
    static let s3SecretCanary = "canarys3secret5b7d9f1a3c5e7b9d1f3a5c7e9b1d"
    static let esPasswordCanary = "canary-es-pw-6c2a8e"
    static let esAPIKeyCanary = "Y2FuYXJ5LWVzLWFwaWtleTo3YjNkOWY="
    static let repositorySecretCanary = "canary-repo-secret-1a9c"

    // MARK: Running an example and watching its children

    /// What one run left behind: its output, and the argv of every process of its tree seen while it ran.
    struct Run {
        var command: String
        var status: Int32
        var stdout: String
        var stderr: String
        var argvs: [[String]]
    }

    /// Records the command lines of `root` and all its descendants until stopped, polling `/proc` every
    /// 5 ms (children such as mysqldump live for tens of milliseconds at least). Polling every millisecond
    /// kept a core busy per watch, and with several watches at once the tests' cooperative pool starved: the
    /// timers of unrelated tests fired tens of seconds late.
    final class ProcessTreeWatch: @unchecked Sendable {
        private let root: pid_t
        private let lock = NSLock()
        private var seen: Set<[String]> = []
        private var stopped = false
        private let finished = DispatchSemaphore(value: 0)

        init(root: pid_t) {
            self.root = root
            Thread.detachNewThread { [self] in
                while !lock.withLock({ stopped }) {
                    poll()
                    usleep(5000)
                }
                finished.signal()
            }
        }

        func stop() -> [[String]] {
            lock.withLock { stopped = true }
            finished.wait()
            poll()
            return lock.withLock { Array(seen) }
        }

        private func poll() {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
            var parents: [pid_t: pid_t] = [:]
            for entry in entries {
                guard let pid = pid_t(entry), let stat = FileManager.default.contents(atPath: "/proc/\(entry)/stat"),
                    let close = stat.lastIndex(of: UInt8(ascii: ")"))
                else { continue }
                // "pid (comm) state ppid …": the command name may hold spaces and parentheses.
                let fields = stat[stat.index(after: close)...].split(separator: UInt8(ascii: " "), maxSplits: 3)
                if fields.count > 1, let parent = pid_t(String(decoding: fields[1], as: UTF8.self)) { parents[pid] = parent }
            }
            var tree: Set<pid_t> = [root]
            var grew = true
            while grew {
                grew = false
                for (pid, parent) in parents where tree.contains(parent) && !tree.contains(pid) {
                    tree.insert(pid)
                    grew = true
                }
            }
            for pid in tree {
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { continue }
                let argv = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
                _ = lock.withLock { seen.insert(argv) }
            }
        }
    }

    /// Runs an example in `directory` with `environment` added to the test's own, watching its process tree.
    static func run(_ example: String, _ arguments: [String], in directory: String, environment: [String: String]) async throws -> Run {
        var watch: ProcessTreeWatch?
        let output = try await runExample(
            binary(example), arguments, in: directory,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new },
            started: { watch = ProcessTreeWatch(root: $0) })
        return Run(
            command: "\(example) \(arguments.joined(separator: " "))", status: output.status, stdout: output.stdout,
            stderr: output.stderr, argvs: watch?.stop() ?? [])
    }

    // MARK: Looking for canaries

    /// The forms of a secret to look for: its text, and for a hex key also its upper-case text and raw bytes.
    static func forms(of secret: String) -> [Data] {
        var forms = [Data(secret.utf8), Data(secret.uppercased().utf8)]
        if secret.count == 64, secret.allSatisfy(\.isHexDigit) {
            var bytes: [UInt8] = []
            var index = secret.startIndex
            while index < secret.endIndex {
                let next = secret.index(index, offsetBy: 2)
                bytes.append(UInt8(secret[index..<next], radix: 16) ?? 0)
                index = next
            }
            forms.append(Data(bytes))
        }
        return forms
    }

    /// Expects none of `secrets` (name → value) in any of `places` (description → bytes).
    static func expectNoCanary(_ secrets: [String: String], in places: [(String, Data)], sourceLocation: SourceLocation = #_sourceLocation)
    {
        for (name, secret) in secrets.sorted(by: { $0.key < $1.key }) {
            for (place, bytes) in places {
                let leaked = forms(of: secret).contains { !$0.isEmpty && bytes.range(of: $0) != nil }
                #expect(!leaked, "the \(name) appears in \(place)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Every place a run can leak to: its output and the argv of every process of its tree.
    static func places(of runs: [Run]) -> [(String, Data)] {
        runs.flatMap { run in
            [("stdout of `\(run.command)`", Data(run.stdout.utf8)), ("stderr of `\(run.command)`", Data(run.stderr.utf8))]
                + run.argvs.map {
                    (
                        "the argv of a process of `\(run.command)`: \($0.prefix(3).joined(separator: " "))…",
                        Data($0.joined(separator: "\u{0}").utf8)
                    )
                }
        }
    }

    /// Every regular file under `folder` (catalogs with their -wal/-journal files, manifests, artifacts).
    static func files(under folder: String) -> [(String, Data)] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var result: [(String, Data)] = []
        while let relative = enumerator.nextObject() as? String {
            let path = folder + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            result.append(("file \(relative)", data))
        }
        return result
    }

    static func makeFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "backupkit-canary-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder + "/data/sub", withIntermediateDirectories: true)
        try Data("listen 80;\n".utf8).write(to: URL(fileURLWithPath: folder + "/data/app.conf"))
        try Data(repeating: 0x61, count: 70_000).write(to: URL(fileURLWithPath: folder + "/data/sub/big.txt"))
        return folder
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A real HTTP server (Python's http.server) that appends every request's headers and body to a file.
    final class WebhookReceiver {
        let process = Process()
        let port: Int
        let log: String

        init(folder: String) throws {
            log = folder + "/webhook-requests.jsonl"
            let script = """
                import http.server, json, sys
                class Handler(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                        with open(sys.argv[1], 'a') as f:
                            f.write(json.dumps({'headers': dict(self.headers), 'body': body.decode('utf-8', 'replace')}) + '\\n')
                        self.send_response(200)
                        self.end_headers()
                    def log_message(self, *args):
                        pass
                server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
                print(server.server_address[1], flush=True)
                server.serve_forever()
                """
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, log]
            let pipe = Pipe()
            process.standardOutput = pipe
            try startSerialized(process)
            var line = Data()
            while !line.contains(0x0A), let byte = try pipe.fileHandleForReading.read(upToCount: 1), !byte.isEmpty {
                line.append(byte)
            }
            port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        }

        /// The requests received so far: headers and body.
        func requests() -> [(headers: [String: String], body: String)] {
            guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
            return text.split(separator: "\n").compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return ((object["headers"] as? [String: String]) ?? [:], (object["body"] as? String) ?? "")
            }
        }

        /// Ends the server with SIGKILL: children started from the test runner may have SIGTERM blocked.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    // MARK: Tests

    @Test("backup with an encryption key, a webhook header and a link secret: run, list, verify, restore, prune, status, failures")
    func localPlanSecrets() async throws {
        let folder = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let receiver = try WebhookReceiver(folder: folder)
        defer { receiver.stop() }
        try #require(receiver.port > 0, "the webhook receiver did not start")
        let plan = """
            plan: canary
            catalog: ./backups/catalog.sqlite
            storage: {type: local, path: ./backups, link_secret_env: CANARY_LINK_SECRET, link_base_url: "http://127.0.0.1:1/download"}
            sources:
              - {name: files, type: files, paths: [./data]}
              - {name: missing, type: files, paths: [./no-such-folder]}
            encryption: {key_env: CANARY_BACKUP_KEY}
            notify:
              webhooks: [{url: "http://127.0.0.1:\(receiver.port)/hook", headers_from_env: {Authorization: CANARY_WEBHOOK_AUTH}, max_attempts: 1}]
            """
        try Self.write(plan, to: folder + "/plan.yaml")
        let environment = [
            "CANARY_BACKUP_KEY": Self.keyCanary, "CANARY_WEBHOOK_AUTH": Self.webhookCanary, "CANARY_LINK_SECRET": Self.linkCanary,
        ]
        func backup(_ arguments: String..., environment extra: [String: String] = [:]) async throws -> Run {
            try await Self.run("backup", arguments, in: folder, environment: environment.merging(extra) { _, new in new })
        }
        var runs: [Run] = []
        let stored = try await backup("run", "--plan", "plan.yaml", "--source", "files", "-v")
        #expect(stored.status == 0, "\(stored.stderr)")
        // A source that fails: its error and the backup_failed notification go through the same paths.
        let failed = try await backup("run", "--plan", "plan.yaml", "--source", "missing", "-v")
        #expect(failed.status != 0)
        let list = try await backup("list", "--plan", "plan.yaml", "--json")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let label = try #require(records.first { $0["source"] as? String == "files" }?["label"] as? String)
        let verified = try await backup("verify", "--plan", "plan.yaml", "--all", "-v")
        #expect(verified.status == 0, "\(verified.stderr)")
        let restored = try await backup("restore", "--plan", "plan.yaml", "--source", "files", label, "--to", "restored", "-v")
        #expect(restored.status == 0, "\(restored.stderr)")
        // Another key: the mismatch is reported by key id, never by key.
        let wrongKey = try await backup(
            "verify", "--plan", "plan.yaml", "--all", "-v", environment: ["CANARY_BACKUP_KEY": Self.otherKeyCanary])
        #expect(wrongKey.status != 0, "verify with another key succeeded")
        let pruned = try await backup("prune", "--plan", "plan.yaml", "--dry-run", "--json")
        let status = try await Self.run("backup", ["status", "--plan", "plan.yaml", "--json"], in: folder, environment: environment)
        runs += [stored, failed, list, verified, restored, wrongKey, pruned, status]

        let requests = receiver.requests()
        #expect(requests.count >= 2, "the webhook received \(requests.count) notifications, expected backup_succeeded and backup_failed")
        #expect(
            requests.allSatisfy { $0.headers.first { $0.key.lowercased() == "authorization" }?.value == Self.webhookCanary },
            "the webhook header did not carry the canary: the test would not see it leak")
        let secrets = [
            "encryption key": Self.keyCanary, "second encryption key": Self.otherKeyCanary, "webhook header": Self.webhookCanary,
            "link secret": Self.linkCanary,
        ]
        Self.expectNoCanary(
            secrets,
            in: Self.places(of: runs) + Self.files(under: folder + "/backups")
                + requests.enumerated().map { ("the body of webhook request \($0.offset)", Data($0.element.body.utf8)) })
    }

    @Test("export-link with a link secret: create and cleanup")
    func exportLinkSecret() async throws {
        let folder = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.write(
            "storage: {type: local, path: ./exports, link_secret_env: CANARY_LINK_SECRET, link_base_url: \"http://127.0.0.1:1/download\"}\n",
            to: folder + "/storage.yaml")
        let environment = ["CANARY_LINK_SECRET": Self.linkCanary]
        let created = try await Self.run(
            "export-link", ["create", "--storage", "storage.yaml", "--json", "-v", "data"], in: folder, environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("http://127.0.0.1:1/download"), "no signed link was printed: \(created.stdout)")
        let cleaned = try await Self.run(
            "export-link", ["cleanup", "--storage", "storage.yaml", "--older-than", "7d", "-v"], in: folder, environment: environment)
        #expect(cleaned.status == 0, "\(cleaned.stderr)")
        Self.expectNoCanary(
            ["link secret": Self.linkCanary], in: Self.places(of: [created, cleaned]) + Self.files(under: folder + "/exports"))
    }

    @Test("backup with a MySQL password: a real backup, a refused password, a refused restore target")
    func mysqlPassword() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let host = env["BACKUPKIT_MYSQL_HOST"], let port = env["BACKUPKIT_MYSQL_PORT"], let user = env["BACKUPKIT_MYSQL_USER"],
            let password = env["BACKUPKIT_MYSQL_PASSWORD"], let socket = env["BACKUPKIT_MYSQL_SOCKET"]
        else {
            print("skipped: the MySQL canary needs BACKUPKIT_MYSQL_* (scripts/services/mariadb.sh starts a server)")
            return
        }
        let folder = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let database = "fuzz_canary_\(UUID().uuidString.prefix(8).lowercased())"
        _ = try Sandbox.shell(
            "mariadb --no-defaults --socket='\(socket)' --user=root -e \"CREATE DATABASE \(database); "
                + "CREATE TABLE \(database).t (id INT PRIMARY KEY); INSERT INTO \(database).t VALUES (1),(2);\"")
        defer { _ = try? Sandbox.shell("mariadb --no-defaults --socket='\(socket)' --user=root -e 'DROP DATABASE IF EXISTS \(database)'") }
        try Self.write(
            """
            plan: canary
            catalog: ./backups/catalog.sqlite
            storage: {type: local, path: ./backups}
            sources:
              - {name: meta, type: mysql, host: \(host), port: \(port), user: \(user), password_env: CANARY_MYSQL_PASSWORD, databases: [\(database)]}
            """, to: folder + "/plan.yaml")
        let stored = try await Self.run(
            "backup", ["run", "--plan", "plan.yaml", "--full", "-v"], in: folder, environment: ["CANARY_MYSQL_PASSWORD": password])
        #expect(stored.status == 0, "\(stored.stderr)")
        #expect(
            stored.argvs.contains { $0.first?.hasSuffix("mysqldump") == true || $0.first?.hasSuffix("mariadb-dump") == true },
            "no dump tool was seen running (seen: \(stored.argvs.map { $0.first ?? "" }))")
        let refused = try await Self.run(
            "backup", ["run", "--plan", "plan.yaml", "--full", "-v"], in: folder, environment: ["CANARY_MYSQL_PASSWORD": Self.mysqlCanary])
        #expect(refused.status != 0, "a backup with a wrong password succeeded")
        let list = try await Self.run("backup", ["list", "--plan", "plan.yaml", "--json"], in: folder, environment: [:])
        let records = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let label = try #require(records.first { $0["state"] as? String == "committed" }?["label"] as? String)
        let target = "mysql://\(user)@\(env["BACKUPKIT_MYSQL_NOBINLOG_HOST"] ?? host):\(env["BACKUPKIT_MYSQL_NOBINLOG_PORT"] ?? port)"
        let restore = try await Self.run(
            "backup", ["restore", "--plan", "plan.yaml", "--source", "meta", label, "--to-mysql", target, "-v"], in: folder,
            environment: ["MYSQL_RESTORE_PASSWORD": Self.mysqlCanary])
        #expect(restore.status != 0, "a restore with a wrong password succeeded")
        Self.expectNoCanary(
            ["MySQL password": password, "wrong MySQL password": Self.mysqlCanary],
            in: Self.places(of: [stored, refused, list, restore]) + Self.files(under: folder + "/backups"))
    }

    @Test("backup to WebDAV with a password: a real backup and list, and a refused password")
    func webDAVPassword() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let url = env["BACKUPKIT_DAV_URL"], let user = env["BACKUPKIT_DAV_USER"], let password = env["BACKUPKIT_DAV_PASSWORD"] else {
            print("skipped: the WebDAV canary needs BACKUPKIT_DAV_* (scripts/services/nginx-dav.sh starts a server)")
            return
        }
        let folder = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let base = url + "fuzz-canary-\(UUID().uuidString.prefix(8).lowercased())/"
        try Self.write(
            """
            plan: canary
            catalog: ./catalog.sqlite
            storage: {type: http, url: "\(base)", user_env: CANARY_DAV_USER, password_env: CANARY_DAV_PASSWORD}
            sources: [{name: files, type: files, paths: [./data]}]
            """, to: folder + "/plan.yaml")
        let good = ["CANARY_DAV_USER": user, "CANARY_DAV_PASSWORD": password]
        let backedUp = try await Self.run("backup", ["run", "--plan", "plan.yaml", "-v"], in: folder, environment: good)
        #expect(backedUp.status == 0, "\(backedUp.stderr)")
        let verified = try await Self.run("backup", ["verify", "--plan", "plan.yaml", "--all", "-v"], in: folder, environment: good)
        #expect(verified.status == 0, "\(verified.stderr)")
        let refused = try await Self.run(
            "backup", ["run", "--plan", "plan.yaml", "-v"], in: folder,
            environment: ["CANARY_DAV_USER": user, "CANARY_DAV_PASSWORD": Self.davCanary])
        #expect(refused.status != 0, "a backup with a wrong WebDAV password succeeded")
        // What landed in the repository, read back over WebDAV: every artifact and its manifest.
        let list = try await Self.run("backup", ["list", "--plan", "plan.yaml", "--json"], in: folder, environment: good)
        let records = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let artifacts = records.flatMap { $0["artifacts"] as? [[String: Any]] ?? [] }
        // Each artifact (data and file index), and the manifest beside the data.
        let names = artifacts.flatMap { artifact -> [String] in
            guard let key = artifact["key"] as? String else { return [] }
            return artifact["role"] as? String == "data" ? [key, key + ".manifest.json"] : [key]
        }
        #expect(names.count >= 3, "the catalog lists no data and index artifacts to read back")
        var stored: [(String, Data)] = []
        do {
            for name in names {
                var request = URLRequest(url: try #require(URL(string: base + name)))
                request.setValue("Basic " + Data("\(user):\(password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
                let (data, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200, "GET \(name) over WebDAV failed")
                stored.append(("the stored \(name)", data))
            }
        }
        Self.expectNoCanary(
            ["WebDAV password": password, "wrong WebDAV password": Self.davCanary],
            in: Self.places(of: [backedUp, verified, refused, list]) + stored
                + Self.files(under: folder).filter { !$0.0.hasSuffix("plan.yaml") })
        _ = try? Sandbox.shell("curl -s -o /dev/null -u '\(user):\(password)' -X DELETE '\(base)'")
    }

    @Test("backup to S3 with a wrong secret key: the refusal names no secret")
    func s3SecretKey() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["BACKUPKIT_S3_ENDPOINT"], let region = env["BACKUPKIT_S3_REGION"],
            let access = env["BACKUPKIT_S3_ACCESS_KEY"]
        else {
            print("skipped: the S3 canary needs BACKUPKIT_S3_* (scripts/services/seaweedfs.sh starts a server)")
            return
        }
        let folder = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.write(
            """
            plan: canary
            catalog: ./catalog.sqlite
            storage: {type: s3, endpoint: "\(endpoint)", region: \(region), bucket: fuzz-canary, path_style: true,
                      access_key_env: CANARY_S3_ACCESS, secret_key_env: CANARY_S3_SECRET}
            sources: [{name: files, type: files, paths: [./data]}]
            """, to: folder + "/plan.yaml")
        let environment = ["CANARY_S3_ACCESS": access, "CANARY_S3_SECRET": Self.s3SecretCanary]
        let refused = try await Self.run("backup", ["run", "--plan", "plan.yaml", "-v"], in: folder, environment: environment)
        #expect(refused.status != 0, "a backup with a wrong S3 secret key succeeded")
        let listed = try await Self.run("backup", ["verify", "--plan", "plan.yaml", "--all", "-v"], in: folder, environment: environment)
        try Self.write(
            """
            storage: {type: s3, endpoint: "\(endpoint)", region: \(region), bucket: fuzz-canary, path_style: true,
                      access_key_env: CANARY_S3_ACCESS, secret_key_env: CANARY_S3_SECRET}
            """, to: folder + "/storage.yaml")
        let exported = try await Self.run(
            "export-link", ["create", "--storage", "storage.yaml", "-v", "data"], in: folder, environment: environment)
        #expect(exported.status != 0, "an export with a wrong S3 secret key succeeded")
        Self.expectNoCanary(
            ["S3 secret key": Self.s3SecretCanary],
            in: Self.places(of: [refused, listed, exported]) + Self.files(under: folder).filter { !$0.0.hasSuffix(".yaml") })
    }

    @Test("es-archive with a password, an API key and a repository secret; a refused password")
    func elasticsearchSecrets() async throws {
        let folder = try Self.makeFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for credential in ["password", "api key"] {
            var configuration = ClusterDouble.Configuration()
            if credential == "password" {
                configuration.username = "elastic"
                configuration.password = Self.esPasswordCanary
            } else {
                configuration.apiKey = Self.esAPIKeyCanary
            }
            let double = ClusterDouble(configuration: configuration)
            _ = try await double.start()
            // One expired daily index of the platform's layout, so that `archive run` snapshots something.
            let start = Date(timeIntervalSince1970: 1_795_138_200)  // 2026-11-20T01:30:00Z
            double.addIndex(
                name: "v2_2_bklog_nginx_access_2026112000_0", docs: 100, sizeBytes: 100_000,
                timeRange: start...start.addingTimeInterval(82_800), open: true,
                aliases: ["write_2026112000_2_bklog_nginx_access", "2_bklog_nginx_access_2026112000_read"])
            var environment = ["ES_URL": double.url, "CANARY_REPO_SECRET": Self.repositorySecretCanary]
            if credential == "password" {
                environment["ES_USER"] = "elastic"
                environment["ES_PASSWORD"] = Self.esPasswordCanary
            } else {
                environment["ES_API_KEY"] = Self.esAPIKeyCanary
            }
            func archive(_ arguments: String..., environment extra: [String: String] = [:]) async throws -> Run {
                try await Self.run(
                    "es-archive", arguments + ["--catalog", folder + "/catalog.sqlite"], in: folder,
                    environment: environment.merging(extra) { _, new in new })
            }
            var runs: [Run] = []
            let info = try await archive("info", "--json")
            #expect(info.status == 0, "the double refused the canary \(credential): \(info.stderr)")
            runs.append(info)
            let created = try await archive(
                "repo", "create", "s3-archive", "--type", "s3", "--setting", "bucket=archive", "--secret", "secret_key=CANARY_REPO_SECRET",
                "--secret", "access_key=CANARY_REPO_SECRET")
            runs.append(created)
            runs.append(try await archive("repo", "list", "--json"))
            runs.append(try await archive("repo", "verify", "s3-archive"))
            runs.append(try await archive("repo", "create", "archive", "--type", "fs", "--setting", "location=/mnt/archive"))
            runs.append(try await archive("archive", "add", "--table", "2_bklog.nginx_access", "--repo", "archive", "--days", "30"))
            let archived = try await archive("archive", "run", "--time", "2026-11-25T02:00:00Z")
            #expect(archived.status == 0, "\(archived.stderr)")
            runs.append(archived)
            runs.append(try await archive("snapshots", "--repo", "archive", "--table", "2_bklog.nginx_access", "--json"))
            let refused = try await archive(
                "info",
                environment: [
                    "ES_PASSWORD": "wrong-" + Self.esPasswordCanary,
                    "ES_API_KEY": credential == "password" ? "" : "d3Jvbmc6" + Self.esAPIKeyCanary,
                ])
            #expect(refused.status != 0, "the double accepted a wrong \(credential)")
            runs.append(refused)
            try await double.shutdown()
            Self.expectNoCanary(
                [
                    "Elasticsearch password": Self.esPasswordCanary, "Elasticsearch API key": Self.esAPIKeyCanary,
                    "repository secret": Self.repositorySecretCanary,
                ],
                in: Self.places(of: runs) + Self.files(under: folder).filter { !$0.0.contains("data/") })
        }
    }
}
