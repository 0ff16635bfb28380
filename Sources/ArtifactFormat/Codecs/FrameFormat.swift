import BackupSupport

/// The layout of the `aes-256-gcm-framed-v1` format; see Documentation/EncryptedFormat.md.
///
/// ```
/// header  = "BKENC01\n" (8) | frame size (u32 BE) | key id (16 ASCII hex) | nonce prefix (8 random)
/// frame i = AES-256-GCM(plaintext, nonce = prefix ‖ u32 BE i, aad = header ‖ final flag) ‖ tag (16)
/// ```
package enum FrameFormat {
    /// The name recorded in manifests.
    package static let name = "aes-256-gcm-framed-v1"
    package static let magic: [UInt8] = Array("BKENC01\n".utf8)
    package static let headerSize = 8 + 4 + 16 + 8
    package static let tagSize = 16
    package static let noncePrefixSize = 8
    /// The plaintext bytes per frame unless configured otherwise.
    package static let defaultFrameSize = 64 << 10
    /// The frame sizes accepted, on writing and on reading (a corrupt header must not make a reader
    /// allocate gigabytes).
    package static let frameSizes = 1...(16 << 20)

    /// The header bytes.
    package static func header(frameSize: Int, keyID: String, noncePrefix: [UInt8]) -> [UInt8] {
        var header = magic
        let size = UInt32(frameSize)
        header += [
            UInt8(size >> 24), UInt8(truncatingIfNeeded: size >> 16), UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size),
        ]
        header += Array(keyID.utf8)
        header += noncePrefix
        precondition(header.count == headerSize)
        return header
    }

    /// The nonce of frame `counter`: the 8-byte prefix followed by the counter as u32 big-endian.
    package static func nonce(prefix: ArraySlice<UInt8>, counter: UInt32) -> [UInt8] {
        Array(prefix) + [
            UInt8(counter >> 24), UInt8(truncatingIfNeeded: counter >> 16), UInt8(truncatingIfNeeded: counter >> 8),
            UInt8(truncatingIfNeeded: counter),
        ]
    }
}
