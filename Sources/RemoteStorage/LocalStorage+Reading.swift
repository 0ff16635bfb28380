#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension LocalStorage {
    /// Reads one file in chunks with `read(2)`: opens it on the first ``next()``, closes it at the end
    /// of the file or on an error, and closes it in `deinit` when the consumer stops early, so no
    /// descriptor leaks whichever way an iteration ends.
    ///
    /// A reader serves one iteration, which calls ``next()`` sequentially; that is what makes the
    /// unchecked `Sendable` conformance sound.
    final class FileReader: @unchecked Sendable {
        private let path: String
        private let key: String
        private let chunkSize: Int
        /// The open descriptor, `-1` before opening and after closing.
        private(set) var descriptor: Int32 = -1
        private var finished = false

        init(path: String, key: String, chunkSize: Int) {
            self.path = path
            self.key = key
            self.chunkSize = chunkSize
        }

        deinit {
            if descriptor >= 0 { _ = close(descriptor) }
        }

        /// The next chunk (at most `chunkSize` bytes, full-sized except at the end), or `nil` at the end.
        func next() async throws -> [UInt8]? {
            if finished { return nil }
            do {
                if descriptor < 0 {
                    let path = path
                    let key = key
                    descriptor = try await POSIXFile.offload {
                        let opened = open(path, O_RDONLY | O_CLOEXEC)
                        guard opened >= 0 else { throw POSIXFile.error(errno, key: key, action: "open") }
                        return opened
                    }
                }
                let chunk = try await POSIXFile.offload { [descriptor, chunkSize, key] in
                    try Self.readChunk(upTo: chunkSize, from: descriptor, key: key)
                }
                if chunk.isEmpty {
                    closeNow()
                    return nil
                }
                return chunk
            } catch {
                closeNow()
                throw error
            }
        }

        private func closeNow() {
            finished = true
            if descriptor >= 0 { _ = close(descriptor) }
            descriptor = -1
        }

        /// Reads until `count` bytes or the end of the file, retrying short reads and interrupted calls.
        private static func readChunk(upTo count: Int, from descriptor: Int32, key: String) throws -> [UInt8] {
            try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                initialized = 0
                while initialized < count {
                    let got = read(descriptor, buffer.baseAddress! + initialized, count - initialized)
                    if got < 0 {
                        if errno == EINTR { continue }
                        throw POSIXFile.error(errno, key: key, action: "read")
                    }
                    if got == 0 { break }
                    initialized += got
                }
            }
        }
    }
}
