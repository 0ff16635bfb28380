import BackupSupport
import Crypto
import RemoteStorage

/// Encrypts a byte stream with AES-256-GCM in independently authenticated frames (format
/// `aes-256-gcm-framed-v1`, described in Documentation/EncryptedFormat.md).
///
/// Memory is one frame; any tampering, reordering, truncation or appended data is detected by
/// ``FrameDecryptor``. Each stream gets a fresh random nonce prefix, so a key can encrypt many streams.
///
/// ```swift
/// let encrypted = stream.transformed { try FrameEncryptor(key: key) }
/// ```
package final class FrameEncryptor: ChunkTransformer {
    /// The format name recorded in manifests: `aes-256-gcm-framed-v1`.
    public static let formatName = FrameFormat.name
    /// The default plaintext bytes per frame: 64 KiB.
    public static let defaultFrameSize = FrameFormat.defaultFrameSize

    /// The plaintext bytes per frame.
    public let frameSize: Int
    private let key: SymmetricKey
    private let header: [UInt8]
    private var additionalData: [UInt8]
    private var counter: UInt64 = 0
    private var pending: [UInt8]
    private var headerWritten = false

    /// Creates an encryptor.
    ///
    /// - Parameters:
    ///   - key: the key; its id is written to the header.
    ///   - frameSize: plaintext bytes per frame, 64 KiB by default, at most 16 MiB.
    /// - Throws: ``CodecError/Code-swift.struct/invalidArgument`` for a frame size out of range.
    public init(key: EncryptionKey, frameSize: Int = FrameEncryptor.defaultFrameSize) throws {
        guard FrameFormat.frameSizes.contains(frameSize) else {
            throw CodecError(
                code: .invalidArgument, codec: FrameFormat.name, message: "frame size \(frameSize) is not in \(FrameFormat.frameSizes)")
        }
        var generator = SystemRandomNumberGenerator()
        let prefix = (0..<FrameFormat.noncePrefixSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.frameSize = frameSize
        self.key = key.symmetricKey
        header = FrameFormat.header(frameSize: frameSize, keyID: key.keyID, noncePrefix: prefix)
        additionalData = header + [0]
        pending = []
        pending.reserveCapacity(frameSize)
    }

    /// Returns the header (first call only) and every completed frame; the last frame is held back.
    public func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        var output = takeHeader()
        output.reserveCapacity(output.count + chunk.count + (chunk.count / frameSize + 1) * FrameFormat.tagSize)
        var index = chunk.startIndex
        while index < chunk.endIndex {
            // A full frame is sealed only once more data arrives: the last frame must carry the final flag.
            if pending.count == frameSize {
                try seal(pending[...], final: false, into: &output)
                pending.removeAll(keepingCapacity: true)
            }
            let take = min(frameSize - pending.count, chunk.endIndex - index)
            if pending.isEmpty && take == frameSize && chunk.endIndex - index > frameSize {
                // A whole frame with more data after it: seal straight from the chunk.
                try seal(chunk[index..<(index + take)], final: false, into: &output)
            } else {
                pending += chunk[index..<(index + take)]
            }
            index += take
        }
        return output
    }

    /// Seals the held-back data as the final frame (possibly empty) and returns it.
    public func finish() throws -> [UInt8] {
        var output = takeHeader()
        try seal(pending[...], final: true, into: &output)
        pending.removeAll()
        return output
    }

    private func takeHeader() -> [UInt8] {
        guard !headerWritten else { return [] }
        headerWritten = true
        return header
    }

    private func seal(_ plaintext: ArraySlice<UInt8>, final: Bool, into output: inout [UInt8]) throws {
        guard counter <= UInt64(UInt32.max) else {
            throw CodecError(code: .invalidArgument, codec: FrameFormat.name, message: "the stream exceeds 2^32 frames")
        }
        let nonceBytes = FrameFormat.nonce(
            prefix: header[(FrameFormat.headerSize - FrameFormat.noncePrefixSize)...], counter: UInt32(counter))
        counter += 1
        additionalData[additionalData.count - 1] = final ? 1 : 0
        do {
            let sealed = try AES.GCM.seal(
                plaintext, using: key, nonce: try AES.GCM.Nonce(data: nonceBytes), authenticating: additionalData)
            output += sealed.ciphertext
            output += sealed.tag
        } catch {
            throw CodecError(code: .library, codec: FrameFormat.name, message: "sealing frame \(counter - 1) failed: \(error)")
        }
    }
}
