import BackupModels
import Foundation
import Testing

@Suite("Records, manifests and archive models")
struct RecordAndManifestTests {
    let artifact = ArtifactDescriptor(
        key: "p/s/2026/11/25/p-s-20261125-013000F.tar.zst", sizeBytes: 1234,
        sha256: String(repeating: "ab", count: 32), compression: .zstd, encryptionKeyID: "0123456789abcdef", uncompressedBytes: 9999)

    @Test("state transitions follow the life cycle")
    func transitions() {
        let allowed: Set<String> = [
            "running>committed", "running>failed", "committed>expired", "failed>expired", "committed>missing",
            "missing>committed", "missing>expired",
        ]
        for from in BackupState.allCases {
            for to in BackupState.allCases {
                #expect(from.canTransition(to: to) == allowed.contains("\(from.rawValue)>\(to.rawValue)"), "\(from) → \(to)")
            }
        }
    }

    @Test("an artifact is complete only with a size and a well-formed SHA-256")
    func completeness() {
        #expect(artifact.isComplete)
        var bad = artifact
        bad.sha256 = "xyz"
        #expect(!bad.isComplete)
        bad = artifact
        bad.sizeBytes = -1
        #expect(!bad.isComplete)
        bad = artifact
        bad.sha256 = String(repeating: "AB", count: 32)
        #expect(!bad.isComplete, "uppercase hex is not the canonical form")
    }

    @Test("a manifest is snake_case JSON that round-trips")
    func manifestJSON() throws {
        let started = try #require(ISO8601.date(from: "2026-11-24T17:30:00Z"))
        let manifest = Manifest(
            backupID: BackupID(rawValue: "00000000000000aa"), plan: "p", source: "s", sourceType: "files", kind: .full,
            label: try BackupLabel("20261125-013000F"), startedAt: started, finishedAt: started.addingTimeInterval(2.5),
            host: "h", artifacts: [artifact],
            encryption: EncryptionInfo(algorithm: "aes-256-gcm-framed-v1", keyID: "0123456789abcdef", frameSize: 65536),
            position: SourcePosition(binlogFile: "mysql-bin.000042", binlogPosition: 154, gtidSet: "0-1-100"),
            files: [FileEntry(path: "config/app.yaml", type: .file, size: 10, mtimeNanoseconds: 1_700_000_000_123_456_789, inode: 7)],
            deletedPaths: ["config/old.yaml"], stats: BackupStats(filesTotal: 1, filesStored: 1, bytesRead: 10, bytesStored: 1234))
        let data = try manifest.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        for key in [
            "\"backup_id\"", "\"size_bytes\"", "\"encryption_key_id\"", "\"binlog_position\"", "\"mtime_ns\"", "\"deleted_paths\"",
            "\"format_version\"",
        ] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(text.contains("\"started_at\":\"2026-11-24T17:30:00.000Z\""))
        #expect(try Manifest.decode(data) == manifest)
    }

