import BackupCatalog
import BackupModels
import Foundation
import RemoteStorage
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

@Suite("Engine: encryption and storage failures")
struct EngineFailureTests {
    @Test("an encrypted plan stores .enc artifacts that restore with the key and refuse another key")
    func encryptedRoundTrip() async throws {
        let scratch = Scratch()
        try scratch.write("src/secret.conf", "password_hash = abc\n")
        let key = try EncryptionKey(bytes: (0..<32).map { UInt8($0) })
        let clock = TestClock("2026-11-24T17:30:00Z")
        let engine = try Fixture.engine(Fixture.plan(scratch), clock: clock, key: key)
        let record = try #require(try await engine.backup().outcomes.first?.record)
        let artifact = try #require(record.artifacts.first)
        #expect(artifact.key.hasSuffix(".tar.zst.enc"))
        #expect(artifact.encryptionKeyID == key.keyID)
        let manifest = try await engine.readManifest(of: record)
        #expect(manifest.encryption?.keyID == key.keyID)
        #expect(manifest.encryption?.algorithm == FrameEncryptor.formatName)

        // The plaintext never reaches storage: not the content, nor (in the file index) the file names.
        let stored = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.sub("store/") + artifact.key)))
        #expect(!String(decoding: stored, as: UTF8.self).contains("password_hash"))
        let index = try #require(record.artifacts.first { $0.role == FileIndex.role })
        #expect(index.key == Engine.indexKey(forArtifact: artifact.key, encrypted: true) && index.encryptionKeyID == key.keyID)
        let storedIndex = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.sub("store/") + index.key)))
        #expect(!String(decoding: storedIndex, as: UTF8.self).contains("secret.conf"))

        _ = try await engine.restore(record.id, to: scratch.sub("r1"))
        #expect(try String(contentsOfFile: scratch.sub("r1/src/secret.conf"), encoding: .utf8) == "password_hash = abc\n")
        #expect(try await engine.verify(record.id).isSound)

        var other = engine
        other.encryptionKey = try EncryptionKey(bytes: [UInt8](repeating: 9, count: 32))
        await #expect {
            try await other.restore(record.id, to: scratch.sub("r2"))
        } throws: { error in
            guard let error = error as? EngineError else { return false }
            return error.code == .encryptionKey && error.message.contains(key.keyID) && error.backupID == record.id
        }
        var none = engine
        none.encryptionKey = nil
        let result = try await none.verify(record.id)
        #expect(result.problems.contains { $0.contains("encrypted with key \(key.keyID)") })
    }

    @Test("a plan whose key file others can read is refused, naming the file")
    func keyFilePermissions() async throws {
        let scratch = Scratch()
        try scratch.write("backup.key", String(repeating: "ab", count: 32))
        chmod(scratch.sub("backup.key"), 0o644)
        var plan = Fixture.plan(scratch)
        plan.encryption = EncryptionSettings(keyFile: scratch.sub("backup.key"))
        await #expect {
            _ = try await Engine.open(plan, logger: Fixture.logger)
        } throws: { error in
            let text = String(describing: error)
            return text.contains(scratch.sub("backup.key")) && !text.contains(String(repeating: "ab", count: 32))
        }
        chmod(scratch.sub("backup.key"), 0o600)
        let engine = try await Engine.open(plan, logger: Fixture.logger)
        #expect(engine.encryptionKey != nil)
    }

    @Test("a full disk fails the backup cleanly: failed record, clear error, nothing left behind")
    func diskFull() async throws {
        let scratch = Scratch()
        let mountPoint = scratch.sub("tiny")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try Fixture.shell("mount -t tmpfs -o size=256k tmpfs '\(mountPoint)' && echo mounted").output.contains("mounted")
        guard mounted else {
            print("skipped 'a full disk fails the backup cleanly': cannot mount a small tmpfs here (needs root)")
            return
        }
        defer { _ = try? Fixture.shell("umount '\(mountPoint)'") }
        try Fixture.shell(
            "head -c 2000000 /dev/urandom > '\(scratch.sub("src/random.bin"))' || (mkdir -p '\(scratch.sub("src"))' && head -c 2000000 /dev/urandom > '\(scratch.sub("src/random.bin"))')"
        )
        var plan = Fixture.plan(scratch)
        plan.storage = .local(LocalStorageConfig(path: mountPoint + "/store"))
        let engine = try Fixture.engine(plan, clock: TestClock("2026-11-24T17:30:00Z"))
        let report = try await engine.backup()
        #expect(!report.succeeded)
        let failure = String(describing: report.outcomes.first?.error.map { $0 } as Any)
        #expect(failure.contains("no space"), "\(failure)")
        let records = try await engine.list()
        #expect(records.map(\.state) == [.failed])
        let leftovers = try Fixture.shell("find '\(mountPoint)/store' -type f ! -name 'catalog.sqlite*' | wc -l").output
        #expect(leftovers.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
    }

    @Test("a storage root that is a file is refused, naming the path")
    func storageRootIsFile() async throws {
        let scratch = Scratch()
        try scratch.write("not-a-folder", "x")
        var plan = Fixture.plan(scratch)
        plan.storage = .local(LocalStorageConfig(path: scratch.sub("not-a-folder")))
        await #expect {
            _ = try await Engine.open(plan, logger: Fixture.logger)
        } throws: { String(describing: $0).contains(scratch.sub("not-a-folder")) }
    }
}
