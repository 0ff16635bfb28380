import Foundation

/// Reads S3 keys from a private file: `name = value` (or `name: value`) lines, `#` comments, with
/// the names `access_key`, `secret_key` and optional `session_token` (the AWS spellings
/// `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token` are accepted too, and
/// `[section]` lines are ignored, so a one-profile AWS credentials file works).
enum S3CredentialsFile {
    /// Reads and checks the file at `path`.
    ///
    /// - Throws: ``StorageError`` `configuration` naming the file when it is missing, readable by
    ///   group or others, or lacks a key; never a value from it.
    static func read(path: String) throws -> S3Credentials {
        func invalid(_ reason: String) -> StorageError {
            StorageError(code: .configuration, key: nil, message: "the credentials file \(path) \(reason)")
        }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw invalid("cannot be read (missing or not accessible)")
        }
        guard let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue else {
            throw invalid("has unknown permissions")
        }
        guard mode & 0o077 == 0 else {
            throw invalid(
                "is readable by group or others (mode \(String(mode & 0o777, radix: 8))); run chmod 600 on it")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw invalid("cannot be read as UTF-8 text")
        }
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || line.hasPrefix("[") { continue }
            guard let separator = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            let name = line[..<separator].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            let canonical: String
            switch name {
            case "access_key", "aws_access_key_id": canonical = "access"
            case "secret_key", "aws_secret_access_key": canonical = "secret"
            case "session_token", "aws_session_token": canonical = "token"
            default: continue
            }
            if values[canonical] == nil { values[canonical] = value }
        }
        guard let access = values["access"], !access.isEmpty else { throw invalid("has no access_key line") }
        guard let secret = values["secret"], !secret.isEmpty else { throw invalid("has no secret_key line") }
        let token = values["token"].flatMap { $0.isEmpty ? nil : $0 }
        return S3Credentials(accessKeyID: access, secretAccessKey: secret, sessionToken: token)
    }
}
