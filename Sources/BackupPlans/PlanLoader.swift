import ArtifactFormat
import BackupCatalog
import BackupEngine
public import BackupModels
import BackupScheduler
public import BackupSources
public import Foundation
import RemoteStorage
import Yams

/// Reads backup plans from YAML and writes them back.
///
/// The loader walks the YAML node tree itself rather than decoding through `Codable`, so that every
/// problem is reported as a ``PlanError`` naming the file, the line and the exact key path:
///
/// ```
/// quickstart.yaml:7: sources[1].type: unsupported source type 'ftp' (supported: files, sqlite)
/// ```
///
/// Keys are snake_case; unknown keys, wrong types and out-of-range values are errors. Relative paths
/// (the catalog, the storage root, sources' paths, the key file) are resolved against a working
/// directory and standardized; a leading `~` expands to the home directory. The loader does not check
/// that paths exist: the engine does when it runs. See `Documentation/PlanReference.md` for the format.
public enum PlanLoader {
    /// Reads and checks the plan in the file at `path`.
    ///
    /// - Parameters:
    ///   - path: The plan file. A relative path is read relative to `workingDirectory`; errors name the
    ///     file as given here.
    ///   - workingDirectory: The directory relative paths in the plan resolve against; the current
    ///     directory by default.
    ///   - sources: The source types the plan may name; a registered type's entry becomes a
    ///     ``BackupModels/SourceConfig/custom(_:)`` with its other keys as text.
    /// - Returns: The plan, with absolute, standardized paths.
    /// - Throws: ``PlanError`` with code ``PlanError/Code-swift.struct/unreadable`` if the file cannot be
    ///   read or is not UTF-8, or any error of ``parse(yaml:origin:workingDirectory:sources:)``.
    public static func load(
        contentsOf path: String, workingDirectory: String = FileManager.default.currentDirectoryPath,
        sources: SourceRegistry = .standard
    ) throws -> BackupPlan {
        func unreadable(_ why: String) -> PlanError {
            PlanError(code: .unreadable, file: path, keyPath: "", message: why)
        }
        guard !path.isEmpty else { throw unreadable("the plan path is empty") }
        let location = absolutePath(path, relativeTo: workingDirectory) ?? path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory) else {
            throw unreadable("no such file (looked for \(location))")
        }
        guard !isDirectory.boolValue else { throw unreadable("is a directory, not a plan file") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: location))
        } catch {
            throw unreadable("cannot read the file: \(error.localizedDescription)")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw unreadable("the file is not UTF-8 text")
        }
        return try parse(yaml: text, origin: path, workingDirectory: workingDirectory, sources: sources)
    }

    /// Parses and checks a plan written in YAML.
    ///
    /// - Parameters:
    ///   - yaml: The plan text.
    ///   - origin: The name errors give the text, usually its file name.
    ///   - workingDirectory: The directory relative paths in the plan resolve against. A relative
    ///     working directory is itself taken relative to the current directory.
    ///   - sources: The source types the plan may name.
    /// - Returns: The plan, with absolute, standardized paths.
    /// - Throws: ``PlanError``: ``PlanError/Code-swift.struct/syntax`` for malformed YAML (with its line),
    ///   ``PlanError/Code-swift.struct/unknownKey``, ``PlanError/Code-swift.struct/missingKey``,
    ///   ``PlanError/Code-swift.struct/wrongType`` or ``PlanError/Code-swift.struct/invalidValue`` naming
    ///   the key path and line. Errors from model validation (``ModelError``) are converted, keeping the
    ///   field name.
    public static func parse(
        yaml: String, origin: String, workingDirectory: String, sources: SourceRegistry = .standard
    ) throws -> BackupPlan {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw syntaxError(error, in: yaml, file: origin)
        }
        var reader = Reader(file: origin, workingDirectory: workingDirectory)
        reader.sourceTypes = sources
        return try reader.plan(from: root)
    }

    /// Turns an error from the YAML parser into a ``PlanError`` with its line and column.
    private static func syntaxError(_ error: any Error, in yaml: String, file: String) -> PlanError {
        func syntax(_ message: String, _ mark: Mark?) -> PlanError {
            PlanError(code: .syntax, file: file, keyPath: "", line: mark?.line, column: mark?.column, message: message)
        }
        func syntax(_ message: String, line: Int?, column: Int?) -> PlanError {
            PlanError(code: .syntax, file: file, keyPath: "", line: line, column: column, message: message)
        }
        func explained(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return problem }
            let place = "at line \(context.mark.line), column \(context.mark.column)"
            // libyaml phrases some problems as the second half of a sentence ("but found another document").
            if problem.hasPrefix("but ") { return "\(context.text) \(place), \(problem)" }
            return "\(problem) (\(context.text) \(place))"
        }
        guard let error = error as? YamlError else { return syntax(String(describing: error), nil) }
        switch error {
        case .scanner(let context, let problem, let mark, _):
            var message = explained(problem, context)
            if character(atLine: mark.line, column: mark.column, in: yaml) == "\t" {
                message += "; YAML does not allow tabs for indentation, use spaces"
            }
            return syntax(message, mark)
        case .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            return syntax(explained(problem, context), mark)
        case .reader(let problem, let offset, _, _):
            guard let offset else { return syntax("cannot read the text: \(problem)", nil) }
            let prefix = yaml.prefix(offset)
            let lineStart = prefix.lastIndex(where: \.isNewline).map(prefix.index(after:)) ?? prefix.startIndex
            return syntax(
                "cannot read the text: \(problem)", line: prefix.count(where: \.isNewline) + 1,
                column: prefix.distance(from: lineStart, to: prefix.endIndex) + 1)
        case .duplicatedKeysInMapping(let duplicates, let context):
            // The context's text is the whole document: never echo it.
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let noun = duplicates.count == 1 ? "key" : "keys"
            return syntax(
                "duplicate \(noun) \(keys): first written here, then again in the same mapping (each key may appear once)",
                context.mark)
        default:
            return syntax(String(describing: error), nil)
        }
    }

    /// The character at a 1-based line and column (counted in Unicode scalars, as libyaml does).
    private static func character(atLine line: Int, column: Int, in text: String) -> Unicode.Scalar? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard line >= 1, line <= lines.count else { return nil }
        let scalars = Array(lines[line - 1].unicodeScalars)
        return column >= 1 && column <= scalars.count ? scalars[column - 1] : nil
    }
}
