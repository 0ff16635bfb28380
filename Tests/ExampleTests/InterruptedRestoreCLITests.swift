import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a restore killed with SIGKILL leaves behind (Documentation/RestoreGuide.md, "Interrupted restores").
@Suite("backup restore killed with SIGKILL")
struct InterruptedRestoreCLITests {
    @Test("the target is left as it was, a hidden staging folder remains, and a re-run restores completely")
    func killedRestore() async throws {
        let sandbox = try Sandbox()
        // A 256 MiB sparse file: quick to back up, long enough to write back to be killed meanwhile.
        let big = sandbox.path("Examples/sample/config/big.bin")
        _ = FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: 256 << 20)
        try handle.close()
        let backup = try await sandbox.backup("run", "--plan", "Examples/quickstart.yaml", "--source", "config")
        #expect(backup.status == 0, "\(backup.stderr)")
        let list = try JSONSerialization.jsonObject(
            with: Data(try await sandbox.backup("list", "--plan", "Examples/quickstart.yaml", "--json").stdout.utf8))
        let id = try #require((list as? [[String: Any]])?.first?["id"] as? String)

        let parent = sandbox.path("restores")
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let target = parent + "/config"
        var killed = false
        var attempts = 0
        // Kill it once its staging folder holds the big file being written (a few tries on a very fast machine).
        while !killed, attempts < 5 {
            attempts += 1
            let process = try sandbox.start("restore", "--plan", "Examples/quickstart.yaml", id, "--to", target)
            while process.isRunning {
                if let staging = stagingFolders(in: parent).first,
                    FileManager.default.fileExists(atPath: parent + "/" + staging + "/config/big.bin")
                {
                    kill(process.processIdentifier, SIGKILL)
                    killed = true
                    break
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            await waitForExit(of: process)
            if !killed { try? FileManager.default.removeItem(atPath: target) }
        }
        try #require(killed, "the restore finished before it could be killed, \(attempts) times")

        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []).isEmpty,
            "nothing unverified became visible: the target is as empty as the restore made it")
        #expect(stagingFolders(in: parent).count == 1, "the staging folder stays until removed by hand")

        let rerun = try await sandbox.backup("restore", "--plan", "Examples/quickstart.yaml", id, "--to", target)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let size = try FileManager.default.attributesOfItem(atPath: target + "/config/big.bin")[.size] as? Int
        #expect(size == 256 << 20)
    }

    private func stagingFolders(in parent: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter { $0.contains(".backupkit-staging-") }
    }
}
