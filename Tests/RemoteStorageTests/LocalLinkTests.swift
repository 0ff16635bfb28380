import Crypto
import Foundation
import Testing

@testable import RemoteStorage

private let secret = Array("0123456789abcdef0123456789abcdef-test-secret".utf8)
private let now = Date(timeIntervalSince1970: 1_795_600_000)

private func signer(secret: [UInt8] = secret) throws -> LocalLinkSigner {
    try LocalLinkSigner(secret: secret, baseURL: try #require(URL(string: "https://files.example.com/download")))
}

/// Replaces the value of one query parameter in a link's raw query.
private func replacing(_ name: String, with value: String, in url: URL) throws -> URL {
    var components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
    let query = (components.percentEncodedQuery ?? "").split(separator: "&").map { pair -> String in
        pair.hasPrefix(name + "=") ? name + "=" + value : String(pair)
    }
    components.percentEncodedQuery = query.joined(separator: "&")
    return try #require(components.url)
}

@Suite("LocalLinkSigner: signing and verifying links")
struct LocalLinkSignerTests {
    @Test(
        "a link has the documented form and verifies to its key",
        arguments: [
            "plan/src/2026/11/25/a.tar.gz", "exports/with space/ファイル+&=.tar.gz",
        ])
    func roundTrip(key: String) throws {
        let link = try signer().link(for: key, lifetime: 86_400, now: now)
        let text = link.absoluteString
        #expect(text.hasPrefix("https://files.example.com/download?key="))
        #expect(text.contains("&expires=1795686400&signature="))
        #expect(!text.contains(" "))
        #expect(try signer().verify(link, now: now) == key)
        #expect(try signer().verify(link, now: now.addingTimeInterval(86_399)) == key)
        let query = try #require(URLComponents(url: link, resolvingAgainstBaseURL: false)?.percentEncodedQuery)
        #expect(try signer().verify(query: query, now: now) == key)
        // The decoded parameters a web framework hands over verify the same way.
        let items = try #require(URLComponents(url: link, resolvingAgainstBaseURL: false)?.queryItems)
        let parameters = Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.value ?? "") })
        #expect(try signer().verify(parameters: parameters, now: now) == key)
    }

    @Test("an expired link is refused as expired (410)")
    func expired() throws {
        let link = try signer().link(for: "a.bin", lifetime: 300, now: now)
        let error = #expect(throws: LinkError.self) { _ = try signer().verify(link, now: now.addingTimeInterval(300)) }
        #expect(error?.code == .expired)
        #expect(error?.suggestedHTTPStatus == 410)
    }

    @Test("tampering with the key, the expiry or the signature is refused")
    func tampering() throws {
        let link = try signer().link(for: "exports/a.tar.gz", lifetime: 300, now: now)
        let tampered = [
            try replacing("key", with: "exports/b.tar.gz", in: link),
            try replacing("expires", with: "1895686400", in: link),
            try replacing("signature", with: String(repeating: "A", count: 43), in: link),
        ]
        for url in tampered {
            let error = #expect(throws: LinkError.self) { _ = try signer().verify(url, now: now) }
            #expect(error?.code == .invalidSignature)
            #expect(error?.suggestedHTTPStatus == 403)
        }
    }

    @Test("a link signed with another secret is refused")
    func wrongSecret() throws {
        let link = try signer(secret: Array(repeating: 0x41, count: 32)).link(for: "a.bin", lifetime: 300, now: now)
        let error = #expect(throws: LinkError.self) { _ = try signer().verify(link, now: now) }
        #expect(error?.code == .invalidSignature)
    }

    @Test(
        "missing, repeated or malformed parameters are refused as malformed",
        arguments: [
            "key=a.bin&expires=1&signature=", "key=a.bin&signature=abc", "expires=1&signature=abc",
            "key=a.bin&key=b.bin&expires=1795686400&signature=abc", "key=a.bin&expires=soon&signature=abc",
            "key=a.bin&expires=1795686400&signature=not*base64",
        ])
    func malformed(query: String) throws {
        let error = #expect(throws: LinkError.self) { _ = try signer().verify(query: query, now: now) }
        #expect(error?.code == .malformed)
    }

    @Test("keys that could leave the root are refused, even correctly signed", arguments: ["../etc/passwd", "/etc/passwd", "a/../../b"])
    func traversal(key: String) throws {
        // Signing refuses such keys; a link forged with the right secret is refused on verification.
        #expect(throws: StorageError.self) { _ = try signer().link(for: key, lifetime: 300, now: now) }
        let forged = try LinkForgery.link(for: key, expires: 1_795_686_400, secret: secret)
        let error = #expect(throws: LinkError.self) { _ = try signer().verify(query: forged, now: now) }
        #expect(error?.code == .forbiddenKey)
    }

    @Test("short secrets are refused without the secret")
    func configuration() throws {
        let error = #expect(throws: StorageError.self) { _ = try signer(secret: Array(repeating: 1, count: 31)) }
        #expect(error?.code == .configuration)
        #expect(error.map { "\($0)" }?.contains(String(repeating: "\u{1}", count: 31)) == false)
        #expect(throws: StorageError.self) {
            _ = try LocalLinkSigner(secret: secret, baseURL: try #require(URL(string: "ftp://h/d")))
        }
    }

    @Test("parameters already in the base URL are kept")
    func baseQuery() throws {
        let signer = try LocalLinkSigner(secret: secret, baseURL: try #require(URL(string: "https://h/d?tenant=7")))
        let link = try signer.link(for: "a.bin", lifetime: 60, now: now)
        #expect(link.absoluteString.hasPrefix("https://h/d?tenant=7&key=a.bin&expires="))
        #expect(try signer.verify(link, now: now) == "a.bin")
    }
}

