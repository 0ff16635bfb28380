import BackupModels
import Foundation
import Testing

@testable import ArchiveLifecycle
@testable import ArtifactFormat
@testable import BackupEngine
@testable import BackupPlans
@testable import BackupScheduler
@testable import BackupSources
@testable import BackupSupport

/// How a parallel dump turns the server's row lines into `INSERT` statements and segments.
struct InsertSegmenterTests {
    static let table = DumpTable(
        database: "shop", name: "orders", columns: [.init(name: "id", dataType: "int"), .init(name: "note", dataType: "varchar")],
        engine: "InnoDB", estimatedBytes: 0)

    static func lines(_ range: ClosedRange<Int>) -> [UInt8] {
        Array(range.map { "(\($0),'note \($0)'),\n" }.joined().utf8)
    }

    /// The statements of all segments, in order, as text.
    static func text(_ segments: [DumpSegment]) -> String {
        segments.map { String(decoding: $0.content, as: UTF8.self) }.joined()
    }

    @Test("rows become multi-row INSERT statements of bounded size, each ending in a semicolon")
    func statements() {
        var segmenter = InsertSegmenter(table: Self.table, statementLimit: 200, segmentLimit: 1 << 20)
        var segments: [DumpSegment] = []
        // Fed in uneven pieces, each ending at a line break, as the session hands them out.
        let all = Self.lines(1...100)
        var start = 0
        for end in [150, 151, 900, all.count] {
            let cut = (all[..<min(end, all.count)].lastIndex(of: 10) ?? -1) + 1
            guard cut > start else { continue }
            segments += segmenter.append(all[start..<cut])
            start = cut
        }
        if let last = segmenter.finish() { segments.append(last) }
        #expect(segmenter.rows == 100)
        let sql = Self.text(segments)
        let statements = sql.split(separator: "\n", omittingEmptySubsequences: false)
            .split(whereSeparator: { $0.hasPrefix("INSERT") }).count
        #expect(statements > 5, "a 200-byte limit splits 100 rows into many statements")
        let pieces = sql.components(separatedBy: "INSERT INTO `shop`.`orders` (`id`,`note`) VALUES\n").dropFirst()
        #expect(pieces.allSatisfy { $0.hasSuffix(");\n") && !$0.dropLast(2).hasSuffix(");") })
        #expect(pieces.allSatisfy { $0.utf8.count < 200 + 30 }, "a statement stops at the first line break after the limit")
        let values = pieces.flatMap { $0.split(separator: "\n") }.map { $0.dropLast() }
        #expect(values.map(String.init) == (1...100).map { "(\($0),'note \($0)')" }, "every row, once, in order")
    }

    @Test("segments fill up to the limit and are numbered; an empty table gives none")
    func segments() {
        var segmenter = InsertSegmenter(table: Self.table, statementLimit: 1000, segmentLimit: 4000)
        var segments = segmenter.append(Self.lines(1...500)[...])
        if let last = segmenter.finish() { segments.append(last) }
        #expect(segments.count > 2)
        #expect(segments.dropLast().allSatisfy { $0.content.count >= 4000 })
        #expect(segments.map(\.path).first == "data/shop.orders.00001.sql")
        #expect(segments.map(\.path).last == "data/shop.orders.\(String(format: "%05d", segments.count)).sql")
        #expect(segments.allSatisfy { $0.content.last == 10 && $0.content.dropLast().last == UInt8(ascii: ";") })

        var empty = InsertSegmenter(table: Self.table)
        #expect(empty.finish() == nil)
        #expect(empty.rows == 0)
    }

    @Test("each column type is written as a literal that keeps the row on one line")
    func literals() {
        #expect(DumpTable.literal(for: .init(name: "b", dataType: "blob")) == "IF(`b` IS NULL, 'NULL', CONCAT('X''', HEX(`b`), ''''))")
        #expect(DumpTable.literal(for: .init(name: "f", dataType: "bit")).contains("BIN(`f`)"))
        #expect(DumpTable.literal(for: .init(name: "n", dataType: "decimal")) == "IFNULL(`n`, 'NULL')")
        #expect(
            DumpTable.literal(for: .init(name: "t`x", dataType: "text", characterSet: "utf8mb4"))
                == #"REPLACE(REPLACE(QUOTE(`t``x`), '\n', '\\n'), '\r', '\\r')"#)
        #expect(DumpTable.literal(for: .init(name: "l", dataType: "varchar", characterSet: "latin1")).hasPrefix("CONVERT(REPLACE("))
        #expect(DumpTable.literal(for: .init(name: "d", dataType: "datetime")) == "QUOTE(`d`)")
        let path = DumpTable(database: "a/b", name: "c\nd", columns: [], engine: "", estimatedBytes: 0).segmentPath(7)
        #expect(path == "data/a_b.c_d.00007.sql")
    }
}

/// The queue between dump workers and the stream, and between the restore's reader and loaders.
struct BoundedQueueTests {
    @Test("a sender waits while the queue is full; everything arrives once, in order, then nil")
    func order() async throws {
        let queue = BoundedQueue<Int>(capacity: 2)
        let sent = Task {
            for value in 1...50 { try await queue.send(value) }
            queue.finish()
        }
        var received: [Int] = []
        while let value = try await queue.next() { received.append(value) }
        try await sent.value
        #expect(received == Array(1...50))
    }

    @Test("an element taken from the queue is released once its receiver drops it, not when the queue compacts")
    func releasesTaken() async throws {
        final class Segment: Sendable {}
        let queue = BoundedQueue<Segment>(capacity: 2)
        weak var first: Segment?
        do {
            let segment = Segment()
            first = segment
            try await queue.send(segment)
            try await queue.send(Segment())
        }
        do {
            let taken = try await queue.next()
            #expect(taken === first)
        }
        // A parallel restore sends a few dozen 2 MiB segments through a queue of 2: each kept until the queue
        // compacted after 64 took the whole dump's worth of memory.
        #expect(first == nil)
        #expect(try await queue.next() != nil)
    }

    @Test("a failure reaches waiting senders and receivers, and later calls")
    func failure() async throws {
        struct Boom: Error {}
        let queue = BoundedQueue<Int>(capacity: 1)
        try await queue.send(1)
        let blocked = Task { try await queue.send(2) }
        let receiver = BoundedQueue<Int>(capacity: 1)
        let waiting = Task { try await receiver.next() }
        queue.fail(Boom())
        receiver.fail(Boom())
        await #expect(throws: Boom.self) { try await blocked.value }
        await #expect(throws: Boom.self) { try await waiting.value }
        await #expect(throws: Boom.self) { try await queue.next() }
        await #expect(throws: Boom.self) { try await queue.send(3) }
    }
}

/// The plan's `limits:` reach the tools a source starts.
struct ChildProcessPriorityTests {
    @Test("a child started with a priority runs under nice at that niceness; without one it keeps the parent's")
    func niceness() async throws {
        func niceness(_ priority: ChildProcessPriority) async throws -> Int? {
            // Field 19 of /proc/self/stat is the niceness of the process reading it.
            let child = try ChildProcess(
                executable: "/bin/sh", arguments: ["-c", "cut -d' ' -f19 /proc/self/stat"],
                environment: ["PATH": "/usr/bin:/bin"], priority: priority)
            let output = try await child.collectOutput() ?? []
            #expect(await child.waitForExit() == 0)
            return Int(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let parent = try #require(try await niceness(.normal))
        let lowered = try await niceness(ChildProcessPriority(niceness: 7, searchPath: ["/usr/bin", "/bin"]))
        #expect(lowered == min(parent + 7, 19))
    }
}
