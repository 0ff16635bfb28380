import BackupModels
import Crypto
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

#if canImport(Glibc)
    import Glibc
#endif

private let keyBytes: [UInt8] = (0..<32).map { UInt8(($0 * 37 + 11) & 0xFF) }
private let otherKeyBytes: [UInt8] = (0..<32).map { UInt8(($0 * 53 + 3) & 0xFF) }

private func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// Encrypts `plaintext` fed in chunks of `chunkSize`.
private func encrypt(_ plaintext: [UInt8], key: EncryptionKey, frameSize: Int = 1000, chunkSize: Int = 4096) async throws -> [UInt8] {
    try await ByteStream(bytes: plaintext, chunkSize: chunkSize).transformed { try FrameEncryptor(key: key, frameSize: frameSize) }
        .collect()
}

/// Decrypts `ciphertext` fed in chunks of `chunkSize`.
private func decrypt(_ ciphertext: [UInt8], key: EncryptionKey, chunkSize: Int = 4096) async throws -> [UInt8] {
    try await ByteStream(bytes: ciphertext, chunkSize: chunkSize).transformed { FrameDecryptor(key: key) }.collect()
}

/// Expects decryption of `ciphertext` to fail with `code`; returns the error.
@discardableResult
private func expectDecryptionError(
    _ code: CodecError.Code, _ ciphertext: [UInt8], key: EncryptionKey, sourceLocation: SourceLocation = #_sourceLocation
) async -> CodecError? {
    for chunkSize in [1 << 20, 333] {
        do {
            _ = try await decrypt(ciphertext, key: key, chunkSize: chunkSize)
            Issue.record("decryption succeeded, expected \(code)", sourceLocation: sourceLocation)
        } catch let error as CodecError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            if chunkSize == 333 { return error }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }
    return nil
}

@Suite("Encryption: framed AES-256-GCM round trips")
struct EncryptionRoundTripTests {
    @Test(
        "round trips at sizes and chunkings around frame boundaries",
        arguments: [0, 1, 999, 1000, 1001, 2000, 2001, 5555], [1, 7, 999, 1000, 1001, 4096]
    )
    func roundTrip(size: Int, chunkSize: Int) async throws {
        let key = try EncryptionKey(bytes: keyBytes)
        let plaintext = CodecFixture.randomBytes(count: size)
        let ciphertext = try await encrypt(plaintext, key: key, frameSize: 1000, chunkSize: chunkSize)
        // Header, then every frame with its tag; a multiple of the frame size ends with a full final frame.
        let frames = max(1, (size + 999) / 1000)
        #expect(ciphertext.count == 36 + size + 16 * frames)
        #expect(try await decrypt(ciphertext, key: key, chunkSize: chunkSize) == plaintext)
        #expect(try await decrypt(ciphertext, key: key, chunkSize: 1 << 20) == plaintext)
    }

    @Test("the header holds the magic, the frame size, the key id and a fresh nonce prefix")
    func header() async throws {
        let key = try EncryptionKey(bytes: keyBytes)
        let first = try await encrypt(Array("same".utf8), key: key, frameSize: 65536)
        let second = try await encrypt(Array("same".utf8), key: key, frameSize: 65536)
        #expect(Array(first[0..<8]) == Array("BKENC01\n".utf8))
        #expect(Array(first[8..<12]) == [0, 1, 0, 0])
        #expect(String(decoding: first[12..<28], as: UTF8.self) == key.keyID)
        #expect(first[28..<36] != second[28..<36])
        #expect(first != second)
    }

