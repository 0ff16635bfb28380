import BackupSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension LocalStorage {
    /// Lists the objects whose key starts with `prefix`, in ascending byte order of the whole key.
    ///
    /// The folder tree is walked with `readdir` as a stream and only the `limit` smallest keys after
    /// `continuation` are kept (in a bounded max-heap), so a page costs memory proportional to `limit`
    /// however many files a folder holds. Only folders that can contain matching keys are entered: a
    /// prefix may end with `/` (`plan/src/2026/`) or inside a segment (`plan/sr`). Temporary files of
    /// puts in progress (`.<name>.partial-<random>`) and names that are not valid keys are skipped.
    ///
    /// - Parameters:
    ///   - prefix: the start of the keys to list; empty lists everything.
    ///   - continuation: the previous page's ``ListPage/continuation``, or `nil` for the first page.
    ///   - limit: the most objects in the page (at least 1 is used).
    /// - Returns: the page; its continuation is the page's last key when more keys may follow.
    /// - Throws: ``StorageError/Code-swift.struct/invalidKey`` for a prefix that could leave the root,
    ///   or an I/O error from reading a folder.
    public func list(prefix: String, after continuation: String?, limit: Int) async throws -> ListPage {
        let folder = try Self.folderPart(ofPrefix: prefix)
        let root = root
        let limit = max(1, limit)
        return try await POSIXFile.offload {
            var walk = ListingWalk(
                prefix: Array(prefix.utf8), after: continuation.map { Array($0.utf8) }, limit: limit)
            if folder.isEmpty {
                try walk.visit(folder: root, keyBase: [])
            } else {
                try walk.visit(folder: root + "/" + folder, keyBase: Array((folder + "/").utf8))
            }
            return walk.page(root: root)
        }
    }

    /// The complete folder segments of a listing prefix (`plan/src` for `plan/src/20`), validated so
    /// that the walk can never start outside the root.
    static func folderPart(ofPrefix prefix: String) throws -> String {
        func reject(_ why: String) -> StorageError { StorageError(code: .invalidKey, key: prefix, message: why) }
        guard !prefix.isEmpty else { return "" }
        guard !prefix.hasPrefix("/") else { throw reject("absolute prefixes are not allowed") }
        guard !prefix.contains("\\") else { throw reject("backslashes are not allowed") }
        guard !prefix.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw reject("control characters are not allowed")
        }
        guard let slash = prefix.lastIndex(of: "/") else { return "" }
        let folder = String(prefix[..<slash])
        do {
            try validateStorageKey(folder)
        } catch let error as StorageError {
            throw reject(error.message)
        }
        return folder
    }

    /// The state of one listing walk: the filters and the smallest keys found so far.
    struct ListingWalk {
        let prefix: [UInt8]
        let after: [UInt8]?
        var smallest: SmallestKeys
        /// Whether a matching key was left out (or a folder that may hold one was skipped).
        var sawMore = false

        init(prefix: [UInt8], after: [UInt8]?, limit: Int) {
            self.prefix = prefix
            self.after = after
            self.smallest = SmallestKeys(capacity: limit)
        }

        /// Reads `folder` (whose keys start with `keyBase`) entry by entry and descends into the
        /// sub-folders that can hold keys of this page.
        mutating func visit(folder: String, keyBase: [UInt8]) throws {
            guard let directory = opendir(folder) else {
                let code = errno
                // A folder that does not exist (or vanished meanwhile) holds nothing.
                if code == ENOENT || code == ENOTDIR { return }
                throw POSIXFile.error(code, key: String(decoding: keyBase, as: UTF8.self), action: "list the folder")
            }
            defer { closedir(directory) }
            while true {
                errno = 0
                guard let entry = readdir(directory) else {
                    let code = errno
                    if code != 0 {
                        throw POSIXFile.error(code, key: String(decoding: keyBase, as: UTF8.self), action: "list the folder")
                    }
                    return
                }
                let name = Self.name(of: entry)
                if name == [0x2E] || name == [0x2E, 0x2E] || !Self.isKeySafe(name) { continue }
                let key = keyBase + name

                var kind = entry.pointee.d_type
                if kind == UInt8(DT_LNK) || kind == UInt8(DT_UNKNOWN) {
                    guard let path = String(validating: name, as: UTF8.self).map({ folder + "/" + $0 }),
                        let info = try? POSIXFile.status(path)
                    else { continue }
                    // Symbolic links to folders are not followed: they could form cycles.
                    if info.isDirectory && kind == UInt8(DT_UNKNOWN) {
                        kind = UInt8(DT_DIR)
                    } else if info.isRegular {
                        kind = UInt8(DT_REG)
                    } else {
                        continue
                    }
                }

                if kind == UInt8(DT_DIR) {
                    let base = key + [0x2F]
                    guard base.starts(with: prefix) || prefix.starts(with: base) else { continue }
                    // Every key below `base` is smaller than `after` unless `after` itself lies below it.
                    if let after, Self.precedes(base, after), !after.starts(with: base) { continue }
                    // Every key below `base` is larger than `base`: useless once the page is full of smaller keys.
                    if let largest = smallest.largest, smallest.isFull, !Self.precedes(base, largest) {
                        sawMore = true
                        continue
                    }
                    guard let text = String(validating: name, as: UTF8.self) else { continue }
                    try visit(folder: folder + "/" + text, keyBase: base)
                } else if kind == UInt8(DT_REG) {
                    guard key.starts(with: prefix), !Self.isTemporaryName(name) else { continue }
                    if let after, !Self.precedes(after, key) { continue }
                    if let largest = smallest.largest, smallest.isFull, !Self.precedes(key, largest) {
                        sawMore = true
                        continue
                    }
                    guard String(validating: name, as: UTF8.self) != nil else { continue }
                    smallest.offer(key)
                }
            }
        }

        /// The page: the kept keys in order with their size and modification time (keys whose file
        /// vanished since the walk are dropped).
        func page(root: String) -> ListPage {
            let keys = smallest.sorted()
            var objects: [ObjectInfo] = []
            objects.reserveCapacity(keys.count)
            for bytes in keys {
                let key = String(decoding: bytes, as: UTF8.self)
                guard let info = try? POSIXFile.statusIfPresent(root + "/" + key, key: key), info.isRegular else {
                    continue
                }
                objects.append(ObjectInfo(key: key, sizeBytes: info.size, lastModified: info.modified))
            }
            let continuation = sawMore || smallest.overflowed ? keys.last.map { String(decoding: $0, as: UTF8.self) } : nil
            return ListPage(objects: objects, continuation: continuation)
        }

        /// The bytes of a directory entry's name.
        static func name(of entry: UnsafeMutablePointer<dirent>) -> [UInt8] {
            let start = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
            let name = start.assumingMemoryBound(to: CChar.self)
            return Array(UnsafeRawBufferPointer(start: start, count: strlen(name)))
        }

        /// Whether a name can be a key segment: no control characters and no backslash.
        static func isKeySafe(_ name: [UInt8]) -> Bool {
            for byte in name where byte < 0x20 || byte == 0x7F || byte == 0x5C { return false }
            // C1 control characters U+0080–U+009F are encoded as C2 80 – C2 9F.
            for index in name.indices.dropLast() where name[index] == 0xC2 && (0x80...0x9F).contains(name[index + 1]) {
                return false
            }
            return true
        }

        /// Whether `name` is a put's temporary file: `.<name>.partial-<random>`.
        static func isTemporaryName(_ name: [UInt8]) -> Bool {
            guard name.first == 0x2E else { return false }
            let marker = Array(".partial-".utf8)
            guard name.count > marker.count else { return false }
            for start in 1...(name.count - marker.count) where name[start..<(start + marker.count)].elementsEqual(marker) {
                return true
            }
            return false
        }

        /// Byte-wise lexicographic order, which is the order of keys in a listing.
        static func precedes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
            let common = min(lhs.count, rhs.count)
            let order = lhs.withUnsafeBytes { left in
                rhs.withUnsafeBytes { right in common == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, common) }
            }
            return order != 0 ? order < 0 : lhs.count < rhs.count
        }
    }

    /// The `capacity` smallest keys offered so far, in a max-heap: memory stays proportional to the
    /// capacity whatever the number of keys offered.
    struct SmallestKeys {
        let capacity: Int
        private var heap: [[UInt8]] = []
        /// Whether a key was ever dropped or rejected because the heap was full.
        private(set) var overflowed = false

        init(capacity: Int) {
            self.capacity = max(1, capacity)
        }

        var isFull: Bool { heap.count >= capacity }
        var count: Int { heap.count }
        /// The largest key kept.
        var largest: [UInt8]? { heap.first }

        /// Keeps `key` if it is among the `capacity` smallest so far.
        ///
        /// - Returns: whether the key was kept.
        @discardableResult
        mutating func offer(_ key: [UInt8]) -> Bool {
            if heap.count < capacity {
                heap.append(key)
                siftUp(heap.count - 1)
                return true
            }
            overflowed = true
            guard ListingWalk.precedes(key, heap[0]) else { return false }
            heap[0] = key
            siftDown(0)
            return true
        }

        /// The kept keys in ascending order.
        func sorted() -> [[UInt8]] {
            heap.sorted(by: ListingWalk.precedes)
        }

        private mutating func siftUp(_ start: Int) {
            var child = start
            while child > 0 {
                let parent = (child - 1) / 2
                guard ListingWalk.precedes(heap[parent], heap[child]) else { return }
                heap.swapAt(parent, child)
                child = parent
            }
        }

        private mutating func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var largest = parent
                if left < heap.count && ListingWalk.precedes(heap[largest], heap[left]) { largest = left }
                if right < heap.count && ListingWalk.precedes(heap[largest], heap[right]) { largest = right }
                if largest == parent { return }
                heap.swapAt(parent, largest)
                parent = largest
            }
        }
    }
}
