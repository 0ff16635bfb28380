/// The input side both decompressors share: one compressed chunk at a time, used up before the next,
/// and the end-of-stream check (nothing fed at all, or the input stopping inside a frame or member).
struct PendingInput {
    /// The current chunk.
    var bytes: [UInt8] = []
    /// How much of ``bytes`` the decoder has consumed.
    var position = 0
    /// Whether any non-empty chunk was fed.
    private(set) var sawInput = false

    /// Takes the next chunk; the previous one must be used up.
    mutating func accept(_ chunk: [UInt8], codec: String) throws {
        guard position == bytes.count else {
            throw CodecError(code: .library, codec: codec, message: "fed before the previous input was used up")
        }
        bytes = chunk
        position = 0
        if !chunk.isEmpty { sawInput = true }
    }

    /// Throws ``CodecError/Code-swift.struct/truncated`` when the stream held no `unit` at all or ended
    /// inside one (`open`).
    func checkEnd(open: Bool, codec: String, unit: String) throws {
        guard sawInput else {
            throw CodecError(code: .truncated, codec: codec, message: "the input is empty: no \(codec) \(unit)")
        }
        guard !open else {
            throw CodecError(code: .truncated, codec: codec, message: "the input ends inside a \(unit)")
        }
    }
}
