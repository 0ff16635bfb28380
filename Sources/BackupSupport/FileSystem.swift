#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin POSIX helpers shared by the file-tree source and restore.
package enum FileSystem {
    package struct Status: Sendable {
        package var mode: UInt32
        package var size: Int64
        package var mtimeNanoseconds: Int64
        package var inode: UInt64
        package var uid: UInt32
        package var gid: UInt32

        package var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
        package var isRegular: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
        package var isSymlink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
        package var permissions: UInt32 { mode & 0o7777 }

        package var kindName: String {
            switch mode & UInt32(S_IFMT) {
            case UInt32(S_IFIFO): "fifo"
            case UInt32(S_IFSOCK): "socket"
            case UInt32(S_IFCHR): "character device"
            case UInt32(S_IFBLK): "block device"
            default: "special file"
            }
        }

        init(_ st: stat) {
            mode = UInt32(st.st_mode)
            size = Int64(st.st_size)
            #if canImport(Darwin)
                mtimeNanoseconds = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
            #else
                mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
            #endif
            inode = UInt64(st.st_ino)
            uid = UInt32(st.st_uid)
            gid = UInt32(st.st_gid)
        }
    }

    /// `lstat(2)`; the errno on failure.
    package static func lstatus(_ path: String) -> Result<Status, Errno> {
        var st = stat()
        return lstat(path, &st) == 0 ? .success(Status(st)) : .failure(Errno(errno))
    }

    /// `stat(2)`, following symbolic links; the errno on failure.
    package static func status(_ path: String) -> Result<Status, Errno> {
        var st = stat()
        return stat(path, &st) == 0 ? .success(Status(st)) : .failure(Errno(errno))
    }

    /// `fstat(2)`; the errno on failure.
    package static func fstatus(_ fd: Int32) -> Result<Status, Errno> {
        var st = stat()
        return fstat(fd, &st) == 0 ? .success(Status(st)) : .failure(Errno(errno))
    }

    /// The names in a folder, sorted bytewise, without `.` and `..`.
    package static func children(of path: String) -> Result<[String], Errno> {
        guard let dir = opendir(path) else { return .failure(Errno(errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = entryName(UnsafeMutableRawPointer(entry))
            if name != "." && name != ".." { names.append(name) }
        }
        names.sort(by: bytesPrecede)
        return .success(names)
    }

    /// The name of a `readdir(3)` entry, read in place. Never `entry.pointee`: an entry takes only the bytes its
    /// name needs, so loading a whole `dirent` can read past the end of the directory buffer (a segfault when that
    /// buffer ends at an unmapped page, seen on a folder of 1,000 files).
    package static func entryName(_ entry: UnsafeMutableRawPointer) -> String {
        let start = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        return String(cString: start.assumingMemoryBound(to: CChar.self))
    }

    /// Whether `first`'s UTF-8 bytes sort before `second`'s (`memcmp` order; a prefix first).
    private static func bytesPrecede(_ first: String, _ second: String) -> Bool {
        var first = first
        var second = second
        return first.withUTF8 { left in
            second.withUTF8 { right in
                let common = min(left.count, right.count)
                if common > 0, let a = left.baseAddress, let b = right.baseAddress {
                    let order = memcmp(a, b, common)
                    if order != 0 { return order < 0 }
                }
                return left.count < right.count
            }
        }
    }

    package static func readLink(_ path: String) -> Result<String, Errno> {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return .failure(Errno(errno)) }
        return .success(String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// `fnmatch(3)` with `FNM_PATHNAME` when the pattern holds a `/`.
    package static func matches(_ pattern: String, _ text: String, pathname: Bool) -> Bool {
        fnmatch(pattern, text, pathname ? FNM_PATHNAME : 0) == 0
    }

    package static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Writes all of `bytes` to `fd`, retrying short writes and interruptions.
    package static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Result<Void, Errno> {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(errno))
            }
            offset += written
        }
        return .success(())
    }
}

/// An `errno` value.
package struct Errno: Error, Hashable, Sendable {
    package var code: Int32
    package init(_ code: Int32) { self.code = code }
    package var text: String { FileSystem.errorText(code) }
    package static let notFound = Errno(ENOENT)
}
