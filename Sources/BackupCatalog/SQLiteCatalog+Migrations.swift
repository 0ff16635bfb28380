import GRDB

extension SQLiteCatalog {
    /// Migration identifiers, oldest first. Never edit a shipped migration: add a new one.
    enum Migration {
        /// Backup records and their artifacts, with state-machine triggers.
        static let backups = "v1_backups"
        /// Archive configurations, archived indices and restores.
        static let archive = "v2_archive"
        /// The indexes retention and restore queries use; one enabled archive configuration per table.
        static let indexes = "v3_indexes"
        /// Per-name leases, so that two processes never run the same plan at once.
        static let leases = "v4_leases"
        /// Each archive configuration's index retention, and the archive snapshots with their attempts.
        static let archiveLifecycle = "v5_archive_lifecycle"
        /// The platform's index layout per configuration, index UUIDs of archived indices, snapshots gone
        /// from their repository, and restores that wait for their turn.
        static let archiveLayout = "v6_archive_layout"
        /// Restore drills, and when each backup's artifacts were last read back by a verification.
        static let drills = "v7_drills"
        /// The `missing` state: a committed backup whose artifacts a rebuild found gone from storage.
        static let missing = "v8_missing"
    }

    /// The forward-only schema migrations, in order. Tests use it to build files at an earlier version.
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(Migration.backups) { db in
            try db.execute(
                sql: """
                    CREATE TABLE backups (
                        id TEXT NOT NULL PRIMARY KEY,
                        plan TEXT NOT NULL,
                        source TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),
                        parent_id TEXT REFERENCES backups (id) DEFERRABLE INITIALLY DEFERRED,
                        label TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('running', 'committed', 'failed', 'expired')),
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        expired_at REAL,
                        host TEXT NOT NULL DEFAULT '',
                        tags TEXT NOT NULL DEFAULT '[]',
                        failure_reason TEXT,
                        position TEXT,
                        UNIQUE (plan, source, label)
                    );

                    CREATE TABLE artifacts (
                        backup_id TEXT NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
                        ordinal INTEGER NOT NULL,
                        role TEXT NOT NULL,
                        key TEXT NOT NULL CHECK (key <> ''),
                        size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
                        sha256 TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
                        compression TEXT NOT NULL CHECK (compression IN ('zstd', 'gzip', 'none')),
                        encryption_key_id TEXT,
                        uncompressed_bytes INTEGER CHECK (uncompressed_bytes >= 0),
                        PRIMARY KEY (backup_id, ordinal),
                        UNIQUE (backup_id, key)
                    ) WITHOUT ROWID;

                    -- The life cycle holds even for hand edits with the sqlite3 shell.
                    CREATE TRIGGER backups_state_transition
                    BEFORE UPDATE OF state ON backups
                    WHEN NEW.state <> OLD.state AND NOT (
                        (OLD.state = 'running' AND NEW.state IN ('committed', 'failed'))
                        OR (OLD.state IN ('committed', 'failed') AND NEW.state = 'expired'))
                    BEGIN
                        SELECT RAISE(ABORT, 'invalid state transition');
                    END;

                    -- A record claims committed only with artifacts (inserted before the state changes).
                    CREATE TRIGGER backups_commit_needs_artifacts
                    BEFORE UPDATE OF state ON backups
                    WHEN NEW.state = 'committed' AND OLD.state <> 'committed'
                        AND NOT EXISTS (SELECT 1 FROM artifacts WHERE backup_id = NEW.id)
                    BEGIN
                        SELECT RAISE(ABORT, 'a committed backup needs artifacts');
                    END;
                    """)
        }
        migrator.registerMigration(Migration.archive) { db in
            try db.execute(
                sql: """
                    CREATE TABLE archive_configs (
                        id TEXT NOT NULL PRIMARY KEY,
                        instance_id TEXT NOT NULL,
                        instance_type TEXT NOT NULL,
                        business_id TEXT NOT NULL,
                        table_id TEXT NOT NULL,
                        repository TEXT NOT NULL,
                        snapshot_days INTEGER NOT NULL CHECK (snapshot_days >= 0),
                        time_zone TEXT NOT NULL,
                        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    );

                    -- Rows outlive their configuration on purpose: no foreign key to archive_configs.
                    CREATE TABLE archived_indices (
                        archive_config_id TEXT NOT NULL,
                        table_id TEXT NOT NULL,
                        repository TEXT NOT NULL,
                        snapshot TEXT NOT NULL,
                        index_name TEXT NOT NULL,
                        doc_count INTEGER NOT NULL,
                        store_size_bytes INTEGER NOT NULL,
                        start_time REAL NOT NULL,
                        end_time REAL NOT NULL CHECK (end_time >= start_time),
                        archived_at REAL NOT NULL,
                        UNIQUE (repository, snapshot, index_name)
                    );

                    CREATE TABLE restores (
                        id TEXT NOT NULL PRIMARY KEY,
                        business_id TEXT NOT NULL,
                        index_set_id TEXT,
                        index_set_name TEXT,
                        table_id TEXT NOT NULL,
                        start_time REAL NOT NULL,
                        end_time REAL NOT NULL,
                        expires_at REAL NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed', 'expired')),
                        created_at REAL NOT NULL,
                        started_at REAL,
                        finished_at REAL,
                        total_store_size_bytes INTEGER NOT NULL DEFAULT 0,
                        total_doc_count INTEGER NOT NULL DEFAULT 0,
                        restored_doc_count INTEGER NOT NULL DEFAULT 0,
                        indices TEXT NOT NULL DEFAULT '[]',
                        notify_users TEXT NOT NULL DEFAULT '[]',
                        failure_reason TEXT,
                        notified INTEGER NOT NULL DEFAULT 0
                    );
                    """)
        }
        migrator.registerMigration(Migration.indexes) { db in
            try db.execute(
                sql: """
                    CREATE INDEX backups_by_plan_source_started ON backups (plan, source, started_at, id);
                    CREATE INDEX backups_by_state_started ON backups (state, started_at);
                    CREATE INDEX archived_indices_by_table_time ON archived_indices (table_id, start_time, end_time);
                    CREATE INDEX restores_by_state ON restores (state, created_at);

                    -- Files written before this version could hold several enabled configurations for one
                    -- table: keep the most recently updated one enabled (ties: greatest id), disable the others.
                    UPDATE archive_configs SET enabled = 0
                    WHERE enabled = 1 AND EXISTS (
                        SELECT 1 FROM archive_configs AS newer
                        WHERE newer.table_id = archive_configs.table_id AND newer.enabled = 1
                            AND (newer.updated_at > archive_configs.updated_at
                                OR (newer.updated_at = archive_configs.updated_at AND newer.id > archive_configs.id)));
                    CREATE UNIQUE INDEX archive_configs_one_enabled_per_table ON archive_configs (table_id)
                    WHERE enabled = 1;
                    """)
        }
        migrator.registerMigration(Migration.leases) { db in
            try db.execute(
                sql: """
                    -- One row per held lease; the token alone decides ownership. A lease is free from
                    -- expires_at on (REAL seconds since 1970, like every date in the catalog).
                    CREATE TABLE leases (
                        name TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
                        owner_host TEXT NOT NULL,
                        owner_pid INTEGER NOT NULL,
                        owner_token TEXT NOT NULL CHECK (owner_token <> ''),
                        acquired_at REAL NOT NULL,
                        renewed_at REAL NOT NULL,
                        expires_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration(Migration.archiveLifecycle) { db in
            try db.execute(
                sql: """
                    -- The days a table keeps its live indices; rows written before this version get 7.
                    ALTER TABLE archive_configs ADD COLUMN index_retention_days INTEGER NOT NULL DEFAULT 7
                        CHECK (index_retention_days >= 1);

                    -- One row per archive snapshot from its first attempt on (bounded retries survive
                    -- restarts). Rows outlive their configuration, like archived_indices.
                    CREATE TABLE archive_snapshots (
                        repository TEXT NOT NULL,
                        snapshot TEXT NOT NULL CHECK (snapshot <> ''),
                        archive_config_id TEXT NOT NULL,
                        table_id TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('in_progress', 'success', 'failed', 'partial')),
                        attempts INTEGER NOT NULL CHECK (attempts >= 1),
                        indices TEXT NOT NULL DEFAULT '[]',
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        failure_reason TEXT,
                        PRIMARY KEY (repository, snapshot)
                    ) WITHOUT ROWID;
                    CREATE INDEX archive_snapshots_by_table ON archive_snapshots (table_id, started_at);
                    """)
        }
        migrator.registerMigration(Migration.archiveLayout) { db in
            try db.execute(
                sql: """
                    -- The platform's index layout of a configuration (date_format, index_time_zone,
                    -- index_without_alias, long_term_indices) as one JSON object; NULL reads as the defaults.
                    ALTER TABLE archive_configs ADD COLUMN layout TEXT;
                    -- The index UUID an archived index had when it was snapshotted; NULL for older rows,
                    -- which then prove nothing and the index is archived again before any deletion.
                    ALTER TABLE archived_indices ADD COLUMN index_uuid TEXT;
                    -- Restored indices whose restore request is not sent yet (one snapshot at a time).
                    ALTER TABLE restores ADD COLUMN waiting_indices TEXT NOT NULL DEFAULT '[]';

