import ArtifactFormat
public import BackupModels
import BackupSources
import BackupSupport
import Foundation
public import Logging
import RemoteStorage

/// Writes one log line per event: `info` for successes, `error` for failures.
///
/// The line is the event's kind; its details go into the metadata. Details never hold secrets.
public struct LogNotifier: Notifier {
    /// The logger that receives the lines.
    public var logger: Logger

    /// Creates a notifier that logs to `logger`.
    /// - Parameter logger: The logger that receives one line per event.
    public init(logger: Logger) { self.logger = logger }

    public func notify(_ event: BackupEvent) async throws {
        var metadata: Logger.Metadata = ["event": .string(event.kind.rawValue)]
        metadata["occurred_at"] = .string(ISO8601.string(from: event.occurredAt))
        for (key, value) in event.details { metadata[key] = .string(value) }
        let text = event.kind.rawValue.replacingOccurrences(of: "_", with: " ")
        logger.log(level: event.isFailure ? .error : .info, "\(text)", metadata: metadata)
    }
}
