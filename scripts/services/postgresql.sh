#!/usr/bin/env bash
# Starts two private PostgreSQL clusters on 127.0.0.1 for the PostgresCatalog tests, each with a role
# `backupkit` (password authentication, scram-sha-256, CREATEDB: every test creates its own database).
# Idempotent: a cluster that already answers is reused. Writes `export` lines to
# $BACKUPKIT_SERVICES/postgresql.env (0600, it holds the password):
#
#   BACKUPKIT_PG_URL               postgres://backupkit@127.0.0.1:15432/postgres  (the shared cluster)
#   BACKUPKIT_PG_PASSWORD          the role's password (the same on both clusters)
#   BACKUPKIT_PG_RESTART_URL       postgres://backupkit@127.0.0.1:15433/postgres  (restart test only)
#   BACKUPKIT_PG_RESTART_COMMAND   a shell command that restarts the second cluster
#
# The second cluster exists because the test that restarts a server must not break the suites that run
# in parallel against the first. Both run as the `postgres` OS user from $BACKUPKIT_SERVICES/postgresql.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SERVICES=${BACKUPKIT_SERVICES:-/tmp/backupkit-services}
HOME_DIR="$SERVICES/postgresql"
ENV_FILE="$SERVICES/postgresql.env"
PORT=15432
RESTART_PORT=15433

# 1. Install the server when missing. The package's maintainer scripts would create and start a system
#    cluster on port 5432; a temporary policy-rc.d stops that (only when none exists already).
pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    echo "$dir"
}
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/pg_ctl" ] || ! command -v psql >/dev/null 2>&1; then
    install_quietly postgresql postgresql-client
fi
BIN=$(pg_bin)

mkdir -p "$HOME_DIR"
chown postgres:postgres "$HOME_DIR"
chmod 700 "$HOME_DIR"

# 2. The password is generated once and kept (mode 0600, readable by root only).
KEYS="$SERVICES/postgresql.password"
if [ ! -s "$KEYS" ]; then
    (umask 077 && echo "PG_PASSWORD=bk$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$KEYS")
fi
# shellcheck disable=SC1090
. "$KEYS"

as_postgres() { runuser -u postgres -- "$@"; }

# 3. One cluster: created once (trust for the postgres OS user over its private socket, scram for TCP),
#    started unless it answers, then the role made (password through stdin, never argv).
start_cluster() {
    local name=$1 port=$2
    local dir="$HOME_DIR/$name"
    local data="$dir/data"
    as_postgres mkdir -p "$dir"
    if ! as_postgres "$BIN/pg_isready" -q -h "$dir" -p "$port"; then
        if [ ! -s "$data/PG_VERSION" ]; then
            as_postgres rm -rf "$data"
            as_postgres "$BIN/initdb" -D "$data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
                --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
            as_postgres tee -a "$data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
password_encryption = 'scram-sha-256'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
        fi
        # A stale pid file from a killed server is removed by pg_ctl itself when the pid is gone.
        as_postgres "$BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null
    fi
    wait_until postgresql.sh "cluster $name did not answer on port $port within 60 s" "$dir/server.log" 120 0.5 \
        as_postgres "$BIN/pg_isready" -q -h "$dir" -p "$port"
    as_postgres psql -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -d postgres >/dev/null <<SQL
SET client_min_messages = warning;
DO \$\$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'backupkit') THEN
        CREATE ROLE backupkit LOGIN CREATEDB;
    END IF;
END \$\$;
ALTER ROLE backupkit LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
SQL
}

start_cluster main $PORT
start_cluster restart $RESTART_PORT

# 4. The env file for the tests (0600: it holds the password).
umask 077
cat >"$ENV_FILE" <<ENV
export BACKUPKIT_PG_URL=postgres://backupkit@127.0.0.1:$PORT/postgres
export BACKUPKIT_PG_PASSWORD=$PG_PASSWORD
export BACKUPKIT_PG_RESTART_URL=postgres://backupkit@127.0.0.1:$RESTART_PORT/postgres
export BACKUPKIT_PG_RESTART_COMMAND='runuser -u postgres -- $BIN/pg_ctl -D $HOME_DIR/restart/data -l $HOME_DIR/restart/server.log -m fast -w -t 60 restart'
ENV
chmod 600 "$ENV_FILE"
echo "postgresql: 127.0.0.1:$PORT, restart-test cluster 127.0.0.1:$RESTART_PORT (env: $ENV_FILE)"
