import BackupModels
import BackupSources
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension Preflight {
    /// The checks of one source, by type.
    func checkSource(_ config: SourceConfig, records: [BackupRecord], into results: inout CheckList) async {
        let component = "source \(config.name)"
        switch config {
        case .files(let files):
            checkFiles(files, component: component, into: &results)
        case .sqlite(let sqlite):
            checkSQLite(sqlite, component: component, into: &results)
        case .mysql(let mysql):
            let newest = records.first { $0.source == mysql.name && $0.position?.binlogFile != nil }
            await checkMySQL(mysql, component: component, newest: newest, into: &results)
        case .custom(let custom):
            results.ok(component, "type", "registered type '\(custom.type)': its own checks run when it backs up")
        }
    }

    /// Every path exists and is readable (folders also searchable).
    func checkFiles(_ config: FileTreeSourceConfig, component: String, into results: inout CheckList) {
        var problems: [String] = []
        var fixes: [String] = []
        for path in config.paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append("\(path) does not exist")
                fixes.append("create \(path) or remove it from the source's paths")
                continue
            }
            let mode = isDirectory.boolValue ? R_OK | X_OK : R_OK
            if access(path, mode) != 0 {
                problems.append("\(path) is not readable by this user")
                fixes.append("give the backup user read access to \(path)")
            }
        }
        if problems.isEmpty {
            results.ok(component, "paths", "\(config.paths.count) path(s) exist and are readable")
        } else {
            results.failed(component, "paths", problems.joined(separator: "; "), fix: fixes.joined(separator: "; "))
        }
    }

    /// The database file exists, is readable and starts with SQLite's header.
    func checkSQLite(_ config: SQLiteSourceConfig, component: String, into results: inout CheckList) {
        guard FileManager.default.fileExists(atPath: config.path) else {
            results.failed(
                component, "open", "\(config.path) does not exist", fix: "correct the source's path, or create the database")
            return
        }
        guard let handle = FileHandle(forReadingAtPath: config.path) else {
            results.failed(
                component, "open", "\(config.path) is not readable by this user", fix: "give the backup user read access to \(config.path)")
            return
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header.isEmpty {
            results.warning(
                component, "open", "\(config.path) is empty (SQLite treats it as a new database)",
                fix: "check that the path names the application's database")
        } else if header == Data("SQLite format 3\0".utf8) {
            results.ok(component, "open", "\(config.path) is a SQLite 3 database")
        } else {
            results.failed(
                component, "open", "\(config.path) is not a SQLite 3 database (its header differs)",
                fix: "point the source's path at the SQLite database file, not a dump or another file")
        }
    }
}
