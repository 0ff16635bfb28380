import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Prepares the place of a catalog file before SQLite opens it: private folders and a private file.
enum CatalogFile {
    /// Creates the missing parent folders (mode 0700) and, when absent, an empty file (mode 0600).
    ///
    /// SQLite gives its `-wal` and `-shm` files the mode of the database file, so they are private too.
    /// An existing file or folder keeps its mode.
    /// - Returns: Whether the file already existed with content (a database to check before writing).
    static func prepare(_ path: String) throws -> Bool {
        let url = URL(fileURLWithPath: path)
        try createFolders(url.deletingLastPathComponent())
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            defer { close(descriptor) }
            guard fchmod(descriptor, 0o600) == 0 else { throw failure("cannot set the mode of", path) }
            return false
        }
        guard errno == EEXIST else { throw failure("cannot create", path) }
        var status = stat()
        guard stat(path, &status) == 0 else { throw failure("cannot read", path) }
        return status.st_size > 0
    }

    /// Creates `folder` and its missing ancestors, each with mode 0700.
    private static func createFolders(_ folder: URL) throws {
        var missing: [String] = []
        var current = folder.standardizedFileURL
        while !FileManager.default.fileExists(atPath: current.path) {
            missing.append(current.path)
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { break }
            current = parent
        }
        for path in missing.reversed() {
            if mkdir(path, 0o700) == 0 {
                guard chmod(path, 0o700) == 0 else { throw failure("cannot set the mode of", path) }
            } else if errno != EEXIST {
                throw failure("cannot create the folder", path)
            }
        }
    }

    private static func failure(_ action: String, _ path: String) -> CatalogError {
        let reason = String(cString: strerror(errno))
        return CatalogError(code: .database, message: "\(action) '\(path)'", path: path, underlying: reason)
    }
}
