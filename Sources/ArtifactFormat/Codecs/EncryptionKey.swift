import BackupSupport
package import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A 256-bit key for the framed AES-256-GCM encryption of artifacts.
///
/// The key is written as 32 raw bytes, 64 hexadecimal characters or base64 text (a trailing newline is
/// ignored). It never appears in descriptions, logs or errors; ``keyID`` identifies it instead.
public struct EncryptionKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The codec name used in errors.
    package static let codec = "encryption key"

    package let symmetricKey: SymmetricKey

    /// Identifies the key without revealing it: the first 16 hexadecimal characters of
    /// SHA-256(`"backupkit-key-id-v1"` ‖ key). Stored in manifests and in every encrypted stream's header.
    public let keyID: String

    /// Creates a key from its 32 raw bytes.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/invalidKey`` if there are not exactly 32 bytes.
    public init(bytes: some Collection<UInt8>) throws {
        guard bytes.count == 32 else {
            throw CodecError(code: .invalidKey, codec: Self.codec, message: "a key has 32 bytes, not \(bytes.count)")
        }
        let raw = Array(bytes)
        symmetricKey = SymmetricKey(data: raw)
        keyID = Self.keyID(of: raw)
    }

    /// Reads a key from a file that only its owner can read.
    ///
    /// - Parameter path: the key file: 32 raw bytes, 64 hex characters or base64, with an optional
    ///   trailing newline.
    /// - Throws: ``CodecError/Code-swift.struct/invalidKey`` naming the file (never its content) if it
    ///   cannot be read, is readable or writable by group or others (mode & 0o077 ≠ 0), or holds no key.
    public init(fileAt path: String) throws {
        func failure(_ why: String) -> CodecError {
            CodecError(code: .invalidKey, codec: Self.codec, message: "key file '\(path)' \(why)")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot be opened: \(String(cString: strerror(errno)))") }
        defer { _ = close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("cannot be examined: \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw failure("is not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw failure("is accessible by group or others (mode \(String(mode, radix: 8))); run chmod 600 on it")
        }
        guard info.st_size <= 4096 else { throw failure("is too large to hold a key") }
        var content = [UInt8](repeating: 0, count: 4097)
        var length = 0
        while length < content.count {
            let got = content.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + length, $0.count - length) }
            if got < 0 {
                if errno == EINTR { continue }
                throw failure("cannot be read: \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            length += got
        }
        defer { content.withUnsafeMutableBytes { _ = memset($0.baseAddress!, 0, $0.count) } }
        guard let key = Self.decode(content[..<length]) else {
            throw failure("does not hold a 32-byte key (32 raw bytes, 64 hex characters or base64)")
        }
        try self.init(bytes: key)
    }

    /// Reads a key from an environment variable.
    ///
    /// - Parameters:
    ///   - name: the variable's name.
    ///   - environment: the environment to read; `nil` (the default) reads the process's.
    /// - Throws: ``CodecError/Code-swift.struct/invalidKey`` naming the variable (never its value) if it
    ///   is unset or holds no key.
    public init(environmentVariable name: String, environment: [String: String]? = nil) throws {
        guard let value = (environment ?? ProcessInfo.processInfo.environment)[name], !value.isEmpty else {
            throw CodecError(code: .invalidKey, codec: Self.codec, message: "environment variable '\(name)' is not set")
        }
        guard let key = Self.decode(Array(value.utf8)[...]) else {
            throw CodecError(
                code: .invalidKey, codec: Self.codec,
                message: "environment variable '\(name)' does not hold a 32-byte key (64 hex characters or base64)")
        }
        try self.init(bytes: key)
    }

    /// Decodes key text: 32 raw bytes, 64 hex characters or base64 of 32 bytes, each optionally
    /// followed by a newline (`\n` or `\r\n`).
    package static func decode(_ content: ArraySlice<UInt8>) -> [UInt8]? {
        if content.count == 32 { return Array(content) }
        var text = content
        if text.last == 0x0A { text = text.dropLast() }
        if text.last == 0x0D { text = text.dropLast() }
        if text.count == 32 && text.count != content.count { return Array(text) }
        if text.count == 64, let bytes = decodeHex(text) { return bytes }
        if let string = String(validating: text, as: UTF8.self),
            let data = Data(base64Encoded: string), data.count == 32
        {
            return Array(data)
        }
        return nil
    }

    private static func decodeHex(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        func nibble(_ character: UInt8) -> UInt8? {
            switch character {
            case 0x30...0x39: character - 0x30
            case 0x41...0x46: character - 0x41 + 10
            case 0x61...0x66: character - 0x61 + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    /// The key id of raw key bytes.
    package static func keyID(of raw: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("backupkit-key-id-v1".utf8))
        hasher.update(data: raw)
        return String(HashingTransformer.hex(hasher.finalize()).prefix(16))
    }

    /// `EncryptionKey(id: …)`: the key id only, never the key.
    public var description: String { "EncryptionKey(id: \(keyID))" }

    /// The same as ``description``: the key id only.
    public var debugDescription: String { description }
}
