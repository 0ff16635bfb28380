/// How a plan's restore drills run (`drill:` in plans): where MySQL backups are restored to, how many
/// older backups are sampled, and when the scheduler runs them.
///
/// ```yaml
/// drill: {cron: "0 5 * * 0", sample: 1, mysql_target: "mysql://drill@127.0.0.1:3307", password_env: DRILL_MYSQL_PASSWORD}
/// ```
public struct DrillConfig: Hashable, Codable, Sendable {
    enum CodingKeys: String, CodingKey {
        case cron, sample
        case mysqlTarget = "mysql_target"
        case passwordEnvironmentVariable = "password_env"
        case scratchDirectory = "scratch_dir"
    }

    /// When the scheduler runs a drill of the plan (a cron expression in the plan's schedule time zone);
    /// `nil`: drills run only on demand (`backup drill`).
    public var cron: String?
    /// How many random older backups a drill samples besides the newest backup of each source.
    public var sample: Int
    /// The scratch MySQL or MariaDB server MySQL backups are restored into, `mysql://USER@HOST:PORT`;
    /// never a source's own server. `nil`: MySQL backups cannot be drilled (the drill fails, saying so).
    public var mysqlTarget: String?
    /// The environment variable holding the scratch server's password.
    public var passwordEnvironmentVariable: String?
    /// Where scratch copies are restored; the system temporary folder when `nil`.
    public var scratchDirectory: String?

    /// Creates a drill configuration.
    public init(
        cron: String? = nil, sample: Int = 1, mysqlTarget: String? = nil, passwordEnvironmentVariable: String? = nil,
        scratchDirectory: String? = nil
    ) {
        self.cron = cron
        self.sample = sample
        self.mysqlTarget = mysqlTarget
        self.passwordEnvironmentVariable = passwordEnvironmentVariable
        self.scratchDirectory = scratchDirectory
    }
}