    @Test("compress → encrypt → decrypt → decompress through ByteStream.transformed", arguments: CompressionAlgorithm.allCases)
    func chain(algorithm: CompressionAlgorithm) async throws {
        let key = try EncryptionKey(bytes: keyBytes)
        let plaintext = CodecFixture.text(count: 3 << 20)
        let hashing = HashingTransformer()
        let stored = try await ByteStream(bytes: plaintext, chunkSize: 1 << 20)
            .compressed(CompressionSettings(algorithm: algorithm, threads: 2))
            .transformed { try FrameEncryptor(key: key) }
            .transformed { hashing }
            .collect()
        #expect(hashing.byteCount == Int64(stored.count))
        #expect(hashing.hexDigest == hex(SHA256.hash(data: stored)))
        let restored = try await ByteStream(bytes: stored, chunkSize: 100_000)
            .transformed { FrameDecryptor(key: key) }
            .decompressed(algorithm)
            .collect()
        #expect(restored == plaintext)
    }

    @Test("frame sizes out of range are refused", arguments: [0, -1, (16 << 20) + 1])
    func invalidFrameSize(frameSize: Int) throws {
        let key = try EncryptionKey(bytes: keyBytes)
        #expect(throws: CodecError.self) { _ = try FrameEncryptor(key: key, frameSize: frameSize) }
    }
}

@Suite("Encryption: tampering is detected")
struct EncryptionTamperingTests {
    let key: EncryptionKey
    /// 3 full frames and a short final one, frame size 1000.
    let plaintext = CodecFixture.randomBytes(count: 3500)
    let ciphertext: [UInt8]
    let sealed = 1016

    init() async throws {
        key = try EncryptionKey(bytes: keyBytes)
        ciphertext = try await encrypt(plaintext, key: key, frameSize: 1000)
    }

    @Test("a flipped byte anywhere fails", arguments: [40, 36 + 500, 36 + 1015, 36 + 3 * 1016 + 10, 3599])
    func flippedByte(offset: Int) async throws {
        var damaged = ciphertext
        damaged[offset] ^= 0x01
        await expectDecryptionError(.authenticationFailed, damaged, key: key)
    }

    @Test("a modified header fails: frame size, nonce prefix, magic")
    func modifiedHeader() async throws {
        var nonce = ciphertext
        nonce[30] ^= 0x80
        await expectDecryptionError(.authenticationFailed, nonce, key: key)
        var magic = ciphertext
        magic[0] = UInt8(ascii: "X")
        await expectDecryptionError(.corrupt, magic, key: key)
        var frameSize = ciphertext
        frameSize[10] ^= 0x01
        await expectDecryptionError(.authenticationFailed, frameSize, key: key)
    }

    @Test("swapped frames fail")
    func swappedFrames() async throws {
        let header = Array(ciphertext[0..<36])
        let frames = stride(from: 36, to: ciphertext.count, by: sealed).map { Array(ciphertext[$0..<min($0 + sealed, ciphertext.count)]) }
        #expect(frames.count == 4)
        let swapped = header + frames[1] + frames[0] + frames[2] + frames[3]
        let error = await expectDecryptionError(.authenticationFailed, swapped, key: key)
        #expect(error?.message.contains("frame 0") == true)
    }

    @Test("a stream cut at a frame boundary is reported as truncated", arguments: [1, 2, 3])
    func cutAtFrameBoundary(frames: Int) async throws {
        let cut = Array(ciphertext[0..<(36 + frames * sealed)])
        let error = await expectDecryptionError(.truncated, cut, key: key)
        #expect(error?.message.contains("final frame") == true)
    }

    @Test("a stream cut inside a frame or inside the header fails")
    func cutElsewhere() async throws {
        await expectDecryptionError(.authenticationFailed, Array(ciphertext.dropLast(5)), key: key)
        await expectDecryptionError(.truncated, Array(ciphertext[0..<20]), key: key)
        await expectDecryptionError(.truncated, Array(ciphertext[0..<36]), key: key)
        await expectDecryptionError(.truncated, [], key: key)
    }

    @Test("appended data fails")
    func appended() async throws {
        // After a short final frame the extra bytes make the final frame fail.
        await expectDecryptionError(.authenticationFailed, ciphertext + [0], key: key)
        // After a full final frame the real final frame is no longer last: reported as appended data.
        let full = try await encrypt(CodecFixture.randomBytes(count: 2000), key: key, frameSize: 1000)
        let error = await expectDecryptionError(.corrupt, full + Array(repeating: 7, count: 50), key: key)
        #expect(error?.message.contains("follows the final frame") == true)
        // A copy of a whole frame appended.
        await expectDecryptionError(.corrupt, full + full[36..<(36 + sealed)], key: key)
    }

