import ArtifactFormat
import BackupCatalog
import BackupEngine
public import BackupModels
import BackupScheduler
public import BackupSources
import RemoteStorage

extension ChildProcessPriority {
    /// The priority a plan's `limits:` section asks for.
    /// - Parameter config: The section as parsed from the plan.
    /// - Throws: ``ScheduleError`` with code ``ScheduleError/Code-swift.struct/invalidLimit`` naming
    ///   `limits.nice`, `limits.ionice` or `limits.ionice_level` when a value is out of range or unknown.
    public init(_ config: ResourceLimitsConfig) throws {
        if let niceness = config.niceness, !(-20...19).contains(niceness) {
            throw ScheduleError(code: .invalidLimit, field: "limits.nice", message: "\(niceness) is out of range -20…19")
        }
        var ioClass: IOClass?
        if let name = config.ioClass {
            guard let parsed = IOClass(name: name) else {
                throw ScheduleError(
                    code: .invalidLimit, field: "limits.ionice", message: "'\(name)' is not an I/O class (idle, best_effort, realtime)")
            }
            ioClass = parsed
        }
        if let level = config.ioLevel, !(0...7).contains(level) {
            throw ScheduleError(code: .invalidLimit, field: "limits.ionice_level", message: "\(level) is out of range 0…7")
        }
        self.init(niceness: config.niceness, ioClass: ioClass, ioLevel: config.ioLevel)
    }
}