/// Builds a correctly signed query for any key, bypassing the signer's own key check, the way an
/// attacker holding the secret (or a bug) could.
enum LinkForgery {
    static func link(for key: String, expires: Int64, secret: [UInt8]) throws -> String {
        let mac = HMACForTests.sha256(key: secret, message: Array("backupkit-link-v1\n\(key)\n\(expires)".utf8))
        return "key=" + LocalLinkSigner.percentEncode(key) + "&expires=\(expires)&signature=" + LocalLinkSigner.base64URL(mac)
    }
}

@Suite("SignedLocalStorage: links for local files and the download check")
struct SignedLocalStorageTests {
    private func makeStorage(_ folder: String) throws -> SignedLocalStorage {
        SignedLocalStorage(storage: try LocalStorage(root: folder + "/root", readChunkSize: 4096), signer: try signer())
    }

    @Test("a link to a stored file verifies and streams its bytes")
    func download() async throws {
        try await withTemporaryFolder { folder in
            let storage = try makeStorage(folder)
            let bytes = sampleBytes(count: 10_000)
            try await storage.put(bytes, at: "exports/app_1.tar.gz")
            let link = try storage.downloadLink(for: "exports/app_1.tar.gz", lifetime: 86_400, now: now)
            #expect(try await storage.verifiedKey(for: link, now: now) == "exports/app_1.tar.gz")
            let download = try await storage.download(link, now: now)
            #expect(download.key == "exports/app_1.tar.gz")
            #expect(download.sizeBytes == 10_000)
            #expect(try await download.body.collect() == bytes)
        }
    }

    @Test("a symbolic link inside the root that points outside is refused")
    func symlinkEscape() async throws {
        try await withTemporaryFolder { folder in
            let storage = try makeStorage(folder)
            try Array("outside secret".utf8).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: folder + "/outside.txt")) }
            try FileManager.default.createDirectory(atPath: folder + "/elsewhere", withIntermediateDirectories: true)
            try Data([1]).write(to: URL(fileURLWithPath: folder + "/elsewhere/inner.bin"))
            try FileManager.default.createSymbolicLink(atPath: folder + "/root/escape.txt", withDestinationPath: folder + "/outside.txt")
            try FileManager.default.createSymbolicLink(atPath: folder + "/root/dir", withDestinationPath: folder + "/elsewhere")
            for key in ["escape.txt", "dir/inner.bin"] {
                let link = try storage.downloadLink(for: key, lifetime: 300, now: now)
                let error = await #expect(throws: LinkError.self) { _ = try await storage.download(link, now: now) }
                #expect(error?.code == .forbiddenKey)
            }
            // A symbolic link that stays inside the root is fine.
            try await storage.put([9, 9], at: "real.bin")
            try FileManager.default.createSymbolicLink(atPath: folder + "/root/alias.bin", withDestinationPath: folder + "/root/real.bin")
            let inside = try storage.downloadLink(for: "alias.bin", lifetime: 300, now: now)
            #expect(try await storage.download(inside, now: now).body.collect() == [9, 9])
        }
    }

    @Test("a valid link to a missing file is notFound; a folder is not a file")
    func missing() async throws {
        try await withTemporaryFolder { folder in
            let storage = try makeStorage(folder)
            try await storage.put([1], at: "d/f.bin")
            for key in ["nope.bin", "d"] {
                let link = try storage.downloadLink(for: key, lifetime: 300, now: now)
                let error = await #expect(throws: StorageError.self) { _ = try await storage.download(link, now: now) }
                #expect(error?.code == .notFound)
            }
        }
    }
}

/// HMAC-SHA256 for the forgery helper (the test target links swift-crypto).
enum HMACForTests {
    static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
