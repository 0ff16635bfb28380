import BackupSupport
import Crypto
import Foundation
import RemoteStorage

/// Decrypts a stream written by ``FrameEncryptor``, authenticating every frame before handing out its
/// plaintext.
///
/// Errors say what went wrong: ``CodecError/Code-swift.struct/keyMismatch`` when the header names
/// another key id, ``CodecError/Code-swift.struct/truncated`` when the final frame is missing,
/// ``CodecError/Code-swift.struct/corrupt`` for a foreign format or data after the final frame, and
/// ``CodecError/Code-swift.struct/authenticationFailed`` for modified or reordered frames.
///
/// Plaintext of a frame is released only after that frame's tag verified; still, a consumer must treat
/// output as untrusted until the stream ended without an error (a cut stream fails only at the end).
package final class FrameDecryptor: ChunkTransformer {
    private let key: SymmetricKey
    private let keyID: String
    private var buffer: [UInt8] = []
    private var header: [UInt8]?
    private var frameSize = 0
    private var additionalData: [UInt8] = []
    private var counter: UInt64 = 0
    private var finished = false

    /// Creates a decryptor for streams encrypted with `key`.
    public init(key: EncryptionKey) {
        self.key = key.symmetricKey
        self.keyID = key.keyID
    }

    /// Buffers `chunk` and returns the plaintext of every frame known not to be the last.
    ///
    /// - Throws: ``CodecError`` for a foreign format, another key, or a frame that fails authentication.
    public func transform(_ chunk: [UInt8]) throws -> [UInt8] {
        guard !finished else {
            throw CodecError(code: .corrupt, codec: FrameFormat.name, message: "data after the end of the stream")
        }
        buffer += chunk
        if header == nil {
            try checkMagic()
            guard buffer.count >= FrameFormat.headerSize else { return [] }
            try readHeader()
        }
        let sealedSize = frameSize + FrameFormat.tagSize
        var output: [UInt8] = []
        var offset = 0
        // A full-sized frame is not final only if more data follows it.
        while buffer.count - offset > sealedSize {
            output += try open(buffer[offset..<(offset + sealedSize)], final: false)
            offset += sealedSize
        }
        if offset > 0 { buffer.removeFirst(offset) }
        return output
    }

    /// Authenticates the final frame and returns its plaintext.
    ///
    /// - Throws: ``CodecError/Code-swift.struct/truncated`` if the final frame is missing.
    public func finish() throws -> [UInt8] {
        guard !finished else { return [] }
        finished = true
        if header == nil {
            try checkMagic()
            if buffer.isEmpty {
                throw CodecError(code: .truncated, codec: FrameFormat.name, message: "the stream is empty")
            }
            guard buffer.count >= FrameFormat.headerSize else {
                throw CodecError(code: .truncated, codec: FrameFormat.name, message: "the stream ends inside its header")
            }
            try readHeader()
        }
        guard buffer.count >= FrameFormat.tagSize else {
            throw CodecError(
                code: .truncated, codec: FrameFormat.name,
                message: counter == 0 ? "the stream has no frames" : "the stream ends after frame \(counter - 1) without its final frame")
        }
        let output = try open(buffer[...], final: true)
        buffer = []
        return output
    }

    /// Refuses input that does not start like this format.
    private func checkMagic() throws {
        let count = min(buffer.count, FrameFormat.magic.count)
        guard buffer[..<count].elementsEqual(FrameFormat.magic[..<count]) else {
            throw CodecError(code: .corrupt, codec: FrameFormat.name, message: "not a BackupKit encrypted stream (bad magic)")
        }
    }

    private func readHeader() throws {
        let bytes = Array(buffer[..<FrameFormat.headerSize])
        let size = bytes[8..<12].reduce(0) { $0 << 8 | Int($1) }
        guard FrameFormat.frameSizes.contains(size) else {
            throw CodecError(code: .corrupt, codec: FrameFormat.name, message: "the header's frame size \(size) is out of range")
        }
        let streamKeyID = String(decoding: bytes[12..<28], as: UTF8.self)
        guard streamKeyID == keyID else {
            throw CodecError(
                code: .keyMismatch, codec: FrameFormat.name,
                message: "the stream was encrypted with key id \(streamKeyID), but the given key has id \(keyID)")
        }
        header = bytes
        frameSize = size
        additionalData = bytes + [0]
        buffer.removeFirst(FrameFormat.headerSize)
    }

    /// Authenticates and decrypts one sealed frame (ciphertext ‖ tag) at the current counter.
    private func open(_ sealed: ArraySlice<UInt8>, final: Bool) throws -> [UInt8] {
        guard counter <= UInt64(UInt32.max) else {
            throw CodecError(code: .corrupt, codec: FrameFormat.name, message: "the stream exceeds 2^32 frames")
        }
        let index = counter
        counter += 1
        if let plaintext = attempt(sealed, counter: UInt32(index), final: final) { return plaintext }
        // Diagnose: does the frame verify with the other final flag?
        if attempt(sealed, counter: UInt32(index), final: !final) != nil {
            if final {
                throw CodecError(
                    code: .truncated, codec: FrameFormat.name,
                    message: "the stream ends after frame \(index) without its final frame (truncated)")
            }
            throw CodecError(
                code: .corrupt, codec: FrameFormat.name, message: "data follows the final frame \(index) (appended bytes)")
        }
        throw CodecError(
            code: .authenticationFailed, codec: FrameFormat.name,
            message: "frame \(index) failed authentication: the data was modified, reordered or cut")
    }

    private func attempt(_ sealed: ArraySlice<UInt8>, counter: UInt32, final: Bool) -> [UInt8]? {
        guard let header, sealed.count >= FrameFormat.tagSize else { return nil }
        additionalData[additionalData.count - 1] = final ? 1 : 0
        let split = sealed.endIndex - FrameFormat.tagSize
        do {
            let nonce = try AES.GCM.Nonce(
                data: FrameFormat.nonce(prefix: header[(FrameFormat.headerSize - FrameFormat.noncePrefixSize)...], counter: counter))
            let box = try AES.GCM.SealedBox(nonce: nonce, ciphertext: sealed[..<split], tag: sealed[split...])
            let plaintext: Data = try AES.GCM.open(box, using: key, authenticating: additionalData)
            return Array(plaintext)
        } catch {
            return nil
        }
    }
}