    @Test("a different key is reported with both key ids and without key material")
    func wrongKey() async throws {
        let other = try EncryptionKey(bytes: otherKeyBytes)
        let error = try #require(await expectDecryptionError(.keyMismatch, ciphertext, key: other))
        #expect(error.message.contains(key.keyID))
        #expect(error.message.contains(other.keyID))
        #expect(!error.description.contains(hex(otherKeyBytes)))
        // A forged key id (the other key's id written into the header) still fails authentication.
        var forged = ciphertext
        forged.replaceSubrange(12..<28, with: Array(other.keyID.utf8))
        await expectDecryptionError(.authenticationFailed, forged, key: other)
    }
}

@Suite("Encryption: keys")
struct EncryptionKeyTests {
    @Test("the key id is the first 16 hex characters of SHA-256 of the label and the key")
    func keyID() throws {
        let key = try EncryptionKey(bytes: keyBytes)
        let expected = hex(SHA256.hash(data: Array("backupkit-key-id-v1".utf8) + keyBytes)).prefix(16)
        #expect(key.keyID == String(expected))
        #expect(try EncryptionKey(bytes: otherKeyBytes).keyID != key.keyID)
    }

    @Test(
        "raw, hex and base64 key files give the same key", arguments: ["raw", "hex", "hex-newline", "base64-newline", "base64-crlf", "HEX"])
    func keyFileFormats(format: String) async throws {
        try await CodecFixture.withTemporaryFolder { folder in
            let content: [UInt8] =
                switch format {
                case "raw": keyBytes
                case "hex": Array(hex(keyBytes).utf8)
                case "HEX": Array(hex(keyBytes).uppercased().utf8)
                case "hex-newline": Array((hex(keyBytes) + "\n").utf8)
                case "base64-crlf": Array((Data(keyBytes).base64EncodedString() + "\r\n").utf8)
                default: Array((Data(keyBytes).base64EncodedString() + "\n").utf8)
                }
            let path = folder + "/key"
            try CodecFixture.write(content, to: path)
            #expect(chmod(path, 0o600) == 0)
            let key = try EncryptionKey(fileAt: path)
            #expect(key.keyID == (try EncryptionKey(bytes: keyBytes)).keyID)
        }
    }

    @Test("a key file readable by group or others is refused, naming the file but not the key", arguments: [0o640, 0o604, 0o644, 0o660])
    func insecureKeyFile(mode: Int) async throws {
        try await CodecFixture.withTemporaryFolder { folder in
            let path = folder + "/key"
            try CodecFixture.write(Array(hex(keyBytes).utf8), to: path)
            #expect(chmod(path, mode_t(mode)) == 0)
            do {
                _ = try EncryptionKey(fileAt: path)
                Issue.record("an insecure key file was accepted")
            } catch let error as CodecError {
                #expect(error.code == .invalidKey)
                #expect(error.message.contains(path))
                #expect(error.message.contains("chmod 600"))
                #expect(!error.description.contains(hex(keyBytes)))
            }
        }
    }

    @Test("a missing or malformed key file is refused")
    func badKeyFile() async throws {
        try await CodecFixture.withTemporaryFolder { folder in
            #expect(throws: CodecError.self) { _ = try EncryptionKey(fileAt: folder + "/missing") }
            let path = folder + "/short"
            try CodecFixture.write(Array("0123456789abcdef".utf8), to: path)
            _ = chmod(path, 0o600)
            do {
                _ = try EncryptionKey(fileAt: path)
                Issue.record("a 16-character key was accepted")
            } catch let error as CodecError {
                #expect(error.message.contains(path))
                #expect(!error.message.contains("0123456789abcdef"))
            }
        }
    }