                    -- A snapshot deleted out of band becomes 'gone' (SQLite cannot widen a CHECK in place).
                    CREATE TABLE archive_snapshots_v6 (
                        repository TEXT NOT NULL,
                        snapshot TEXT NOT NULL CHECK (snapshot <> ''),
                        archive_config_id TEXT NOT NULL,
                        table_id TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('in_progress', 'success', 'failed', 'partial', 'gone')),
                        attempts INTEGER NOT NULL CHECK (attempts >= 1),
                        indices TEXT NOT NULL DEFAULT '[]',
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        failure_reason TEXT,
                        PRIMARY KEY (repository, snapshot)
                    ) WITHOUT ROWID;
                    INSERT INTO archive_snapshots_v6
                        SELECT repository, snapshot, archive_config_id, table_id, state, attempts, indices, started_at,
                            finished_at, failure_reason
                        FROM archive_snapshots;
                    DROP TABLE archive_snapshots;
                    ALTER TABLE archive_snapshots_v6 RENAME TO archive_snapshots;
                    CREATE INDEX archive_snapshots_by_table ON archive_snapshots (table_id, started_at);
                    """)
        }
        migrator.registerMigration(Migration.drills) { db in
            try db.execute(
                sql: """
                    -- One row per restore drill; checks is a JSON array of {name, passed, detail}.
                    CREATE TABLE drills (
                        id TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
                        backup_id TEXT NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
                        plan TEXT NOT NULL,
                        source TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
                        outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'failed')),
                        checks TEXT NOT NULL DEFAULT '[]',
                        error TEXT
                    );
                    CREATE INDEX drills_by_backup ON drills (backup_id, started_at);
                    CREATE INDEX drills_by_plan_source ON drills (plan, source, started_at);
                    -- When a verification last read the backup's artifacts back; NULL: never since commit.
                    ALTER TABLE backups ADD COLUMN last_verified_at REAL;
                    """)
        }
        migrator.registerMigration(Migration.missing) { db in
            // SQLite cannot widen a CHECK in place: the table is copied (foreign keys are off during a
            // migration and checked at its end; artifacts and drills keep referring to `backups`).
            try db.execute(
                sql: """
                    CREATE TABLE backups_v8 (
                        id TEXT NOT NULL PRIMARY KEY,
                        plan TEXT NOT NULL,
                        source TEXT NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),
                        parent_id TEXT REFERENCES backups (id) DEFERRABLE INITIALLY DEFERRED,
                        label TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('running', 'committed', 'failed', 'expired', 'missing')),
                        started_at REAL NOT NULL,
                        finished_at REAL,
                        expired_at REAL,
                        host TEXT NOT NULL DEFAULT '',
                        tags TEXT NOT NULL DEFAULT '[]',
                        failure_reason TEXT,
                        position TEXT,
                        last_verified_at REAL,
                        -- When a rebuild found the artifacts gone; NULL unless missing.
                        missing_since REAL,
                        UNIQUE (plan, source, label)
                    );
                    INSERT INTO backups_v8
                        SELECT id, plan, source, kind, parent_id, label, state, started_at, finished_at, expired_at, host,
                            tags, failure_reason, position, last_verified_at, NULL
                        FROM backups;
                    DROP TABLE backups;
                    ALTER TABLE backups_v8 RENAME TO backups;
                    CREATE INDEX backups_by_plan_source_started ON backups (plan, source, started_at, id);
                    CREATE INDEX backups_by_state_started ON backups (state, started_at);

                    -- The life cycle, now with committed -> missing -> committed | expired.
                    CREATE TRIGGER backups_state_transition
                    BEFORE UPDATE OF state ON backups
                    WHEN NEW.state <> OLD.state AND NOT (
                        (OLD.state = 'running' AND NEW.state IN ('committed', 'failed'))
                        OR (OLD.state IN ('committed', 'failed', 'missing') AND NEW.state = 'expired')
                        OR (OLD.state = 'committed' AND NEW.state = 'missing')
                        OR (OLD.state = 'missing' AND NEW.state = 'committed'))
                    BEGIN
                        SELECT RAISE(ABORT, 'invalid state transition');
                    END;

                    CREATE TRIGGER backups_commit_needs_artifacts
                    BEFORE UPDATE OF state ON backups
                    WHEN NEW.state = 'committed' AND OLD.state <> 'committed'
                        AND NOT EXISTS (SELECT 1 FROM artifacts WHERE backup_id = NEW.id)
                    BEGIN
                        SELECT RAISE(ABORT, 'a committed backup needs artifacts');
                    END;
                    """)
        }
        return migrator
    }
}