    @Test("a manifest keeps the record's tags and describes its committed record; older manifests have no tags")
    func manifestRecord() throws {
        let started = try #require(ISO8601.date(from: "2026-11-24T17:30:00Z"))
        let position = SourcePosition(binlogFile: "mysql-bin.000042", binlogPosition: 154)
        let manifest = Manifest(
            backupID: BackupID(rawValue: "00000000000000bb"), plan: "p", source: "s", sourceType: "mysql", kind: .incremental,
            label: try BackupLabel("20261125-013000F_20261125-020000I"), parentID: BackupID(rawValue: "00000000000000aa"),
            startedAt: started, finishedAt: started.addingTimeInterval(3), host: "h", artifacts: [artifact], position: position,
            tags: ["manual", "pre-upgrade"])
        let data = try manifest.jsonData()
        #expect(String(decoding: data, as: UTF8.self).contains("\"tags\":[\"manual\",\"pre-upgrade\"]"))
        let record = try Manifest.decode(data).committedRecord
        #expect(
            record
                == BackupRecord(
                    id: manifest.backupID, plan: "p", source: "s", kind: .incremental, parentID: manifest.parentID,
                    label: manifest.label, state: .committed, startedAt: started, finishedAt: started.addingTimeInterval(3),
                    artifacts: [artifact], position: position, tags: ["manual", "pre-upgrade"], host: "h"))
        var old = manifest
        old.tags = nil
        let oldText = String(decoding: try old.jsonData(), as: UTF8.self)
        #expect(!oldText.contains("\"tags\""))
        #expect(try Manifest.decode(Data(oldText.utf8)).committedRecord.tags == [])
    }

    @Test("a manifest from a newer format is refused")
    func newerManifest() throws {
        let started = Date(timeIntervalSince1970: 0)
        var manifest = Manifest(
            backupID: BackupID(rawValue: "00000000000000aa"), plan: "p", source: "s", sourceType: "files", kind: .full,
            label: try BackupLabel("19700101-000000F"), startedAt: started, finishedAt: started, host: "h", artifacts: [])
        manifest.formatVersion = Manifest.currentFormatVersion + 1
        #expect(throws: ModelError.self) { try Manifest.decode(try manifest.jsonData()) }
    }

    @Test("records round-trip through JSON")
    func recordJSON() throws {
        let record = BackupRecord(
            plan: "p", source: "s", kind: .incremental, parentID: BackupID(rawValue: "00000000000000ab"),
            label: try BackupLabel("20261125-013000F_20261125-020000I"), state: .committed,
            startedAt: Date(timeIntervalSince1970: 1_764_000_000), finishedAt: Date(timeIntervalSince1970: 1_764_000_010),
            artifacts: [artifact], tags: ["manual"], host: "h")
        let data = try JSONCoding.encoder().encode(record)
        #expect(try JSONCoding.decoder().decode(BackupRecord.self, from: data) == record)
        #expect(record.sizeBytes == 1234)
    }

    @Test("ids are 16 lowercase hex characters and differ")
    func ids() {
        let ids = (0..<100).map { _ in BackupID.random().rawValue }
        #expect(Set(ids).count == 100)
        #expect(ids.allSatisfy { $0.count == 16 && $0.allSatisfy { "0123456789abcdef".contains($0) } })
    }

    @Test("snapshot names follow the platform's convention in the config's zone")
    func snapshotNames() throws {
        let config = ArchiveConfig(
            instanceID: "12", instanceType: .indexSet, businessID: "2", tableID: "2_bklog.Nginx_Access",
            repository: "archive", snapshotDays: 30, timeZoneIdentifier: "Asia/Shanghai", createdAt: Date())
        let date = try #require(ISO8601.date(from: "2026-11-24T17:30:00Z"))
        #expect(config.snapshotName(for: date) == "2_bklog_nginx_access_snapshot_20261125")
        try config.validate()
        var bad = config
        bad.snapshotDays = -1
        #expect { try bad.validate() } throws: { ($0 as? ModelError)?.subject == "snapshot_days" }
        bad = config
        bad.timeZoneIdentifier = "Mars/Olympus"
        #expect { try bad.validate() } throws: { ($0 as? ModelError)?.subject == "time_zone" }
    }

    @Test("archived-index overlap is inclusive at both ends")
    func overlap() {
        let start = Date(timeIntervalSince1970: 1000)
        let end = Date(timeIntervalSince1970: 2000)
        let index = ArchivedIndex(
            archiveConfigID: "c", tableID: "t", repository: "r", snapshot: "s", index: "i", docCount: 1, storeSizeBytes: 1,
            startTime: start, endTime: end, archivedAt: end)
        #expect(index.overlaps(start: end, end: end.addingTimeInterval(10)))
        #expect(index.overlaps(start: start.addingTimeInterval(-10), end: start))
        #expect(!index.overlaps(start: end.addingTimeInterval(1), end: end.addingTimeInterval(10)))
        #expect(!index.overlaps(start: start.addingTimeInterval(-10), end: start.addingTimeInterval(-1)))
    }

    @Test("restore requests validate their range and expiry")
    func restoreValidation() {
        let now = Date(timeIntervalSince1970: 10_000)
        let good = RestoreConfig(
            businessID: "2", tableID: "t", startTime: Date(timeIntervalSince1970: 0), endTime: Date(timeIntervalSince1970: 100),
            expiresAt: now.addingTimeInterval(60), createdAt: now)
        #expect(throws: Never.self) { try good.validate(now: now) }
        var reversed = good
        reversed.startTime = Date(timeIntervalSince1970: 200)
        #expect { try reversed.validate(now: now) } throws: { ($0 as? ModelError)?.subject == "start_time" }
        var expired = good
        expired.expiresAt = now.addingTimeInterval(-1)
        #expect { try expired.validate(now: now) } throws: { ($0 as? ModelError)?.subject == "expires_at" }
    }

    @Test("retention policies validate ranges and zones, naming the key")
    func policyValidation() {
        #expect(throws: Never.self) { try RetentionPolicy(keepDaily: -1, timeZoneIdentifier: "Asia/Shanghai").validate() }
        #expect { try RetentionPolicy(keepDaily: -2).validate() } throws: { ($0 as? ModelError)?.subject == "retention.keep_daily" }
        #expect { try RetentionPolicy(maxAgeDays: -1).validate() } throws: { ($0 as? ModelError)?.subject == "retention.max_age_days" }
        #expect { try RetentionPolicy(timeZoneIdentifier: "Nowhere/City").validate() } throws: {
            ($0 as? ModelError)?.subject == "retention.time_zone"
        }
    }
}

