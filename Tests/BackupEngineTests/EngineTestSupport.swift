import BackupCatalog
import BackupModels
import Foundation
import Logging
import RemoteStorage

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// A temporary folder removed when the value is released.
final class Scratch: @unchecked Sendable {
    let path: String

    init(_ name: String = "engine") {
        path = NSTemporaryDirectory() + "backupkit-\(name)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func sub(_ relative: String) -> String { path + "/" + relative }

    func write(_ relative: String, _ text: String) throws {
        let target = sub(relative)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
    }
}

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ iso: String) { current = ISO8601.date(from: iso)! }

    var now: Date { lock.withLock { current } }
    func set(_ iso: String) { lock.withLock { current = ISO8601.date(from: iso)! } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

enum Fixture {
    static let logger = Logger(label: "test")

    /// A plan over a files source at `scratch/src` and local storage at `scratch/store`.
    static func plan(
        _ scratch: Scratch, sources: [SourceConfig]? = nil,
        compression: CompressionSettings = CompressionSettings(algorithm: .zstd, level: 3),
        retention: RetentionPolicy? = nil
    ) -> BackupPlan {
        BackupPlan(
            name: "test", catalogPath: scratch.sub("store/catalog.sqlite"),
            storage: .local(LocalStorageConfig(path: scratch.sub("store"))),
            sources: sources ?? [.files(FileTreeSourceConfig(name: "config", paths: [scratch.sub("src")], exclude: ["*.tmp"]))],
            compression: compression, retention: retention, timeZoneIdentifier: "Asia/Shanghai")
    }

    static func engine(_ plan: BackupPlan, clock: TestClock, key: EncryptionKey? = nil) throws -> Engine {
        let storage = try LocalStorage(root: { if case .local(let c) = plan.storage { return c.path } else { fatalError() } }())
        let catalog = try SQLiteCatalog(path: plan.catalogPath)
        return Engine(
            plan: plan, catalog: catalog, storage: storage, logger: logger, host: "test-host", now: { clock.now },
            encryptionKey: key, lockPath: plan.catalogPath + ".lock")
    }

    /// Every regular file, link and folder under `root`, with content (files) or target (links).
    static func tree(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root) else { return [:] }
        for case let relative as String in walker {
            let full = root + "/" + relative
            let attributes = try manager.attributesOfItem(atPath: full)
            switch attributes[.type] as? FileAttributeType {
            case .typeSymbolicLink?: result[relative] = "-> " + (try manager.destinationOfSymbolicLink(atPath: full))
            case .typeDirectory?: result[relative] = "<dir>"
            default: result[relative] = String(decoding: try Data(contentsOf: URL(fileURLWithPath: full)), as: UTF8.self)
            }
        }
        return result
    }

    /// Runs a command, returning its exit status and standard output.
    @discardableResult
    static func shell(_ command: String) throws -> (status: Int32, output: String) {
        // Output goes to a file, not a pipe: a pipe's reader waits for every writer, and a child another
        // test starts at the same moment can inherit the write end (a `sleep 30` then holds this thread 30 s).
        let outputPath = NSTemporaryDirectory() + "backupkit-shell-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        // Not Foundation's Process: it learns that a child ended when a socket the child inherited closes, and
        // a long-lived child another test started at the same moment can hold that socket too.
        let spawn = ChildSpawn()
        spawn.open("/dev/null", as: STDIN_FILENO, writing: false)
        spawn.open(outputPath, as: STDOUT_FILENO, writing: true)
        spawn.duplicate(STDOUT_FILENO, as: STDERR_FILENO)
        let pid = try spawn.start("/bin/sh", arguments: ["-c", command], environment: ProcessInfo.processInfo.environment)
        let status = ChildSpawn.waitForExit(pid)
        let data = try Data(contentsOf: URL(fileURLWithPath: outputPath))
        return (status, String(decoding: data, as: UTF8.self))
    }
}
