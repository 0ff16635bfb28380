import ArtifactFormat
import BackupCatalog
import BackupEngine
import BackupModels
import BackupScheduler
import BackupSources
import Foundation
import RemoteStorage

extension PlanLoader {
    /// `path` as an absolute, lexically standardized path.
    ///
    /// `~` and `~/…` expand to the home directory and `~user/…` to that user's; any other relative path
    /// is taken relative to `directory` (itself taken relative to the current directory when relative).
    /// `.` and `..` components are removed without consulting the file system, as `filepath.Clean`
    /// does, so the result does not depend on whether the path exists yet.
    ///
    /// - Returns: The absolute path, or `nil` if `path` names an unknown user's home (`~nobody-here/x`).
    package static func absolutePath(_ path: String, relativeTo directory: String) -> String? {
        var expanded = path
        if path == "~" || path.hasPrefix("~/") {
            expanded = FileManager.default.homeDirectoryForCurrentUser.path + path.dropFirst()
        } else if path.hasPrefix("~") {
            expanded = NSString(string: path).expandingTildeInPath
            guard !expanded.hasPrefix("~") else { return nil }
        }
        if !expanded.hasPrefix("/") {
            var base = directory
            if !base.hasPrefix("/") {
                base = FileManager.default.currentDirectoryPath + "/" + base
            }
            expanded = base + "/" + expanded
        }
        return standardized(expanded)
    }

    /// An absolute path with empty, `.` and `..` components removed (`..` at the root stays at the root).
    package static func standardized(_ absolutePath: String) -> String {
        var components: [Substring] = []
        for component in absolutePath.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }
}