@Suite("Manifest file index encoding")
struct ManifestFileIndexTests {
    @Test("paths with quotes, backslashes, control characters and non-ASCII text survive the direct writer")
    func hostilePaths() throws {
        let paths = ["plain/file", "quote\"d", "back\\slash", "new\nline", "tab\there", "bell\u{7}", "ü/日本語/🙂", "cr\rlf", "\u{1F}"]
        let files = paths.enumerated().map { index, path in
            FileEntry(
                path: path, type: index % 3 == 0 ? .symlink : .file, size: Int64(index) << 33, mtimeNanoseconds: -1,
                inode: UInt64.max, mode: 0o7777, uid: UInt32.max, gid: 0, linkTarget: index % 3 == 0 ? "../\(path)" : nil,
                sha256: index % 2 == 0 ? String(repeating: "0f", count: 32) : nil)
        }
        let manifest = Manifest(
            backupID: BackupID(rawValue: "00000000000000aa"), plan: "p", source: "s", sourceType: "files", kind: .full,
            label: try BackupLabel("20261125-013000F"), startedAt: Date(timeIntervalSince1970: 1),
            finishedAt: Date(timeIntervalSince1970: 2),
            host: "h", artifacts: [], files: files, deletedPaths: ["gone\""])
        let data = try manifest.jsonData()
        #expect(try Manifest.decode(data) == manifest)
        // It is plain JSON any parser reads.
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["files"] as? [[String: Any]])?.count == paths.count)
    }

    @Test("a manifest without a file index has no files key")
    func noIndex() throws {
        let manifest = Manifest(
            backupID: BackupID(rawValue: "00000000000000aa"), plan: "p", source: "s", sourceType: "sqlite", kind: .full,
            label: try BackupLabel("20261125-013000F"), startedAt: Date(timeIntervalSince1970: 1),
            finishedAt: Date(timeIntervalSince1970: 2),
            host: "h", artifacts: [])
        let data = try manifest.jsonData()
        #expect(!String(decoding: data, as: UTF8.self).contains("\"files\""))
        #expect(try Manifest.decode(data) == manifest)
    }
}
