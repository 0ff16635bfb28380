/// Whether a backup stands alone or depends on a parent.
public enum BackupKind: String, Codable, Sendable, CaseIterable {
    /// A self-contained backup.
    case full
    /// A backup holding only what changed since its parent; restoring it needs the whole chain.
    case incremental

    /// The one-letter suffix used in labels (`F` or `I`).
    public var labelSuffix: Character { self == .full ? "F" : "I" }
}

/// The life cycle of a backup record.
///
/// ```
/// running ──► committed ──► expired
///    └──────► failed ─────► expired
/// ```
/// A record is `committed` only once every artifact is stored and its size and checksum are known.
public enum BackupState: String, Codable, Sendable, CaseIterable {
    /// Work in progress, or a run that died; the next run marks stale ones failed.
    case running
    /// Fully stored and verified; restorable.
    case committed
    /// Did not complete; its leftovers are removed.
    case failed
    /// Removed by retention; kept in the catalog as history.
    case expired
    /// Was committed, but a catalog rebuild found its artifacts gone from storage: not restorable. It
    /// returns to `committed` when a later rebuild finds them again; retention may expire it.
    case missing

    /// Whether a record may move from `self` to `next`.
    public func canTransition(to next: BackupState) -> Bool {
        switch (self, next) {
        case (.running, .committed), (.running, .failed), (.committed, .expired), (.failed, .expired): true
        case (.committed, .missing), (.missing, .committed), (.missing, .expired): true
        default: false
        }
    }
}
