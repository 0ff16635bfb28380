import BackupSupport
package import RemoteStorage

/// Reads a POSIX tar stream entry by entry, with bounded memory: an entry's content is handed out in
/// chunks as it arrives, never buffered whole. Understands ustar, pax extended headers (`path`,
/// `linkpath`, `size`, `uid`, `gid`, `mtime`) and GNU long names.
package final class TarReader {
    private var upstream: ByteStream.AsyncIterator
    private var buffer: [UInt8] = []
    private var offset = 0
    private var contentRemaining: Int64 = 0
    private var paddingRemaining = 0
    private var finished = false

    package init(_ stream: ByteStream) {
        upstream = stream.makeAsyncIterator()
    }

    /// The next entry's header, skipping any unread content of the previous one; `nil` at the end.
    package func nextEntry() async throws -> TarHeader? {
        if finished { return nil }
        try await skip(contentRemaining + Int64(paddingRemaining))
        contentRemaining = 0
        paddingRemaining = 0

        var overrides: [String: String] = [:]
        while true {
            guard try await fill(TarHeader.blockSize) else {
                // A stream ending on a block boundary without the end marker is accepted only if empty.
                if buffer.count - offset == 0 { finished = true; return nil }
                throw TarError(code: .truncated, message: "stream ends inside a header")
            }
            let block = buffer[offset..<(offset + TarHeader.blockSize)]
            offset += TarHeader.blockSize
            guard var header = try TarHeader.decodeBlock(block) else {
                finished = true
                return nil
            }
            switch header.type {
            case .paxExtended, .paxGlobal, .gnuLongName, .gnuLongLink:
                guard (0...(1 << 20)).contains(header.size) else {
                    throw TarError(code: .corrupt, message: "extended header of \(header.size) bytes is too large")
                }
                let body = try await readExactly(Int(header.size))
                try await skip(Int64(TarHeader.padding(header.size)))
                switch header.type {
                case .paxExtended: overrides.merge(try TarHeader.parsePax(body)) { $1 }
                case .gnuLongName: overrides["path"] = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
                case .gnuLongLink: overrides["linkpath"] = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
                default: break  // global headers carry nothing we use
                }
                continue
            default:
                if let path = overrides["path"] { header.path = path }
                if let link = overrides["linkpath"] { header.linkTarget = link }
                if let size = overrides["size"].flatMap({ Int64($0) }) { header.size = size }
                if let uid = overrides["uid"].flatMap({ UInt32($0) }) { header.uid = uid }
                if let gid = overrides["gid"].flatMap({ UInt32($0) }) { header.gid = gid }
                // Whole seconds; a time no Int64 holds (1e300, nan) is ignored like any unparsable one.
                if let mtime = overrides["mtime"].flatMap({ Double($0) }), let seconds = Int64(exactly: mtime.rounded(.down)) {
                    header.mtime = seconds
                }
                let hasContent = header.type == .file
                // Content plus padding must stay countable: a negative size or one within a block of Int64.max is corrupt.
                guard !hasContent || (0...(Int64.max - Int64(TarHeader.blockSize))).contains(header.size) else {
                    throw TarError(code: .corrupt, message: "entry '\(header.path)' has an impossible size \(header.size)")
                }
                contentRemaining = hasContent ? header.size : 0
                paddingRemaining = hasContent ? TarHeader.padding(header.size) : 0
                return header
            }
        }
    }

    /// The next chunk of the current entry's content, or `nil` when it has been read entirely.
    package func readContent(maxChunk: Int = 1 << 20) async throws -> [UInt8]? {
        guard contentRemaining > 0 else { return nil }
        if offset == buffer.count {
            guard try await fill(1) else {
                throw TarError(code: .truncated, message: "stream ends inside an entry's content")
            }
        }
        let available = buffer.count - offset
        let count = Int(min(Int64(min(available, maxChunk)), contentRemaining))
        contentRemaining -= Int64(count)
        if offset == 0, count == buffer.count {
            // The whole buffer is content: hand it over instead of copying it.
            defer { buffer = [] }
            return buffer
        }
        let chunk = Array(buffer[offset..<(offset + count)])
        offset += count
        return chunk
    }

    /// Reads until the end of the stream, returning the number of bytes after the end-of-archive marker.
    package func drain() async throws {
        while try await nextEntry() != nil {}
        while try await upstream.next() != nil {}
    }

    // MARK: Buffer

    /// Ensures `count` unread bytes are buffered; `false` if the stream ended first.
    private func fill(_ count: Int) async throws -> Bool {
        while buffer.count - offset < count {
            guard let chunk = try await upstream.next() else { return false }
            if offset == buffer.count {
                // Nothing unread: the chunk becomes the buffer, uncopied.
                buffer = chunk
                offset = 0
                continue
            }
            if offset > 0, offset >= buffer.count / 2 {
                buffer.removeSubrange(0..<offset)
                offset = 0
            }
            buffer.append(contentsOf: chunk)
        }
        return true
    }

    private func readExactly(_ count: Int) async throws -> [UInt8] {
        guard try await fill(count) else {
            throw TarError(code: .truncated, message: "stream ends inside an extended header")
        }
        defer { offset += count }
        return Array(buffer[offset..<(offset + count)])
    }

    private func skip(_ count: Int64) async throws {
        var remaining = count
        while remaining > 0 {
            if offset == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                offset = 0
                guard let chunk = try await upstream.next() else {
                    throw TarError(code: .truncated, message: "stream ends inside an entry")
                }
                buffer = chunk
            }
            let step = Int(min(Int64(buffer.count - offset), remaining))
            offset += step
            remaining -= Int64(step)
        }
    }
}
