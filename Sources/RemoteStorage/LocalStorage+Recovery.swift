import BackupSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension LocalStorage: UploadRecovery {
    /// Removes the temporary files (`.<name>.partial-<random>`) that interrupted puts of `key` left in
    /// its folder. Call it only when no put of `key` can be running (the engine holds the plan lock).
    public func removeAbandonedUploads(of key: String) async throws -> Int {
        try validateStorageKey(key)
        let parts = key.split(separator: "/")
        let name = String(parts.last!)
        let folder = ([root] + parts.dropLast().map(String.init)).joined(separator: "/")
        guard let directory = opendir(folder) else { return 0 }
        defer { closedir(directory) }
        let prefix = "." + name + ".partial-"
        var doomed: [String] = []
        while let entry = readdir(directory) {
            let entryName = FileSystem.entryName(UnsafeMutableRawPointer(entry))
            if entryName.hasPrefix(prefix) { doomed.append(folder + "/" + entryName) }
        }
        var removed = 0
        for path in doomed where unlink(path) == 0 { removed += 1 }
        return removed
    }
}
