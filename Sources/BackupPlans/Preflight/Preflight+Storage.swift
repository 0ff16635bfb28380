import AsyncHTTPClient
import BackupEngine
import BackupModels
import Foundation
import NIOCore
import NIOHTTP1
import RemoteStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Preflight {
    /// Builds the storage, then: reachable, credentials accepted, a probe object written create-only,
    /// read back, listed and deleted under `.check/`; clock skew against the server's `Date`; free space
    /// for local storage; download links where the storage issues them.
    func checkStorage(records: [BackupRecord], into results: inout CheckList) async {
        let storage: any Storage
        do {
            storage = try Engine.makeStorage(plan.storage, logger: logger, environment: environment, httpClient: httpClient)
        } catch {
            results.failed(
                "storage", "configuration", "\(error)",
                fix: "set the setting or environment variable the message names (see Documentation/PlanReference.md)")
            return
        }
        results.ok("storage", "configuration", "\(plan.storage.typeName) storage at \(Self.location(of: plan.storage))")

        // Reachable and credentials: one listing of the probe folder.
        do {
            // A storage retries an unanswered request for minutes; a check says so within its deadline.
            try await Self.within(reachDeadline, "the storage did not answer a listing within \(reachDeadline)") {
                _ = try await storage.list(prefix: Self.probeFolder, after: nil, limit: 1)
            }
            results.ok("storage", "reachable", "the storage answered a listing")
            if case .local = plan.storage {
                results.ok("storage", "location", "the folder can be listed")
            } else {
                results.ok("storage", "credentials", "the credentials were accepted")
                results.ok("storage", "location", "the \(Self.containerName(plan.storage)) exists")
            }
        } catch let error as StorageError where error.code == .permissionDenied {
            results.ok("storage", "reachable", "the storage answered (and refused the listing)")
            results.failed("storage", "credentials", error.description, fix: Self.credentialsFix(plan.storage))
            return
        } catch let error as StorageError where error.code == .configuration || error.code == .notFound {
            results.ok("storage", "reachable", "the storage answered")
            results.failed("storage", "location", error.description, fix: Self.locationFix(plan.storage))
            return
        } catch {
            results.failed("storage", "reachable", "\(error)", fix: Self.reachFix(plan.storage))
            return
        }
        await checkClockSkew(storage, into: &results)
        await probe(storage, into: &results)
        checkFreeSpace(records: records, into: &results)
    }

    /// Writes, reads, lists and deletes a probe object; where the storage issues links, fetches one.
    private func probe(_ storage: any Storage, into results: inout CheckList) async {
        let key = Self.probeFolder + "\(plan.name)-\(UUID().uuidString.lowercased()).probe"
        let bytes = Array("backup check probe \(ISO8601.string(from: now()))\n".utf8)
        do {
            _ = try await storage.put(bytes, at: key, options: .createOnly)
            results.ok("storage", "write", "wrote \(key) (create-only)")
        } catch {
            results.failed("storage", "write", "cannot write \(key): \(error)", fix: Self.writeFix(plan.storage))
            return
        }
        do {
            let read = try await storage.getBytes(key, limit: 1 << 20)
            if read == bytes {
                results.ok("storage", "read", "read \(key) back, \(read.count) bytes, identical")
            } else {
                results.failed(
                    "storage", "read", "read \(key) back as \(read.count) bytes that differ from the \(bytes.count) written",
                    fix: "check for a proxy or gateway that rewrites objects between this host and the storage")
            }
        } catch {
            results.failed("storage", "read", "cannot read \(key) back: \(error)", fix: Self.readFix(plan.storage))
        }
        do {
            var found = false
            for try await object in storage.listAll(prefix: Self.probeFolder) where object.key == key {
                found = true
                break
            }
            if found {
                results.ok("storage", "list", "the listing of \(Self.probeFolder) shows \(key)")
            } else {
                results.failed(
                    "storage", "list", "the listing of \(Self.probeFolder) does not show \(key), just written",
                    fix: "use a storage whose listings show new objects (retention and recovery rely on them)")
            }
        } catch {
            results.failed("storage", "list", "cannot list \(Self.probeFolder): \(error)", fix: Self.readFix(plan.storage))
        }
        await checkLinks(storage, key: key, bytes: bytes, into: &results)
        do {
            try await storage.delete(key)
            if try await storage.head(key) == nil {
                results.ok("storage", "delete", "deleted \(key)")
            } else {
                results.failed(
                    "storage", "delete", "\(key) is still there after a delete",
                    fix: "allow deletes (retention removes expired backups this way)")
            }
        } catch {
            results.failed("storage", "delete", "cannot delete \(key): \(error)", fix: Self.deleteFix(plan.storage))
        }
    }

    /// Where the storage issues download links (signed local links, presigned S3 URLs), issues one for
    /// the probe and checks it: a local link verifies with the signer, an S3 link downloads the probe.
    private func checkLinks(_ storage: any Storage, key: String, bytes: [UInt8], into results: inout CheckList) async {
        guard let issuer = storage as? any DownloadLinkIssuing else { return }
        let link: URL
        do {
            link = try issuer.downloadLink(for: key, lifetime: 300, now: now())
        } catch {
            results.failed("storage", "links", "cannot sign a link: \(error)", fix: Self.linkFix(plan.storage))
            return
        }
        if let signed = storage as? SignedLocalStorage {
            do {
                let verified = try await signed.verifiedKey(for: link, now: now())
                if verified == key {
                    results.ok("storage", "links", "a signed link to the probe verifies")
                } else {
                    results.failed("storage", "links", "a signed link verified as another key", fix: Self.linkFix(plan.storage))
                }
            } catch {
                results.failed("storage", "links", "a link just signed does not verify: \(error)", fix: Self.linkFix(plan.storage))
            }
            return
        }
        do {
            var request = HTTPClientRequest(url: link.absoluteString)
            request.method = .GET
            let response = try await httpClient.execute(request, timeout: .seconds(15))
            let body = try await response.body.collect(upTo: 1 << 20)
            if response.status.code == 200, Array(body.readableBytesView) == bytes {
                results.ok("storage", "links", "a presigned link to the probe downloads it")
            } else {
                results.failed(
                    "storage", "links", "a presigned link to the probe answered HTTP \(response.status.code)",
                    fix: Self.linkFix(plan.storage))
            }
        } catch {
            results.failed(
                "storage", "links", "a presigned link to the probe could not be fetched: \(error)", fix: Self.linkFix(plan.storage))
        }
    }

    /// Compares this host's clock with the `Date` header of the storage server's answer.
    private func checkClockSkew(_ storage: any Storage, into results: inout CheckList) async {
        let url: URL
        let signs: Bool
        if let s3 = storage as? S3Storage {
            url = s3.endpoint.bucketURL
            signs = true
        } else if let http = storage as? HTTPStorage {
            url = http.baseURL
            signs = false
        } else {
            return
        }
        let serverDate: Date
        let sent = now()
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .HEAD
            let response = try await httpClient.execute(request, timeout: .seconds(15))
            _ = try? await response.body.collect(upTo: 1 << 16)
            guard let header = response.headers.first(name: "date"), let date = Self.httpDate(header) else {
                results.warning(
                    "storage", "clock_skew", "the server sent no Date header; the clocks could not be compared",
                    fix: "keep this host's clock synchronised with NTP (chrony or systemd-timesyncd)")
                return
            }
            serverDate = date
        } catch {
            results.warning(
                "storage", "clock_skew", "could not ask the server for its time: \(error)",
                fix: "keep this host's clock synchronised with NTP (chrony or systemd-timesyncd)")
            return
        }
        let skew = sent.timeIntervalSince(serverDate)
        let text = "this host's clock is \(Int(abs(skew).rounded())) s \(skew >= 0 ? "ahead of" : "behind") the server's"
        if signs, abs(skew) > maximumClockSkew {
            results.failed(
                "storage", "clock_skew", text + "; S3 refuses requests signed more than \(Int(maximumClockSkew / 60)) minutes off",
                fix: "synchronise this host's clock with NTP (chrony or systemd-timesyncd)")
        } else if abs(skew) > 60 {
            results.warning(
                "storage", "clock_skew", text, fix: "synchronise this host's clock with NTP (chrony or systemd-timesyncd)")
        } else {
            results.ok("storage", "clock_skew", text)
        }
    }

    /// Local storage: free space against the newest full backup of every source.
    private func checkFreeSpace(records: [BackupRecord], into results: inout CheckList) {
        guard case .local(let local) = plan.storage else { return }
        var info = statvfs()
        guard statvfs(local.path, &info) == 0 else { return }
        let free = Int64(info.f_bavail) * Int64(info.f_frsize)
        var needed: Int64 = 0
        var seen: Set<String> = []
        for record in records where record.kind == .full && !seen.contains(record.source) {
            seen.insert(record.source)
            needed += record.sizeBytes
        }
        let freeText = Self.bytes(free)
        guard needed > 0 else {
            results.ok("storage", "free_space", "\(freeText) free; no full backup yet to compare with")
            return
        }
        let neededText = Self.bytes(needed)
        if free < needed {
            results.failed(
                "storage", "free_space", "\(freeText) free in \(local.path); the last full backups took \(neededText)",
                fix: "free space or grow the file system, or tighten retention (backup prune) before the next full backup")
        } else if free < needed * 2 {
            results.warning(
                "storage", "free_space", "\(freeText) free in \(local.path); the last full backups took \(neededText)",
                fix: "free space or grow the file system: two more full backups would not fit")
        } else {
            results.ok("storage", "free_space", "\(freeText) free; the last full backups took \(neededText)")
        }
    }

    /// Runs `body`, cancelling it and throwing `message` when it has not finished after `deadline`.
    static func within(
        _ deadline: Duration, _ message: String, _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await body()
                return true
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return false
            }
            let finished = try await group.next() ?? false
            group.cancelAll()
            if !finished { throw StorageError(code: .io, key: nil, message: message) }
        }
    }

    /// `1.5 GiB`, `300 KiB`, `12 bytes`.
    static func bytes(_ count: Int64) -> String {
        let units: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (unit, size) in units where count >= size {
            return String(format: "%.1f", Double(count) / Double(size)) + " " + unit
        }
        return "\(count) bytes"
    }

    /// Parses an HTTP `Date` header (IMF-fixdate).
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// Where the storage is, without credentials.
    static func location(of config: StorageConfig) -> String {
        switch config {
        case .local(let local): return local.path
        case .http(let http): return StorageSettings.redacted(http.url)
        case .s3(let s3):
            let prefix = s3.prefix.isEmpty ? "" : "/\(s3.prefix)"
            return "\(s3.endpoint ?? s3.provider.rawValue) bucket \(s3.bucket)\(prefix)"
        }
    }

    static func containerName(_ config: StorageConfig) -> String {
        switch config {
        case .s3: "bucket"
        case .http: "repository folder"
        case .local: "folder"
        }
    }

    static func credentialsFix(_ config: StorageConfig) -> String {
        switch config {
        case .s3:
            "set access_key_env/secret_key_env (or credentials_file) to a key pair the bucket's policy allows to list, read, write and delete"
        case .http: "set user_env/password_env or token_env to credentials the repository accepts"
        case .local: "give this user access to the storage folder"
        }
    }

    static func locationFix(_ config: StorageConfig) -> String {
        switch config {
        case .s3: "create the bucket, or correct storage.bucket, storage.region and storage.endpoint"
        case .http: "create the repository folder, or correct storage.url"
        case .local: "create the folder, or correct storage.path"
        }
    }

    static func reachFix(_ config: StorageConfig) -> String {
        switch config {
        case .s3: "check storage.endpoint, DNS and firewalls between this host and the object store, and that it runs"
        case .http: "check storage.url, DNS and firewalls between this host and the repository, and that it runs"
        case .local: "mount the file system (for NFS: check the mount and the server), or correct storage.path"
        }
    }

    static func writeFix(_ config: StorageConfig) -> String {
        switch config {
        case .s3: "allow s3:PutObject on the bucket (and prefix) for these credentials; a read-only key cannot back up"
        case .http: "give the repository user write access (PUT, MKCOL) to the repository folder"
        case .local: "give this user write access to the storage folder (for NFS: check the export's options and root squashing)"
        }
    }

    static func readFix(_ config: StorageConfig) -> String {
        switch config {
        case .s3: "allow s3:GetObject and s3:ListBucket for these credentials (verify and restore read back)"
        case .http: "give the repository user read access (GET, PROPFIND)"
        case .local: "give this user read access to the storage folder"
        }
    }

    static func deleteFix(_ config: StorageConfig) -> String {
        switch config {
        case .s3: "allow s3:DeleteObject for these credentials (retention removes expired backups), and remove any object lock"
        case .http: "give the repository user DELETE access"
        case .local: "give this user write access to the storage folders"
        }
    }

    static func linkFix(_ config: StorageConfig) -> String {
        switch config {
        case .local: "set link_secret_env to a variable holding at least 32 bytes and link_base_url to the download endpoint"
        default: "check the credentials and the endpoint (or download_domain) links are signed for"
        }
    }
}
