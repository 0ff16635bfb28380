import BackupCatalog
import Logging
import PostgresNIO

extension PostgresCatalog {
    /// One forward-only schema migration: statements run in order in one transaction. Never edit a
    /// shipped migration: add a new one.
    struct Migration: Sendable {
        var id: String
        var statements: [String]

        /// The advisory lock key that serialises migrations of one database across processes.
        static let lockKey: Int64 = 0x4241_434B_5550_4B54  // "BACKUPKT"

        /// Every migration, oldest first.
        static let all: [Migration] = [backups, leases, drills, archive, missing]

        /// Backup records and artifacts; the life cycle as a trigger, so that raw SQL obeys it too.
        static let backups = Migration(
            id: "pg1_backups",
            statements: [
                """
                CREATE TABLE backups (
                    id text NOT NULL PRIMARY KEY,
                    plan text NOT NULL,
                    source text NOT NULL,
                    kind text NOT NULL CHECK (kind IN ('full', 'incremental')),
                    parent_id text REFERENCES backups (id) DEFERRABLE INITIALLY DEFERRED,
                    label text NOT NULL,
                    state text NOT NULL CHECK (state IN ('running', 'committed', 'failed', 'expired')),
                    started_at double precision NOT NULL,
                    finished_at double precision,
                    expired_at double precision,
                    host text NOT NULL DEFAULT '',
                    tags text NOT NULL DEFAULT '[]',
                    failure_reason text,
                    position text,
                    UNIQUE (plan, source, label)
                )
                """,
                """
                CREATE TABLE artifacts (
                    backup_id text NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
                    ordinal bigint NOT NULL,
                    role text NOT NULL,
                    key text NOT NULL CHECK (key <> ''),
                    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
                    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
                    compression text NOT NULL CHECK (compression IN ('zstd', 'gzip', 'none')),
                    encryption_key_id text,
                    uncompressed_bytes bigint CHECK (uncompressed_bytes >= 0),
                    PRIMARY KEY (backup_id, ordinal),
                    UNIQUE (backup_id, key)
                )
                """,
                "CREATE INDEX backups_by_plan_source_started ON backups (plan, source, started_at, id)",
                "CREATE INDEX backups_by_state_started ON backups (state, started_at)",
                """
                CREATE FUNCTION backupkit_backups_state_check() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.state <> OLD.state AND NOT (
                        (OLD.state = 'running' AND NEW.state IN ('committed', 'failed'))
                        OR (OLD.state IN ('committed', 'failed') AND NEW.state = 'expired')) THEN
                        RAISE EXCEPTION 'invalid state transition of backup %: % to %', OLD.id, OLD.state, NEW.state
                            USING ERRCODE = '\(invalidTransitionState)';
                    END IF;
                    IF NEW.state = 'committed' AND OLD.state <> 'committed'
                        AND NOT EXISTS (SELECT 1 FROM artifacts WHERE backup_id = NEW.id) THEN
                        RAISE EXCEPTION 'a committed backup needs artifacts (backup %)', NEW.id
                            USING ERRCODE = '\(missingArtifactsState)';
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
                """
                CREATE TRIGGER backups_state_transition BEFORE UPDATE OF state ON backups
                FOR EACH ROW EXECUTE FUNCTION backupkit_backups_state_check()
                """,
            ])

        /// The `missing` state (a committed backup whose artifacts a rebuild found gone from storage), as
        /// SQLiteCatalog's `v8_missing`: committed -> missing -> committed | expired, and when it went missing.
        static let missing = Migration(
            id: "pg5_missing",
            statements: [
                "ALTER TABLE backups DROP CONSTRAINT backups_state_check",
                """
                ALTER TABLE backups ADD CONSTRAINT backups_state_check
                    CHECK (state IN ('running', 'committed', 'failed', 'expired', 'missing'))
                """,
                "ALTER TABLE backups ADD COLUMN missing_since double precision",
                """
                CREATE OR REPLACE FUNCTION backupkit_backups_state_check() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.state <> OLD.state AND NOT (
                        (OLD.state = 'running' AND NEW.state IN ('committed', 'failed'))
                        OR (OLD.state IN ('committed', 'failed', 'missing') AND NEW.state = 'expired')
                        OR (OLD.state = 'committed' AND NEW.state = 'missing')
                        OR (OLD.state = 'missing' AND NEW.state = 'committed')) THEN
                        RAISE EXCEPTION 'invalid state transition of backup %: % to %', OLD.id, OLD.state, NEW.state
                            USING ERRCODE = '\(invalidTransitionState)';
                    END IF;
                    IF NEW.state = 'committed' AND OLD.state <> 'committed'
                        AND NOT EXISTS (SELECT 1 FROM artifacts WHERE backup_id = NEW.id) THEN
                        RAISE EXCEPTION 'a committed backup needs artifacts (backup %)', NEW.id
                            USING ERRCODE = '\(missingArtifactsState)';
                    END IF;
                    RETURN NEW;
                END
                $$
                """,
            ])

        /// Per-name leases; the token alone decides ownership.
        static let leases = Migration(
            id: "pg2_leases",
            statements: [
                """
                CREATE TABLE leases (
                    name text NOT NULL PRIMARY KEY CHECK (name <> ''),
                    owner_host text NOT NULL,
                    owner_pid bigint NOT NULL,
                    owner_token text NOT NULL CHECK (owner_token <> ''),
                    acquired_at double precision NOT NULL,
                    renewed_at double precision NOT NULL,
                    expires_at double precision NOT NULL
                )
                """
            ])

        /// Restore drills, and when each backup's artifacts were last read back.
        static let drills = Migration(
            id: "pg3_drills",
            statements: [
                """
                CREATE TABLE drills (
                    id text NOT NULL PRIMARY KEY CHECK (id <> ''),
                    backup_id text NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
                    plan text NOT NULL,
                    source text NOT NULL,
                    started_at double precision NOT NULL,
                    duration_ms bigint NOT NULL CHECK (duration_ms >= 0),
                    outcome text NOT NULL CHECK (outcome IN ('passed', 'failed')),
                    checks text NOT NULL DEFAULT '[]',
                    error text
                )
                """,
                "CREATE INDEX drills_by_backup ON drills (backup_id, started_at)",
                "CREATE INDEX drills_by_plan_source ON drills (plan, source, started_at)",
                "ALTER TABLE backups ADD COLUMN last_verified_at double precision",
            ])

        /// The Elasticsearch archive: configurations (one enabled per table), archived indices, restores
        /// and archive snapshots (the SQLite schema at v7, in one step).
        static let archive = Migration(
            id: "pg4_archive",
            statements: [
                """
                CREATE TABLE archive_configs (
                    id text NOT NULL PRIMARY KEY,
                    instance_id text NOT NULL,
                    instance_type text NOT NULL,
                    business_id text NOT NULL,
                    table_id text NOT NULL,
                    repository text NOT NULL,
                    snapshot_days bigint NOT NULL CHECK (snapshot_days >= 0),
                    time_zone text NOT NULL,
                    enabled boolean NOT NULL,
                    created_at double precision NOT NULL,
                    updated_at double precision NOT NULL,
                    index_retention_days bigint NOT NULL DEFAULT 7 CHECK (index_retention_days >= 1),
                    layout text
                )
                """,
                "CREATE UNIQUE INDEX archive_configs_one_enabled_per_table ON archive_configs (table_id) WHERE enabled",
                """
                CREATE TABLE archived_indices (
                    archive_config_id text NOT NULL,
                    table_id text NOT NULL,
                    repository text NOT NULL,
                    snapshot text NOT NULL,
                    index_name text NOT NULL,
                    doc_count bigint NOT NULL,
                    store_size_bytes bigint NOT NULL,
                    start_time double precision NOT NULL,
                    end_time double precision NOT NULL CHECK (end_time >= start_time),
                    archived_at double precision NOT NULL,
                    index_uuid text,
                    UNIQUE (repository, snapshot, index_name)
                )
                """,
                "CREATE INDEX archived_indices_by_table_time ON archived_indices (table_id, start_time, end_time)",
                """
                CREATE TABLE restores (
                    id text NOT NULL PRIMARY KEY,
                    business_id text NOT NULL,
                    index_set_id text,
                    index_set_name text,
                    table_id text NOT NULL,
                    start_time double precision NOT NULL,
                    end_time double precision NOT NULL,
                    expires_at double precision NOT NULL,
                    state text NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'expired')),
                    created_at double precision NOT NULL,
                    started_at double precision,
                    finished_at double precision,
                    total_store_size_bytes bigint NOT NULL DEFAULT 0,
                    total_doc_count bigint NOT NULL DEFAULT 0,
                    restored_doc_count bigint NOT NULL DEFAULT 0,
                    indices text NOT NULL DEFAULT '[]',
                    notify_users text NOT NULL DEFAULT '[]',
                    failure_reason text,
                    notified boolean NOT NULL DEFAULT false,
                    waiting_indices text NOT NULL DEFAULT '[]'
                )
                """,
                "CREATE INDEX restores_by_state ON restores (state, created_at)",
                """
                CREATE TABLE archive_snapshots (
                    repository text NOT NULL,
                    snapshot text NOT NULL CHECK (snapshot <> ''),
                    archive_config_id text NOT NULL,
                    table_id text NOT NULL,
                    state text NOT NULL CHECK (state IN ('in_progress', 'success', 'failed', 'partial', 'gone')),
                    attempts bigint NOT NULL CHECK (attempts >= 1),
                    indices text NOT NULL DEFAULT '[]',
                    started_at double precision NOT NULL,
                    finished_at double precision,
                    failure_reason text,
                    PRIMARY KEY (repository, snapshot)
                )
                """,
                "CREATE INDEX archive_snapshots_by_table ON archive_snapshots (table_id, started_at)",
            ])
    }

    /// Applies the missing migrations on `connection`, holding the advisory lock so that two processes
    /// opening a fresh database at once do not both migrate. Refuses, before writing anything, a database
    /// holding a migration this library does not know.
    static func migrate(_ connection: PostgresConnection, location: PostgresCatalogLocation, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_lock(\(Migration.lockKey))", logger: logger)
        do {
            try await migrateLocked(connection, location: location, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock(\(Migration.lockKey))", logger: logger)
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Migration.lockKey))", logger: logger)
            throw error
        }
    }

    private static func migrateLocked(_ connection: PostgresConnection, location: PostgresCatalogLocation, logger: Logger)
        async throws
    {
        let applied = try await appliedMigrations(connection, logger: logger)
        let known = Set(Migration.all.map(\.id))
        let unknown = applied.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw CatalogError(
                code: .newerSchema,
                message: "the database has schema migration \(unknown.joined(separator: ", ")) that this library "
                    + "(schema \(schemaVersion)) does not know; open it with a newer BackupKit",
                path: location.description)
        }
        let missing = Migration.all.filter { !applied.contains($0.id) }
        guard !missing.isEmpty else { return }
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS backupkit_migrations (
                    ordinal bigint GENERATED ALWAYS AS IDENTITY, id text NOT NULL PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            for migration in missing {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO backupkit_migrations (id) VALUES (\(migration.id))", logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// The applied migrations in the order they were applied; none when the table does not exist yet.
    static func appliedMigrations(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        let exists =
            try await connection.query(
                "SELECT to_regclass('backupkit_migrations') IS NOT NULL", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return [] }
        var ids: [String] = []
        let rows = try await connection.query("SELECT id FROM backupkit_migrations ORDER BY ordinal", logger: logger)
        for try await id in rows.decode(String.self) { ids.append(id) }
        return ids
    }
}
