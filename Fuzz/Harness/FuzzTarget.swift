import ArtifactFormat
import BackupModels
import BackupPlans
import BackupScheduler
import BackupSources
import Dispatch
import Foundation
import RemoteStorage
import SnapshotClient

/// One parser under fuzzing: its name (the folder of its corpus) and the function that feeds it one input.
///
/// A function never fails on bad input: parsers are expected to throw, and the error is dropped. What a
/// fuzzer reports is a trap (overflow, out-of-range index, `fatalError`), a memory error, a hang or an
/// unbounded allocation.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable ([UInt8]) -> Void

    /// Every target, in the order scripts run them.
    static let all: [FuzzTarget] = [tar, frame, manifest, fileIndex, plan, cron, s3XML, webDAV, esResponse]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// The key the encrypted-frame target decrypts with: bytes 0...31. Test data only; the corpus's
    /// frame seeds are encrypted with it (`backupkit-fuzz frame-seed`).
    static let frameKey: EncryptionKey = {
        do { return try EncryptionKey(bytes: (0..<32).map { UInt8($0) }) } catch { fatalError("\(error)") }
    }()

    /// `TarReader`: every entry header and all content, with the stream cut into chunks whose size depends
    /// on the input (so headers and pax records straddle chunk boundaries), each path through the extractor's
    /// path-safety checks; then `drain()`, which skips contents unread.
    static let tar = FuzzTarget(name: "tar", summary: "TarReader (ustar, pax, GNU long names) and restore path checks") {
        bytes in
        let chunkSize = 1 + Int(bytes.last ?? 0) * 13
        blocking {
            let reader = TarReader(ByteStream(bytes: bytes, chunkSize: chunkSize))
            var entries = 0
            while entries < 100_000, let header = try await reader.nextEntry() {
                entries += 1
                _ = try? TarExtractor.safeRelativePath(header.path)
                _ = TarExtractor.linkStaysInside(header.path, target: header.linkTarget)
                while try await reader.readContent(maxChunk: 4096) != nil {}
            }
        }
        // And as `verifyPayload` reads it: headers only, skipping every entry's content.
        blocking { try await TarReader(ByteStream(bytes: bytes, chunkSize: chunkSize)).drain() }
    }

    /// `FrameDecryptor` fed in input-dependent chunks, and the key-text decoder.
    static let frame = FuzzTarget(name: "frame", summary: "FrameDecryptor (aes-256-gcm-framed-v1) and key text decoding") {
        bytes in
        _ = EncryptionKey.decode(bytes[...])
        let decryptor = FrameDecryptor(key: frameKey)
        let step = 1 + Int(bytes.last ?? 0) * 7
        var offset = 0
        do {
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                _ = try decryptor.transform(Array(bytes[offset..<end]))
                offset = end
            }
            _ = try decryptor.finish()
        } catch {}
    }

    /// `Manifest.decode`, and a manifest it accepts written again with `jsonData()` and read back.
    static let manifest = FuzzTarget(name: "manifest", summary: "Manifest.decode and jsonData") { bytes in
        guard let manifest = try? Manifest.decode(Data(bytes)) else { return }
        if let again = try? manifest.jsonData() { _ = try? Manifest.decode(again) }
    }

    /// `FileIndexReader` over the input cut into pieces (the first byte picks their size), and the promise of
    /// `FileIndex`: the entries and deletions it accepts, written again as lines, read back the same. A broken
    /// promise traps, so the fuzzer reports it.
    static let fileIndex = FuzzTarget(name: "file-index", summary: "FileIndexReader and FileIndex.lines round trip") { bytes in
        guard let first = bytes.first else { return }
        let step = Int(first) + 1
        var reader = FileIndexReader()
        var offset = 1
        do {
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                try reader.read(Array(bytes[offset..<end]))
                offset = end
            }
            let entries = try reader.finish()
            var next = 0
            var text: [UInt8] = []
            while let chunk = FileIndex.lines(deleted: reader.deleted, entries: entries, from: &next, size: 4096) { text += chunk }
            var again = FileIndexReader()
            try again.read(text)
            guard try again.finish() == entries, again.deleted == reader.deleted else {
                fatalError("a file index read back differs from what was written")
            }
        } catch {}
    }

    /// `PlanLoader.parse`, and the promise of PlanReference.md: an accepted plan rendered back to YAML
    /// (`PlanLoader.yaml(for:)`) parses to the same plan. A broken promise traps, so the fuzzer reports it.
    static let plan = FuzzTarget(name: "plan", summary: "PlanLoader.parse (YAML plans) and yaml(for:) round trip") { bytes in
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        guard let plan = try? PlanLoader.parse(yaml: text, origin: "fuzz.yaml", workingDirectory: "/nonexistent/fuzz")
        else { return }
        let rendered = PlanLoader.yaml(for: plan)
        do {
            let again = try PlanLoader.parse(yaml: rendered, origin: "rendered.yaml", workingDirectory: "/nonexistent/fuzz")
            guard again == plan else { fatalError("yaml(for:) of an accepted plan parses to another plan:\n\(rendered)") }
        } catch {
            fatalError("yaml(for:) of an accepted plan does not parse: \(error)\n\(rendered)")
        }
    }

    /// Zones with daylight-saving gaps and folds of 1 h and 30 min, and half-hour offsets.
    private static let cronZones: [TimeZone] = ["UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Europe/London"]
        .compactMap { TimeZone(identifier: $0) }

    /// `CronSchedule`: an accepted expression's next runs after an input-dependent instant, in a zone the input
    /// picks.
    static let cron = FuzzTarget(name: "cron", summary: "CronSchedule parsing and next(after:)") { bytes in
        let text = String(decoding: bytes, as: UTF8.self)
        let zone = cronZones[bytes.count % cronZones.count]
        guard let schedule = try? CronSchedule(text, timeZone: zone) else { return }
        // The normalized text is itself an expression for the same schedule (equality compares only the
        // text, so compare the fields' masks).
        guard let again = try? CronSchedule(schedule.description, timeZone: zone),
            [again.minutes, again.hours, again.days, again.months, again.weekdays]
                == [schedule.minutes, schedule.hours, schedule.days, schedule.months, schedule.weekdays],
            again.dayFieldsCombineWithOr == schedule.dayFieldsCombineWithOr
        else {
            fatalError("the normalized expression '\(schedule.description)' of '\(text)' is another schedule")
        }
        // 2026-03-08 (a spring-forward day in New York) plus up to a year, from the input's bytes.
        let start = 1_772_928_000 + Double(bytes.reduce(0) { ($0 &* 31 &+ Int($1)) % 31_536_000 })
        _ = schedule.next(4, after: Date(timeIntervalSince1970: start))
    }

    /// The S3 XML reader, the `ListObjectsV2` page built from its tree, and every element's text read as an
    /// S3 timestamp.
    static let s3XML = FuzzTarget(name: "s3-xml", summary: "S3XMLElement.parse, ListObjectsV2 pages, S3 timestamps") { bytes in
        guard let root = try? S3XMLElement.parse(bytes) else { return }
        _ = S3Storage.listPage(from: root, prefix: "bklog/")
        var pending = [root]
        var visited = 0
        while let element = pending.popLast(), visited < 10_000 {
            visited += 1
            _ = S3Timestamp.parseISO8601(element.text)
            pending += element.children
        }
    }

    /// The WebDAV `PROPFIND` multistatus parser (Foundation's `XMLParser` under it).
    static let webDAV = FuzzTarget(name: "webdav", summary: "WebDAVMultistatus (PROPFIND 207 answers)") { bytes in
        _ = try? WebDAVMultistatus(parsing: bytes)
    }

    /// Every decoder `SnapshotClient` runs on a cluster's answer, and the error mapping of non-2xx bodies.
    static let esResponse = FuzzTarget(name: "es-response", summary: "SnapshotClient response decoding and error bodies") {
        bytes in
        let data = Data(bytes)
        _ = SnapshotClient.clusterError(status: 500, body: data, action: "fuzz", request: nil)
        guard let json = JSONValue.parse(data) else { return }
        _ = try? ClusterInfo(json: json)
        _ = try? SnapshotList(json: json, repository: "fuzz_repo")
        if let single = json["snapshot"] { _ = try? SnapshotInfo(json: single, repository: nil) }
        _ = try? SnapshotStatus.list(from: json, repository: "fuzz_repo")
        _ = try? IndexSummary.list(from: json)
        _ = try? ShardSummary.list(from: json)
        _ = try? Repository.list(from: json)
        if let allocation = try? DiskAllocation.decode(from: json) { _ = allocation.usedFraction }
        var facts: [String: IndexFacts] = [:]
        SnapshotClient.readFacts(fromSearch: json, into: &facts)
        for fact in facts.values { _ = fact.timeRange }
    }
}

/// Runs `body` to completion from synchronous code (libFuzzer calls targets on its own thread).
func blocking(_ body: @escaping @Sendable () async throws -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        _ = try? await body()
        done.signal()
    }
    done.wait()
}
