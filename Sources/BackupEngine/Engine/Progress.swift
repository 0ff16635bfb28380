import ArtifactFormat
public import BackupModels
package import BackupSources
import BackupSupport
import RemoteStorage
import Synchronization

/// One progress report of a running backup.
public struct ProgressEvent: Sendable, Hashable {
    public enum Phase: String, Sendable, Hashable {
        /// The source was scanned; totals are known.
        case started
        /// Bytes are moving.
        case transferring
        /// The source's backup committed.
        case finished
        /// The source's backup failed.
        case failed
    }

    public var source: String
    public var phase: Phase
    public var kind: BackupKind
    /// Bytes read from the source so far.
    public var bytesRead: Int64
    /// Entries (files, folders, links) stored so far.
    public var filesDone: Int
    /// Bytes the source expects to produce, when known.
    public var bytesExpected: Int64?
    /// Entries (files) the source expects to store, when known.
    public var filesExpected: Int?
    /// Average read rate since the source started, in bytes per second.
    public var bytesPerSecond: Double
    /// Estimated time remaining, when the total is known and the rate is positive.
    public var secondsRemaining: Double?
    /// The finished record's id or the failure, for the last events.
    public var detail: String?

    public init(
        source: String, phase: Phase, kind: BackupKind, bytesRead: Int64 = 0, filesDone: Int = 0, bytesExpected: Int64? = nil,
        filesExpected: Int? = nil, bytesPerSecond: Double = 0, secondsRemaining: Double? = nil, detail: String? = nil
    ) {
        self.source = source
        self.phase = phase
        self.kind = kind
        self.bytesRead = bytesRead
        self.filesDone = filesDone
        self.bytesExpected = bytesExpected
        self.filesExpected = filesExpected
        self.bytesPerSecond = bytesPerSecond
        self.secondsRemaining = secondsRemaining
        self.detail = detail
    }
}

/// Delivers ``ProgressEvent``s as an `AsyncSequence`.
///
/// Create one, pass it to a backup, and iterate ``events`` from another task. The buffer keeps the
/// newest events only, so a slow reader never slows the backup or grows memory.
public final class ProgressReporter: Sendable {
    /// The events; finishes when the backup ends.
    public let events: AsyncStream<ProgressEvent>
    private let continuation: AsyncStream<ProgressEvent>.Continuation
    /// Minimum time between two `transferring` events of one source.
    public let interval: Duration

    public init(interval: Duration = .milliseconds(200), buffering: Int = 64) {
        (events, continuation) = AsyncStream.makeStream(of: ProgressEvent.self, bufferingPolicy: .bufferingNewest(buffering))
        self.interval = interval
    }

    package func emit(_ event: ProgressEvent) { continuation.yield(event) }

    /// Ends the event sequence.
    public func finish() { continuation.finish() }
}

/// Tracks one source's transfer and throttles its events.
package final class TransferMeter: Sendable {
    private struct State {
        var bytes: Int64 = 0
        var files = 0
        var lastEmit: ContinuousClock.Instant
    }

    private let reporter: ProgressReporter?
    private let template: ProgressEvent
    private let start = ContinuousClock.now
    private let state: Mutex<State>
    private let totals = Mutex<(bytes: Int64?, files: Int?)>((nil, nil))

    package init(reporter: ProgressReporter?, template: ProgressEvent) {
        self.reporter = reporter
        self.template = template
        self.state = Mutex(State(lastEmit: ContinuousClock.now))
    }

    /// Emits the `started` event once the source knows its totals.
    package func begin(expectedBytes: Int64?, expectedFiles: Int?) {
        totals.withLock { $0 = (expectedBytes, expectedFiles) }
        reporter?.emit(event(.started, bytes: 0, files: 0, at: .now))
    }

    /// Adds a source's progress; emits a `transferring` event at most once per interval.
    package func add(_ delta: SourceProgress) {
        let now = ContinuousClock.now
        let interval = reporter?.interval
        let snapshot: (bytes: Int64, files: Int)? = state.withLock { state in
            state.bytes += delta.bytes
            state.files += delta.files
            guard let interval, now - state.lastEmit >= interval else { return nil }
            state.lastEmit = now
            return (state.bytes, state.files)
        }
        if let snapshot { reporter?.emit(event(.transferring, bytes: snapshot.bytes, files: snapshot.files, at: now)) }
    }

    package func end(_ phase: ProgressEvent.Phase, detail: String) {
        let (bytes, files) = state.withLock { ($0.bytes, $0.files) }
        reporter?.emit(event(phase, bytes: bytes, files: files, at: .now, detail: detail))
    }

    private func event(
        _ phase: ProgressEvent.Phase, bytes: Int64, files: Int, at now: ContinuousClock.Instant, detail: String? = nil
    ) -> ProgressEvent {
        var event = template
        let totals = totals.withLock { $0 }
        event.bytesExpected = totals.bytes
        event.filesExpected = totals.files
        event.phase = phase
        event.bytesRead = bytes
        event.filesDone = files
        let elapsed = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) / 1e18
        event.bytesPerSecond = elapsed > 0 ? Double(bytes) / elapsed : 0
        if let expected = event.bytesExpected, event.bytesPerSecond > 0, phase == .transferring {
            event.secondsRemaining = max(0, Double(expected - bytes) / event.bytesPerSecond)
        }
        event.detail = detail
        return event
    }
}
