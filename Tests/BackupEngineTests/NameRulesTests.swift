import SnapshotClient
import Testing

@testable import ArchiveLifecycle

/// The archive configuration and the client apply one set of name rules (they used to disagree
/// about uppercase repository names).
@Suite("Repository and snapshot names: one rule for the client and the archive")
struct NameRulesTests {
    static let names = [
        "logs", "Logs_Repo", "bk-log.2026", "a+b", "", "_all", "-x", "+x", ".", "..", "a b", "a,b", "a#b", "a:b", "a/b",
        "a*b", "UPPER", String(repeating: "r", count: 255), String(repeating: "r", count: 256),
    ]

    @Test("a repository name passes the archive check exactly when it passes the client's", arguments: names)
    func repositories(_ name: String) {
        let client = (try? SnapshotNames.validateRepository(name)) != nil
        let archive = (try? ArchiveNames.validateRepository(name, field: "repository")) != nil
        #expect(client == archive)
    }

    @Test("a snapshot name passes the archive check exactly when it passes the client's", arguments: names)
    func snapshots(_ name: String) {
        let client = (try? SnapshotNames.validateSnapshot(name)) != nil
        let archive = (try? ArchiveNames.validateSnapshot(name, field: "snapshot")) != nil
        #expect(client == archive)
    }

    @Test("uppercase is allowed in repository names and refused in snapshot names, as the cluster does")
    func uppercase() throws {
        try SnapshotNames.validateRepository("Logs_Repo")
        try ArchiveNames.validateRepository("Logs_Repo", field: "repository")
        #expect(throws: SnapshotClientError.self) { try SnapshotNames.validateSnapshot("Daily") }
        let error = try #require(throws: ArchiveError.self) { try ArchiveNames.validateSnapshot("Daily", field: "snapshot") }
        #expect(error.subject == "snapshot")
        #expect(error.message.contains("must be lowercase"))
        #expect(error.underlying is SnapshotClientError)
    }
}
