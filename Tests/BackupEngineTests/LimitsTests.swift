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

@Suite("Child process priority")
struct LimitsTests {
    /// A folder holding executable stand-ins for `nice` and `ionice`.
    private func fakeBinaries(_ names: [String]) throws -> Scratch {
        let scratch = Scratch("limits")
        for name in names {
            try scratch.write(name, "#!/bin/sh\nexec \"$@\"\n")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.sub(name))
        }
        return scratch
    }

    @Test("nice and ionice wrap the command in that order, with the configured values")
    func wraps() throws {
        let bin = try fakeBinaries(["nice", "ionice"])
        let priority = ChildProcessPriority(niceness: 10, ioClass: .bestEffort, ioLevel: 7, searchPath: [bin.path])
        let (executable, arguments) = priority.apply(to: ["/usr/bin/mysqldump", "--single-transaction", "shop"])
        #expect(executable == bin.sub("nice"))
        #expect(arguments == ["-n", "10", bin.sub("ionice"), "-c", "2", "-n", "7", "/usr/bin/mysqldump", "--single-transaction", "shop"])
        let idle = ChildProcessPriority(ioClass: .idle, ioLevel: 3, searchPath: [bin.path]).apply(to: ["tar", "-c"])
        #expect(idle.executable == bin.sub("ionice"))
        #expect(idle.arguments == ["-c", "3", "tar", "-c"], "idle takes no level")
    }

    @Test("a missing wrapper is left out and the command still runs; normal priority changes nothing")
    func missingWrappers() throws {
        let bin = try fakeBinaries(["nice"])
        let priority = ChildProcessPriority(niceness: 5, ioClass: .idle, searchPath: [bin.path])
        let (executable, arguments) = priority.apply(to: ["/bin/true"], logger: Logger(label: "test"))
        #expect(executable == bin.sub("nice"))
        #expect(arguments == ["-n", "5", "/bin/true"])
        let none = ChildProcessPriority(niceness: 5, ioClass: .idle, searchPath: []).apply(to: ["/bin/true", "x"])
        #expect(none.executable == "/bin/true")
        #expect(none.arguments == ["x"])
        #expect(ChildProcessPriority.normal.apply(to: ["/bin/echo", "hi"]).arguments == ["hi"])
        #expect(ChildProcessPriority.normal.isNormal)
        #expect(ChildProcessPriority(niceness: 99).niceness == 19, "values are clamped")
        #expect(ChildProcessPriority.IOClass(name: "best_effort") == .bestEffort)
        #expect(ChildProcessPriority.IOClass(name: "sometimes") == nil)
    }

    @Test(
        "the wrapped command really runs at the lower priority", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/nice"))
    )
    func realNice() throws {
        let (executable, arguments) = ChildProcessPriority(niceness: 7).apply(to: ["/bin/sh", "-c", "nice"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let base = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #expect(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == String(min(19, base + 7)))
    }
}