    @Test("keys from environment variables")
    func environment() throws {
        let expected = try EncryptionKey(bytes: keyBytes).keyID
        let environment = ["HEX_KEY": hex(keyBytes), "B64_KEY": Data(keyBytes).base64EncodedString() + "\n", "BAD_KEY": "not a key"]
        #expect(try EncryptionKey(environmentVariable: "HEX_KEY", environment: environment).keyID == expected)
        #expect(try EncryptionKey(environmentVariable: "B64_KEY", environment: environment).keyID == expected)
        for name in ["BAD_KEY", "UNSET_KEY"] {
            do {
                _ = try EncryptionKey(environmentVariable: name, environment: environment)
                Issue.record("\(name) was accepted")
            } catch let error as CodecError {
                #expect(error.code == .invalidKey)
                #expect(error.message.contains(name))
                #expect(!error.message.contains("not a key"))
            }
        }
    }

    @Test("descriptions never show the key")
    func description() throws {
        let key = try EncryptionKey(bytes: keyBytes)
        for text in [key.description, key.debugDescription, "\(key)", String(reflecting: key)] {
            #expect(text.contains(key.keyID))
            #expect(!text.contains(hex(keyBytes)))
            #expect(!text.contains(Data(keyBytes).base64EncodedString()))
        }
    }
}

@Suite("Encryption: the documented Python decryptor")
struct EncryptionDocumentationTests {
    /// The script between the markers in Documentation/EncryptedFormat.md.
    static func documentedScript() throws -> String {
        let documentation = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Documentation/EncryptedFormat.md")
        let text = try String(contentsOf: documentation, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- bkdecrypt.py begin"))
        let end = try #require(text.range(of: "<!-- bkdecrypt.py end -->"))
        let block = text[start.upperBound..<end.lowerBound]
        let open = try #require(block.range(of: "```python\n"))
        let close = try #require(block.range(of: "```", options: .backwards))
        return String(block[open.upperBound..<close.lowerBound])
    }

    /// Whether `python3` with the `cryptography` package is available; prints why not otherwise.
    static func pythonAvailable() async throws -> Bool {
        let probe = try? await CodecFixture.runTool("python3", ["-c", "import cryptography"])
        guard probe?.status == 0 else {
            print("skipping the Python decryptor test: python3 with the 'cryptography' package is not available")
            return false
        }
        return true
    }

    @Test("the script decrypts our output and rejects damaged streams", arguments: [0, 65536, 200_001])
    func pythonDecrypts(size: Int) async throws {
        guard try await Self.pythonAvailable() else { return }
        try await CodecFixture.withTemporaryFolder { folder in
            let script = folder + "/bkdecrypt.py"
            try CodecFixture.write(Array(try Self.documentedScript().utf8), to: script)
            let keyFile = folder + "/backup.key"
            try CodecFixture.write(Array((Data(keyBytes).base64EncodedString() + "\n").utf8), to: keyFile)
            _ = chmod(keyFile, 0o600)

            let key = try EncryptionKey(fileAt: keyFile)
            let plaintext = CodecFixture.randomBytes(count: size)
            let ciphertext = try await ByteStream(bytes: plaintext, chunkSize: 50_000).transformed { try FrameEncryptor(key: key) }
                .collect()
            try CodecFixture.write(ciphertext, to: folder + "/data.enc")
            let result = try await CodecFixture.runTool("python3", [script, keyFile, folder + "/data.enc", folder + "/data"])
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(try CodecFixture.read(folder + "/data") == plaintext)

            // Streams cut inside a frame, extended, or cut at a frame boundary fail.
            guard size > 65536 else { return }
            let damaged = [Array(ciphertext.dropLast(1)), ciphertext + [0], Array(ciphertext[0..<(36 + 65536 + 16)])]
            for (index, bytes) in damaged.enumerated() {
                try CodecFixture.write(bytes, to: folder + "/bad.enc")
                let failure = try await CodecFixture.runTool("python3", [script, keyFile, folder + "/bad.enc", folder + "/bad"])
                #expect(failure.status != 0, "damaged stream \(index) was accepted")
            }
        }
    }
}
